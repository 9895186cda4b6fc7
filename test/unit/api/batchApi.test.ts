import { type DurableOrchestrationStatus } from 'durable-functions';
import { describe, expect, it } from 'vitest';

import { type BatchApiDeps, estimateFinish, getBatchRoute, startBatchRoute } from '../../../shared/api/batchApi';
import { type ApiRequest } from '../../../shared/api/rotationsApi';
import { type StartRequest } from '../../../shared/rotation/starter';
import { type ManagedSecretRef, type StateStorePort, unchanged } from '../../../shared/scan/ports';

const VAULT = 'https://kv-one.vault.azure.net';
const OTHER_VAULT = 'https://kv-two.vault.azure.net';
const NOW = new Date('2026-12-06T02:00:00.000Z');
const appId = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
const ref = (i: number, vaultUrl = VAULT, enabled = true): ManagedSecretRef => ({
    vaultUrl,
    secretName: `secret-${i}`,
    version: 'v1',
    enabled,
    appId: appId(i),
    keyId: `key-${i}`,
});

class MemoryState implements StateStorePort {
    readonly docs = new Map<string, unknown>();
    read<T>(key: string): Promise<T | undefined> {
        return Promise.resolve(this.docs.get(key) as T | undefined);
    }
    write(key: string, value: unknown): Promise<void> {
        this.docs.set(key, JSON.parse(JSON.stringify(value)));
        return Promise.resolve();
    }
    update<T>(key: string, change: (current: T | undefined) => T | typeof unchanged): Promise<T | undefined> {
        const next = change(this.docs.get(key) as T | undefined);
        if (next !== unchanged) this.docs.set(key, next);
        return Promise.resolve(this.docs.get(key) as T | undefined);
    }
}

function world(refs: ManagedSecretRef[], options: { paused?: boolean; running?: string[] } = {}) {
    const starts: StartRequest[] = [];
    const statuses = new Map<string, DurableOrchestrationStatus>();
    const state = new MemoryState();
    const deps: BatchApiDeps = {
        authorize: (_authz, _role) => Promise.resolve({ ok: true, caller: { appId: 'op', objectId: 'op', roles: [] } }),
        getStatus: (id) => Promise.resolve(statuses.get(id)),
        start: (r) => {
            starts.push(r);
            const id = `rotate@kv@${r.secretName}`;
            return Promise.resolve({ id, alreadyRunning: options.running?.includes(r.secretName) ?? false });
        },
        index: {
            listManaged: (vaults) => Promise.resolve(refs.filter((r) => vaults.includes(r.vaultUrl))),
            listSecrets: (vaults) =>
                Promise.resolve(
                    refs
                        .filter((r) => vaults.includes(r.vaultUrl))
                        .map((r) => ({ ...r, tags: { appId: r.appId, keyId: r.keyId } })),
                ),
            current: () => Promise.resolve(undefined),
        },
        // Every ref is enrolled for the credential its tags name (the API enrolled it).
        bindings: {
            list: () =>
                Promise.resolve(
                    refs.map((r) => ({
                        vaultUrl: r.vaultUrl,
                        secretName: r.secretName,
                        appId: r.appId,
                        keyId: r.keyId,
                        enrolledAt: NOW.toISOString(),
                        enrolledBy: { kind: 'operator' as const, objectId: 'op', appId: 'op', name: null },
                        reason: 'test',
                        updatedAt: NOW.toISOString(),
                        lastRotationId: null,
                    })),
                ),
        },
        state,
        vaultUrls: [VAULT, OTHER_VAULT],
        paused: options.paused ?? false,
        now: () => Promise.resolve(NOW),
        quotas: { graphWrites: { limit: 3000, windowSeconds: 150 }, signInReads: { limit: 5, windowSeconds: 10 } },
        gracePeriodDays: 7,
    };
    return { deps, starts, statuses, state };
}

const post = (body: unknown): ApiRequest => ({
    authorization: 'Bearer x',
    params: {},
    query: new URLSearchParams(),
    json: () => Promise.resolve(body),
});
const get = (id: string): ApiRequest => ({
    authorization: 'Bearer x',
    params: { id },
    query: new URLSearchParams(),
    json: () => Promise.resolve(undefined),
});

function status(
    secretName: string,
    runtimeStatus: string,
    record: Record<string, unknown>,
): DurableOrchestrationStatus {
    return {
        name: 'rotateCredential',
        instanceId: `rotate@kv@${secretName}`,
        runtimeStatus,
        input: { vaultUrl: VAULT, secretName, trigger: 'api' },
        customStatus: record,
        output: runtimeStatus === 'Completed' ? record : null,
        createdTime: NOW,
        lastUpdatedTime: NOW,
    } as unknown as DurableOrchestrationStatus;
}

describe('POST /api/rotations/batch', () => {
    it('starts every managed secret of the selector through the starter, emergency as high priority, and records the batch', async () => {
        const w = world([ref(1), ref(2), ref(3, OTHER_VAULT)], { running: ['secret-2'] });
        const res = await startBatchRoute(
            w.deps,
            post({ selector: { all: true }, reason: 'leaked in a log', emergency: true }),
        );
        expect(res.status).toBe(202);
        expect(res.jsonBody).toMatchObject({ total: 3, started: 2, joined: 1, failedToStart: [] });
        expect(w.starts.map((s) => [s.secretName, s.trigger, s.priority, s.dryRun])).toEqual([
            ['secret-1', 'api', 'high', false],
            ['secret-2', 'api', 'high', false],
            ['secret-3', 'api', 'high', false],
        ]);
        expect(w.starts[0]?.reason).toMatch(/^batch [0-9a-f-]{36}: leaked in a log$/);
        const id = (res.jsonBody as { id: string }).id;
        expect(w.state.docs.get(`batches/${id}`)).toMatchObject({ reason: 'leaked in a log', emergency: true });
    });

    it('routine batches are normal priority; a vault selector takes only that vault', async () => {
        const w = world([ref(1), ref(2, OTHER_VAULT)]);
        const res = await startBatchRoute(w.deps, post({ selector: { vaultUrl: OTHER_VAULT }, reason: 'quarterly' }));
        expect(res.status).toBe(202);
        expect(w.starts.map((s) => [s.secretName, s.priority])).toEqual([['secret-2', 'normal']]);
    });

    it('selects by secret names or app ids', async () => {
        const w = world([ref(1), ref(2), ref(3)]);
        await startBatchRoute(w.deps, post({ selector: { secretNames: ['secret-3', 'SECRET-1'] }, reason: 'x' }));
        await startBatchRoute(w.deps, post({ selector: { appIds: [appId(2)] }, reason: 'x' }));
        expect(w.starts.map((s) => s.secretName)).toEqual(['secret-3', 'secret-1', 'secret-2']);
    });

    it.each([
        ['no reason', { selector: { all: true } }, 400, 'invalid_request'],
        ['an empty reason', { selector: { all: true }, reason: '  ' }, 400, 'invalid_request'],
        ['an unknown selector', { selector: { everything: true }, reason: 'x' }, 400, 'invalid_request'],
        ['two selectors', { selector: { all: true, appIds: [appId(1)] }, reason: 'x' }, 400, 'invalid_request'],
        ['an unknown field', { selector: { all: true }, reason: 'x', force: true }, 400, 'invalid_request'],
        [
            'a vault it does not manage',
            { selector: { vaultUrl: 'https://kv-x.vault.azure.net' }, reason: 'x' },
            400,
            'invalid_request',
        ],
        [
            'a secret that is not managed',
            { selector: { secretNames: ['secret-1', 'nope'] }, reason: 'x' },
            400,
            'not_managed',
        ],
        ['an app that is not managed', { selector: { appIds: [appId(1), appId(9)] }, reason: 'x' }, 400, 'not_managed'],
    ])('%s: %i %s and nothing starts', async (_name, body, code, error) => {
        const w = world([ref(1), ref(2)]);
        const res = await startBatchRoute(w.deps, post(body));
        expect(res.status).toBe(code);
        expect(res.jsonBody).toMatchObject({ error: { code: error } });
        expect(w.starts).toEqual([]);
        expect(w.state.docs.size).toBe(0);
    });

    it('a dry run answers with the selection and the estimate and starts nothing', async () => {
        const w = world([ref(1), ref(2), ref(3, VAULT, false)]);
        const res = await startBatchRoute(w.deps, post({ selector: { all: true }, reason: 'what if', dryRun: true }));
        expect(res.status).toBe(200);
        expect(res.jsonBody).toMatchObject({ dryRun: true, total: 2, skippedDisabled: ['secret-3'] });
        expect(w.starts).toEqual([]);
    });

    it('paused: 409 for a real batch, nothing starts', async () => {
        const w = world([ref(1)], { paused: true });
        expect((await startBatchRoute(w.deps, post({ selector: { all: true }, reason: 'x' }))).status).toBe(409);
        expect(w.starts).toEqual([]);
    });
});

describe('GET /api/rotations/batch/{id}', () => {
    it('reports done / waiting on quota / in grace / needs action', async () => {
        const w = world([ref(1), ref(2), ref(3), ref(4)]);
        const res = await startBatchRoute(w.deps, post({ selector: { all: true }, reason: 'leak' }));
        const id = (res.jsonBody as { id: string }).id;
        w.statuses.set('rotate@kv@secret-1', status('secret-1', 'Completed', { status: 'Completed', steps: [] }));
        w.statuses.set(
            'rotate@kv@secret-2',
            status('secret-2', 'Running', {
                status: 'Running',
                steps: [
                    {
                        name: 'create',
                        state: 'waiting',
                        at: '',
                        detail: 'waiting for quota until 2026-12-06T02:05:00.000Z',
                    },
                ],
            }),
        );
        w.statuses.set(
            'rotate@kv@secret-3',
            status('secret-3', 'Running', {
                status: 'Running',
                steps: [
                    { name: 'create', state: 'succeeded', at: '', detail: '' },
                    { name: 'grace', state: 'waiting', at: '', detail: 'until 2026-12-13T02:00:00.000Z' },
                ],
            }),
        );
        w.statuses.set(
            'rotate@kv@secret-4',
            status('secret-4', 'Completed', {
                status: 'AttentionRequired',
                reason: { code: 'still_in_use', message: 'm' },
                steps: [],
            }),
        );
        const progress = await getBatchRoute(w.deps, get(id));
        expect(progress.status).toBe(200);
        expect(progress.jsonBody).toMatchObject({
            total: 4,
            done: 1,
            waitingOnQuota: 1,
            inGrace: 1,
            needsAction: 1,
            finished: false,
            needsActionItems: [{ secretName: 'secret-4', status: 'AttentionRequired' }],
            // The last grace period ends in 7 days: that binds, not the quotas.
            estimate: { bindingQuota: 'gracePeriod' },
        });
    });

    it('404 for an unknown batch', async () => {
        const w = world([]);
        expect((await getBatchRoute(w.deps, get('00000000-0000-4000-8000-000000000000'))).status).toBe(404);
        expect((await getBatchRoute(w.deps, get('../etc'))).status).toBe(404);
    });
});

describe('estimateFinish', () => {
    const deps = {
        quotas: { graphWrites: { limit: 3000, windowSeconds: 150 }, signInReads: { limit: 5, windowSeconds: 10 } },
        gracePeriodDays: 0,
    };
    const open = (n: number, p: { created: boolean; gateDone: boolean }) =>
        Array.from({ length: n }, () => ({ ...p, graceEnds: undefined }));

    it('with no grace, 300 usage checks share the sign-in collector\'s reads: 600 writes at 18/s bind (33 s)', () => {
        const e = estimateFinish(deps, NOW, open(300, { created: false, gateDone: false }));
        expect(e.bindingQuota).toBe('graphWrites');
        expect(e.seconds).toBe(Math.round(600 / 18));
    });

    it('300 rotations left at the usage gate cost one shared sign-in read, so their 300 deletes bind (17 s, not 667 s)', () => {
        const e = estimateFinish(deps, NOW, open(300, { created: true, gateDone: false }));
        expect(e.bindingQuota).toBe('graphWrites');
        expect(e.seconds).toBe(Math.round(300 / 18));
    });

    it('writes bind when only deletes and creates are left', () => {
        const e = estimateFinish(deps, NOW, open(3000, { created: false, gateDone: true }));
        expect(e.bindingQuota).toBe('graphWrites');
        expect(e.seconds).toBe(Math.round(6000 / 18));
    });

    it('nothing open: finished now', () => {
        expect(estimateFinish(deps, NOW, [])).toMatchObject({ seconds: 0, bindingQuota: 'none' });
    });
});

describe('batch starts record who asked', () => {
    it('every rotation a batch starts carries the caller from the verified token, and the batch status shows it', async () => {
        const w = world([ref(1), ref(2)]);
        w.deps = {
            ...w.deps,
            authorize: () =>
                Promise.resolve({
                    ok: true as const,
                    caller: { appId: 'spa-client', objectId: 'user-oid', name: 'Ana', roles: [] },
                }),
        };
        const res = await startBatchRoute(w.deps, post({ selector: { all: true }, reason: 'leak' }));
        expect(res.status).toBe(202);
        expect(w.starts.map((s) => s.startedBy)).toEqual([
            { objectId: 'user-oid', appId: 'spa-client', name: 'Ana' },
            { objectId: 'user-oid', appId: 'spa-client', name: 'Ana' },
        ]);
        const id = (res.jsonBody as { id: string }).id;
        const state = await getBatchRoute(w.deps, get(id));
        expect(state.jsonBody).toMatchObject({ startedBy: { objectId: 'user-oid', name: 'Ana' } });
    });
});
