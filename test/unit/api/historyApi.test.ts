import { type DurableOrchestrationStatus, OrchestrationRuntimeStatus } from 'durable-functions';
import { describe, expect, it } from 'vitest';

import {
    acceptNoEvidenceRoute,
    getSecretRotationRoute,
    type HistoryApiDeps,
    listSecretRotationsRoute,
    recentHistoryRoute,
} from '../../../shared/api/historyApi';
import { OperatorRoles } from '../../../shared/api/operatorAuth';
import { type ApiRequest, toRotationView } from '../../../shared/api/rotationsApi';
import { type HistoryRecord, RotationHistory } from '../../../shared/history/rotationHistory';
import { historyRecord } from '../../support/builders/historyRecord';
import { MemoryStateStore } from '../../support/fakes/MemoryStateStore';

const VAULT = 'https://kv-one.vault.azure.net';
const ID = 'rotate@kv-one.vault.azure.net@billing@0b9c4f5e-1111-4222-8333-444455556666';
const NOW = new Date('2026-12-06T05:00:00.000Z');

function record(rotationId: string, startedAt: string, overrides: Partial<HistoryRecord> = {}): HistoryRecord {
    return historyRecord({
        rotationId,
        vaultUrl: VAULT,
        reason: 'r',
        status: 'Completed',
        final: true,
        startedAt,
        updatedAt: startedAt,
        finishedAt: startedAt,
        ...overrides,
    });
}

function waiting(runtimeStatus = OrchestrationRuntimeStatus.Running, awaiting = true): DurableOrchestrationStatus {
    return {
        name: 'rotateCredential_v2',
        instanceId: ID,
        runtimeStatus,
        input: { vaultUrl: VAULT, secretName: 'billing', trigger: 'timer' },
        customStatus: {
            status: 'AttentionRequired',
            reason: { code: 'no_switch_evidence', message: 'm' },
            steps: [],
            evidence: [],
            awaiting: awaiting ? { action: 'acceptNoEvidence', until: '2026-12-09T05:00:00.000Z' } : null,
        },
        createdTime: NOW,
        lastUpdatedTime: NOW,
    } as unknown as DurableOrchestrationStatus;
}

async function setup(roles: string[] = [OperatorRoles.read, OperatorRoles.admin]) {
    const history = new RotationHistory(new MemoryStateStore());
    await history.save(record('r-1', '2026-11-01T00:00:00.000Z'), NOW);
    await history.save(record('r-2', '2026-12-01T00:00:00.000Z', { status: 'Failed' }), NOW);
    const raised: { id: string; name: string; data: unknown }[] = [];
    const statuses = new Map<string, DurableOrchestrationStatus>([[ID, waiting()]]);
    const deps: HistoryApiDeps = {
        authorize: (authorization, role) =>
            Promise.resolve(
                authorization !== 'Bearer ok'
                    ? { ok: false as const, status: 401 as const, code: 'unauthorized' as const, message: 'no token' }
                    : roles.includes(role)
                      ? { ok: true as const, caller: { objectId: 'oid-ana', appId: 'spa', name: 'Ana', roles } }
                      : {
                            ok: false as const,
                            status: 403 as const,
                            code: 'forbidden' as const,
                            message: `needs ${role}`,
                        },
            ),
        history,
        durable: {
            getStatus: (id: string) => {
                const s = statuses.get(id);
                return s ? Promise.resolve(s) : Promise.reject(new Error('HTTP 404'));
            },
            raiseEvent: (id: string, name: string, data: unknown) => {
                raised.push({ id, name, data });
                return Promise.resolve();
            },
        },
        vaultUrls: [VAULT],
        defaultVaultUrl: VAULT,
        now: () => Promise.resolve(NOW),
    };
    return { deps, raised, statuses };
}

const req = (
    params: Record<string, string>,
    query: Record<string, string> = {},
    body: unknown = undefined,
    authorization: string | null = 'Bearer ok',
): ApiRequest => ({
    authorization,
    params,
    query: new URLSearchParams(query),
    json: () => (body === 'not json' ? Promise.reject(new SyntaxError('bad')) : Promise.resolve(body)),
});
const errorOf = (res: { jsonBody: unknown }) => (res.jsonBody as { error: { code: string; message: string } }).error;

describe('history API: immutable rotation records', () => {
    it("lists a secret's rotations newest first, reads one, pages", async () => {
        const { deps } = await setup();
        const list = await listSecretRotationsRoute(deps, req({ secretName: 'billing' }));
        expect(list.status).toBe(200);
        expect(list.jsonBody).toMatchObject({
            total: 2,
            items: [
                { rotationId: 'r-2', status: 'Failed', createdAt: '2026-12-01T00:00:00.000Z' },
                { rotationId: 'r-1', status: 'Completed' },
            ],
        });
        const paged = await listSecretRotationsRoute(deps, req({ secretName: 'BILLING' }, { top: '1' }));
        expect(paged.jsonBody).toMatchObject({ total: 2, items: [{ rotationId: 'r-2' }] });
        expect((paged.jsonBody as { nextLink: string }).nextLink).toContain('skip=1');
        const one = await getSecretRotationRoute(
            deps,
            req({ secretName: 'billing', rotationId: 'r-1' }, { vaultUrl: `${VAULT}/` }),
        );
        expect(one).toMatchObject({ status: 200, jsonBody: { rotationId: 'r-1', final: true } });
        const recent = await recentHistoryRoute(deps, req({}, { top: '5' }));
        expect(recent.jsonBody).toMatchObject({ items: [{ rotationId: 'r-2' }, { rotationId: 'r-1' }] });
    });

    it('answers 401 without a token, 404 for an unknown rotation, 400 for bad input (error shape)', async () => {
        const { deps } = await setup();
        const unauth = await listSecretRotationsRoute(deps, req({ secretName: 'billing' }, {}, undefined, null));
        expect(unauth.status).toBe(401);
        expect(errorOf(unauth).code).toBe('unauthorized');
        expect((await recentHistoryRoute(deps, req({}, {}, undefined, null))).status).toBe(401);

        const missing = await getSecretRotationRoute(deps, req({ secretName: 'billing', rotationId: 'nope' }));
        expect(missing.status).toBe(404);
        expect(errorOf(missing).code).toBe('not_found');
        const odd = await getSecretRotationRoute(deps, req({ secretName: 'billing', rotationId: '..%2Fx' }));
        expect(odd.status).toBe(404);

        for (const bad of [
            listSecretRotationsRoute(deps, req({ secretName: 'no_such/name' })),
            listSecretRotationsRoute(
                deps,
                req({ secretName: 'billing' }, { vaultUrl: 'https://kv-other.vault.azure.net' }),
            ),
            listSecretRotationsRoute(deps, req({ secretName: 'billing' }, { vaultUrl: 'not a url' })),
            listSecretRotationsRoute(deps, req({ secretName: 'billing' }, { top: '0' })),
            recentHistoryRoute(deps, req({}, { top: '500' })),
        ]) {
            const res = await bad;
            expect(res.status).toBe(400);
            expect(errorOf(res).code).toBe('invalid_request');
        }
    });
});

describe('accept "no evidence" for a waiting rotation (issue 12 defect 4)', () => {
    it('raises the event with the caller and the reason (Rotation.Admin)', async () => {
        const { deps, raised } = await setup();
        const res = await acceptNoEvidenceRoute(deps, req({ id: ID }, {}, { reason: 'batch job has no probe' }));
        expect(res.status).toBe(202);
        expect(raised).toEqual([
            {
                id: ID,
                name: 'acceptNoEvidence',
                data: { by: { objectId: 'oid-ana', appId: 'spa', name: 'Ana' }, reason: 'batch job has no probe' },
            },
        ]);
    });

    it('refuses without the Admin role, without a reason, for an unknown id or a rotation that is not waiting: nothing raised', async () => {
        const readOnly = await setup([OperatorRoles.read, OperatorRoles.write]);
        const forbidden = await acceptNoEvidenceRoute(readOnly.deps, req({ id: ID }, {}, { reason: 'x' }));
        expect(forbidden.status).toBe(403);
        expect(errorOf(forbidden).code).toBe('forbidden');
        expect(readOnly.raised).toEqual([]);

        const { deps, raised, statuses } = await setup();
        const cases: [ApiRequest, number, string][] = [
            [req({ id: ID }, {}, { reason: 'x' }, null), 401, 'unauthorized'],
            [req({ id: ID }, {}, {}), 400, 'invalid_request'],
            [req({ id: ID }, {}, { reason: '   ' }), 400, 'invalid_request'],
            [req({ id: ID }, {}, { reason: 'x', extra: 1 }), 400, 'invalid_request'],
            [req({ id: ID }, {}, 'not json'), 400, 'invalid_request'],
            [req({ id: 'rotate@kv-one.vault.azure.net@billing@missing' }, {}, { reason: 'x' }), 404, 'not_found'],
            [req({ id: '../admin' }, {}, { reason: 'x' }), 404, 'not_found'],
        ];
        for (const [request, status, code] of cases) {
            const res = await acceptNoEvidenceRoute(deps, request);
            expect([res.status, errorOf(res).code]).toEqual([status, code]);
        }
        statuses.set(ID, waiting(OrchestrationRuntimeStatus.Running, false));
        const notWaiting = await acceptNoEvidenceRoute(deps, req({ id: ID }, {}, { reason: 'x' }));
        expect([notWaiting.status, errorOf(notWaiting).code]).toEqual([409, 'not_awaiting_waiver']);
        statuses.set(ID, waiting(OrchestrationRuntimeStatus.Completed, true));
        expect((await acceptNoEvidenceRoute(deps, req({ id: ID }, {}, { reason: 'x' }))).status).toBe(409);
        expect(raised).toEqual([]);
    });

    it('the rotation view shows a waiting rotation as AttentionRequired with the action offered', () => {
        const view = toRotationView(waiting());
        expect(view).toMatchObject({
            status: 'AttentionRequired',
            awaiting: { action: 'acceptNoEvidence' },
            outcome: { code: 'no_switch_evidence' },
        });
        expect(toRotationView(waiting(OrchestrationRuntimeStatus.Running, false)).status).toBe('Running');
    });
});
