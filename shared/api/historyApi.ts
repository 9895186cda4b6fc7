import { type DurableClient, OrchestrationRuntimeStatus } from 'durable-functions';
import { z } from 'zod';

import { type HistoryRecord, type RotationHistory } from '../history/rotationHistory';
import { isRotationInstanceId, isValidSecretName, normalizeVaultUrl } from '../rotation/markers';
import { ACCEPT_NO_EVIDENCE_EVENT, isRotationOrchestration } from '../rotation/names';
import { tryGetStatus } from '../rotation/starter';
import { type RotationRecord } from '../workflows/timeline';
import { type AuthResult, type OperatorRole, OperatorRoles } from './operatorAuth';
import { type ApiRequest, type ApiResponse, apiError, intParam, parseJsonBody } from './rotationsApi';

/**
 * The rotation history API: every rotation's immutable record (from the state store, independent of the Durable
 * instance history operators purge), and the operator's "accept no evidence" for a waiting rotation.
 */
export interface HistoryApiDeps {
    readonly authorize: (authorization: string | null, role: OperatorRole) => Promise<AuthResult>;
    readonly history: Pick<RotationHistory, 'list' | 'get' | 'recent'>;
    readonly durable: Pick<DurableClient, 'getStatus' | 'raiseEvent'>;
    readonly vaultUrls: readonly string[];
    readonly defaultVaultUrl: string;
    readonly now: () => Promise<Date>;
}

const MAX_PAGE = 100;
const ROTATION_ID = /^[0-9A-Za-z-]{1,64}$/;

/** The public view of a record: the record itself, with the field names the rotation view uses. */
export function historyView(record: HistoryRecord): Record<string, unknown> {
    return { ...record, createdAt: record.startedAt };
}

function page(request: ApiRequest): { top: number; skip: number } | undefined {
    const top = intParam(request.query.get('top'), 20, 1, MAX_PAGE);
    const skip = intParam(request.query.get('skip'), 0, 0, 1_000_000);
    return top === undefined || skip === undefined ? undefined : { top, skip };
}

/** The secret a per-secret route names: a valid name in one of the managed vaults, or the 400 to answer. */
function secretOf(
    deps: HistoryApiDeps,
    request: ApiRequest,
): { vaultUrl: string; secretName: string } | { error: ApiResponse } {
    const secretName = request.params.secretName ?? '';
    if (!isValidSecretName(secretName)) {
        return {
            error: apiError(
                400,
                'invalid_request',
                'secretName must be a Key Vault secret name (1-127 letters, digits, dashes)',
            ),
        };
    }
    const raw = request.query.get('vaultUrl') ?? deps.defaultVaultUrl;
    let vaultUrl: string;
    try {
        vaultUrl = normalizeVaultUrl(raw);
    } catch {
        return { error: apiError(400, 'invalid_request', 'vaultUrl must be an https URL') };
    }
    if (!deps.vaultUrls.some((u) => normalizeVaultUrl(u) === vaultUrl)) {
        return { error: apiError(400, 'invalid_request', 'vaultUrl is not one of the vaults this rotator manages') };
    }
    return { vaultUrl, secretName };
}

/** GET /api/secrets/{secretName}/rotations?vaultUrl=&top=&skip= : one secret's rotations, newest first. */
export async function listSecretRotationsRoute(deps: HistoryApiDeps, request: ApiRequest): Promise<ApiResponse> {
    const auth = await deps.authorize(request.authorization, OperatorRoles.read);
    if (!auth.ok) return apiError(auth.status, auth.code, auth.message);
    const secret = secretOf(deps, request);
    if ('error' in secret) return secret.error;
    const paging = page(request);
    if (!paging) return apiError(400, 'invalid_request', `top must be 1-${MAX_PAGE}, skip >= 0`);
    const all = await deps.history.list(secret.vaultUrl, secret.secretName);
    const items = all.slice(paging.skip, paging.skip + paging.top).map(historyView);
    const more = paging.skip + paging.top < all.length;
    const base = `/api/secrets/${encodeURIComponent(secret.secretName)}/rotations`;
    const next = `${base}?vaultUrl=${encodeURIComponent(secret.vaultUrl)}&top=${paging.top}&skip=${paging.skip + paging.top}`;
    return { status: 200, jsonBody: { items, total: all.length, ...(more ? { nextLink: next } : {}) } };
}

/** GET /api/secrets/{secretName}/rotations/{rotationId}?vaultUrl= : one rotation's record. */
export async function getSecretRotationRoute(deps: HistoryApiDeps, request: ApiRequest): Promise<ApiResponse> {
    const auth = await deps.authorize(request.authorization, OperatorRoles.read);
    if (!auth.ok) return apiError(auth.status, auth.code, auth.message);
    const secret = secretOf(deps, request);
    if ('error' in secret) return secret.error;
    const rotationId = request.params.rotationId ?? '';
    if (!ROTATION_ID.test(rotationId)) return apiError(404, 'not_found', 'no rotation with that id for this secret');
    const record = await deps.history.get(secret.vaultUrl, secret.secretName, rotationId);
    if (!record) return apiError(404, 'not_found', 'no rotation with that id for this secret');
    return { status: 200, jsonBody: historyView(record) };
}

/** GET /api/rotations/history?top=&skip= : every secret's rotations, newest first (the dashboard's history). */
export async function recentHistoryRoute(deps: HistoryApiDeps, request: ApiRequest): Promise<ApiResponse> {
    const auth = await deps.authorize(request.authorization, OperatorRoles.read);
    if (!auth.ok) return apiError(auth.status, auth.code, auth.message);
    const paging = page(request);
    if (!paging) return apiError(400, 'invalid_request', `top must be 1-${MAX_PAGE}, skip >= 0`);
    const { items, more } = await deps.history.recent(paging.top, paging.skip);
    return {
        status: 200,
        jsonBody: {
            items: items.map(historyView),
            ...(more ? { nextLink: `/api/rotations/history?top=${paging.top}&skip=${paging.skip + paging.top}` } : {}),
        },
    };
}

const WaiverBody = z
    .object({ reason: z.string().trim().min(1, 'say why (it is kept in the rotation history)').max(500) })
    .strict();

/**
 * POST /api/rotations/{id}/accept-no-evidence {"reason"}: the operator accepts that nothing can show a consumer
 * using the new key, for this one rotation, while it waits for that decision (AttentionRequired
 * no_switch_evidence). Rotation.Admin: it lets the old key be deleted on the sign-in log's silence alone.
 */
export async function acceptNoEvidenceRoute(deps: HistoryApiDeps, request: ApiRequest): Promise<ApiResponse> {
    const auth = await deps.authorize(request.authorization, OperatorRoles.admin);
    if (!auth.ok) return apiError(auth.status, auth.code, auth.message);
    const id = request.params.id ?? '';
    if (!isRotationInstanceId(id)) return apiError(404, 'not_found', 'no rotation with that id');
    const parsed = await parseJsonBody(request, WaiverBody);
    if (!parsed.ok) return parsed.response;
    const status = await tryGetStatus(deps.durable, id);
    if (!status || !isRotationOrchestration(status.name)) return apiError(404, 'not_found', 'no rotation with that id');
    const custom = status.customStatus as Partial<RotationRecord> | null;
    const running = status.runtimeStatus === OrchestrationRuntimeStatus.Running;
    if (!running || custom?.awaiting?.action !== 'acceptNoEvidence') {
        return apiError(
            409,
            'not_awaiting_waiver',
            'this rotation is not waiting for an operator to accept "no evidence" (only a running rotation that ended its checks without switch evidence is)',
        );
    }
    const by = {
        objectId: auth.caller.objectId ?? null,
        appId: auth.caller.appId ?? null,
        name: auth.caller.name ?? null,
    };
    await deps.durable.raiseEvent(id, ACCEPT_NO_EVIDENCE_EVENT, { by, reason: parsed.data.reason });
    return {
        status: 202,
        jsonBody: {
            id,
            accepted: true,
            by,
            reason: parsed.data.reason,
            at: (await deps.now()).toISOString(),
            statusUrl: `/api/rotations/${encodeURIComponent(id)}`,
        },
    };
}
