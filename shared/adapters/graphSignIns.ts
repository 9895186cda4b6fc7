import { type Client } from '@microsoft/microsoft-graph-client';

import { type SignInReaderPort, type SignInUsage } from '../rotation/ports';
import { fromUpstreamError } from './upstreamError';

interface SignInRecord {
    createdDateTime?: string;
    servicePrincipalCredentialKeyId?: string | null;
}

interface SignInPage {
    value?: SignInRecord[];
    '@odata.nextLink'?: string;
}

/** Bound on pages read per check: a busy app has many sign-ins, but we only need to know "any with this key". */
const MAX_PAGES = 20;

/**
 * Service-principal sign-ins by credential keyId, from the beta sign-in log (the credential fields are beta
 * only, and service-principal sign-ins appear only with an explicit event-type filter).
 */
export class GraphSignIns implements SignInReaderPort {
    constructor(private readonly client: Client) {}

    async signInsWithKeys(appId: string, keys: readonly { keyId: string; since: string }[]): Promise<SignInUsage[]> {
        if (keys.length === 0) return [];
        const sinceMs = keys.map((k) => Date.parse(k.since));
        const earliest = new Date(Math.min(...sinceMs)).toISOString();
        const filter =
            `signInEventTypes/any(t: t eq 'servicePrincipal') and appId eq '${appId.replace(/'/g, "''")}'` +
            ` and createdDateTime ge ${earliest}`;
        const wanted = keys.map((k) => k.keyId.toLowerCase());
        const usage = keys.map((): { count: number; lastSeen: string | undefined } => ({
            count: 0,
            lastSeen: undefined,
        }));
        try {
            let page = (await this.client
                .api('/auditLogs/signIns')
                .version('beta')
                .filter(filter)
                .top(1000)
                .get()) as SignInPage;
            for (let pages = 1; ; pages++) {
                for (const record of page.value ?? []) {
                    const index = wanted.indexOf(record.servicePrincipalCredentialKeyId?.toLowerCase() ?? '');
                    const at = record.createdDateTime;
                    const entry = usage[index];
                    // Each key counts only from its own `since`; the query starts at the earliest of them.
                    if (!entry || !at || Date.parse(at) < (sinceMs[index] ?? 0)) continue;
                    entry.count += 1;
                    if (!entry.lastSeen || at > entry.lastSeen) entry.lastSeen = at;
                }
                const next = page['@odata.nextLink'];
                if (!next || pages >= MAX_PAGES) break;
                page = (await this.client.api(next).get()) as SignInPage;
            }
        } catch (error) {
            throw fromUpstreamError('graph', 'read sign-in logs', error);
        }
        return usage;
    }
}
