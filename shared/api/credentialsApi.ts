import { type Inventory } from '../scan/inventory';
import { type StateStorePort } from '../scan/ports';
import { INVENTORY_KEY } from '../scan/scanTenant';
import { type AuthResult, type OperatorRole, OperatorRoles } from './operatorAuth';
import { apiError, type ApiRequest, type ApiResponse, intParam } from './rotationsApi';

export interface CredentialsApiDeps {
    readonly authorize: (authorization: string | null, role: OperatorRole) => Promise<AuthResult>;
    readonly state: StateStorePort;
}

const STATES = new Set([
    'Active',
    'ExpiringSoon',
    'Rotating',
    'GracePeriod',
    'Expired',
    'CleanedUp',
    'AttentionRequired',
]);

/** GET /api/credentials?state=&managed=&top=&skip=: the last scan's inventory. */
export async function listCredentialsRoute(deps: CredentialsApiDeps, request: ApiRequest): Promise<ApiResponse> {
    const auth = await deps.authorize(request.authorization, OperatorRoles.read);
    if (!auth.ok) return apiError(auth.status, auth.code, auth.message);
    const state = request.query.get('state');
    const managed = request.query.get('managed');
    // Digits only (as the other routes): Number() would take '+3', '1e3', '0x10' and ' 1'.
    const top = intParam(request.query.get('top'), 100, 1, 1000) ?? NaN;
    const skip = intParam(request.query.get('skip'), 0, 0, 1_000_000) ?? NaN;
    if ((state !== null && !STATES.has(state)) || (managed !== null && managed !== 'true' && managed !== 'false')) {
        return apiError(400, 'invalid_request', 'state must be a lifecycle state and managed true or false');
    }
    if (!Number.isInteger(top) || top < 1 || top > 1000 || !Number.isInteger(skip) || skip < 0) {
        return apiError(400, 'invalid_request', 'top must be 1-1000 and skip >= 0');
    }
    const inventory = await deps.state.read<Inventory>(INVENTORY_KEY);
    if (!inventory) {
        return {
            status: 200,
            jsonBody: { generatedAt: null, counts: null, items: [], total: 0, message: 'no scan has completed yet' },
        };
    }
    const filtered = inventory.credentials.filter(
        (c) => (state === null || c.state === state) && (managed === null || String(c.managed) === managed),
    );
    const items = filtered.slice(skip, skip + top);
    return {
        status: 200,
        jsonBody: {
            generatedAt: inventory.generatedAt,
            paused: inventory.paused,
            counts: inventory.counts,
            omitted: inventory.omitted,
            items,
            total: filtered.length,
            ...(skip + top < filtered.length ? { nextLink: nextLink(state, managed, top, skip + top) } : {}),
        },
    };
}

function nextLink(state: string | null, managed: string | null, top: number, skip: number): string {
    const q = new URLSearchParams();
    if (state !== null) q.set('state', state);
    if (managed !== null) q.set('managed', managed);
    q.set('top', String(top));
    q.set('skip', String(skip));
    return `/api/credentials?${q.toString()}`;
}
