import { type EmuResponse } from '../core/contract';
import { signInView } from '../entra/signIns';
import { type GraphCall, requireRole } from './auth';
import { parseFilter, rowOf } from './filter';
import { contextUrl, page } from './query';

/**
 * The properties the signIn resource documents as filterable (signIn resource reference: appId, correlationId,
 * createdDateTime, id, resourceId, servicePrincipalId eq; status `$filter (eq) on errorCode`; signInEventTypes
 * any/eq). `servicePrincipalCredentialKeyId` and `clientCredentialType` carry no "Supports $filter" note, so a
 * filter on them answers 400 here: a product that relied on them could break on real Graph.
 */
const FILTERABLE = new Set([
    'signineventtypes',
    'appid',
    'serviceprincipalid',
    'createddatetime',
    'resourceid',
    'correlationid',
    'status/errorcode',
    'id',
]);
const SERVICE_PRINCIPAL_TYPES = /signInEventTypes\/any\(\s*(\w+)\s*:\s*\1\s+eq\s+'servicePrincipal'\s*\)/i;

/**
 * `GET /beta/auditLogs/signIns` (§1.8): newest first, page ≤ 1000, only entries already ingested; without an
 * explicit `signInEventTypes/any(t: t eq 'servicePrincipal')` filter only interactive sign-ins come back, and
 * the emulator has none.
 */
export function listSignIns(call: GraphCall): EmuResponse {
    // The signIn list documents AuditLog.Read.All, and its known issue requires Directory.Read.All as well (§1.8):
    // a rotator granted only the first must fail here as it would in Azure.
    requireRole(call, 'AuditLog.Read.All');
    requireRole(call, 'Directory.Read.All', 'Directory.ReadWrite.All');
    const filterText = call.request.query.get('$filter') ?? '';
    const predicate = filterText ? parseFilter(filterText, FILTERABLE, 'SignIn') : undefined;
    const entries = SERVICE_PRINCIPAL_TYPES.test(filterText)
        ? call.runtime.signIns
              .visible(call.now)
              .map((entry) => signInView(entry) as Record<string, unknown>)
              .filter((view) => !predicate || predicate(rowOf(view)))
        : [];
    // The v1.0 resource does not carry the credential fields (§1.8): strip them there.
    const shaped =
        call.version === 'beta'
            ? entries
            : entries.map(
                  ({
                      servicePrincipalCredentialKeyId: _k,
                      servicePrincipalCredentialThumbprint: _t,
                      clientCredentialType: _c,
                      ...rest
                  }) => rest,
              );
    const { slice, nextLink } = page(call.request, shaped, { defaultTop: 1000, maxTop: 1000 });
    return {
        status: 200,
        body: {
            '@odata.context': contextUrl(call.request, call.version, 'auditLogs/signIns'),
            ...(nextLink ? { '@odata.nextLink': nextLink } : {}),
            value: slice,
        },
    };
}
