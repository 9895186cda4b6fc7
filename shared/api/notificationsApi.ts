import { NOTIFICATIONS_KEY, type RecordedNotifications } from '../adapters/recordingNotifier';
import { isValidSecretName } from '../rotation/markers';
import { type StateStorePort } from '../scan/ports';
import { type AuthResult, type OperatorRole, OperatorRoles } from './operatorAuth';
import { apiError, type ApiRequest, type ApiResponse } from './rotationsApi';

export interface NotificationsApiDeps {
    readonly authorize: (authorization: string | null, role: OperatorRole) => Promise<AuthResult>;
    readonly state: StateStorePort;
}

/**
 * GET /api/notifications?top=&secretName=: the lifecycle CloudEvents this app published, newest first, from its
 * own record (the last 200). Read-only; the events carry references and evidence, never secret text.
 */
export async function listNotificationsRoute(deps: NotificationsApiDeps, request: ApiRequest): Promise<ApiResponse> {
    const auth = await deps.authorize(request.authorization, OperatorRoles.read);
    if (!auth.ok) return apiError(auth.status, auth.code, auth.message);
    const rawTop = request.query.get('top');
    const top = rawTop === null || rawTop === '' ? 50 : /^\d+$/.test(rawTop) ? Number(rawTop) : NaN;
    const secretName = request.query.get('secretName');
    if (!(top >= 1 && top <= 200)) return apiError(400, 'invalid_request', 'top must be 1-200');
    if (secretName !== null && !isValidSecretName(secretName)) {
        return apiError(400, 'invalid_request', 'secretName must be a Key Vault secret name');
    }
    const record = await deps.state.read<RecordedNotifications>(NOTIFICATIONS_KEY);
    const matching = (record?.events ?? []).filter((e) => secretName === null || e.data.secretName === secretName);
    const items = [...matching]
        .reverse()
        .slice(0, top)
        .map((e) => ({ id: e.id, type: e.type, subject: e.subject, time: e.time, data: e.data }));
    return { status: 200, jsonBody: { items, total: matching.length, updatedAt: record?.updatedAt ?? null } };
}
