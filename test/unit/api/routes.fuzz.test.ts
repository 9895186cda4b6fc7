import fc from 'fast-check';
import { type DurableOrchestrationStatus } from 'durable-functions';
import { describe, expect, it } from 'vitest';

import { type BatchApiDeps, getBatchRoute, startBatchRoute } from '../../../shared/api/batchApi';
import {
    bindingHistoryRoute,
    type BindingsApiDeps,
    enrollRoute,
    importRoute,
    listBindingsRoute,
    unenrollRoute,
} from '../../../shared/api/bindingsApi';
import { listCredentialsRoute } from '../../../shared/api/credentialsApi';
import { listNotificationsRoute } from '../../../shared/api/notificationsApi';
import {
    type ApiRequest,
    type ApiResponse,
    getRotationRoute,
    listRotationsRoute,
    type RotationsApiDeps,
    startRotationRoute,
} from '../../../shared/api/rotationsApi';
import { BindingStore, ENROLLMENT_KEY } from '../../../shared/enrollment/bindings';
import { type StartRequest } from '../../../shared/rotation/starter';
import { MemoryStateStore } from '../../support/fakes/MemoryStateStore';

const VAULT = 'https://kv.vault.azure.net';
const APP = 'aaaaaaaa-0000-4000-8000-000000000001';
const KEY = 'bbbbbbbb-0000-4000-8000-000000000001';

/** Every route with fakes that record what would change: starts, management-URL ids, the enrollment document. */
function world() {
    const state = new MemoryStateStore();
    const bindings = new BindingStore(state);
    const starts: StartRequest[] = [];
    const statusIds: string[] = [];
    const published: unknown[] = [];
    const secret = { vaultUrl: VAULT, secretName: 'payroll-secret', version: 'v1', enabled: true, tags: {} };
    const index = {
        listManaged: () => Promise.resolve([]),
        listSecrets: () => Promise.resolve([secret]),
        current: (_v: string, name: string) => Promise.resolve(name === 'payroll-secret' ? secret : undefined),
    };
    const authorize = () =>
        Promise.resolve({ ok: true as const, caller: { appId: 'op', objectId: 'op', roles: ['Rotation.Admin'] } });
    const rotations: RotationsApiDeps = {
        authorize,
        durable: {
            getStatus: (id: string) => {
                statusIds.push(id);
                return Promise.reject(new Error('HTTP 404'));
            },
            getStatusBy: () => Promise.resolve([] as DurableOrchestrationStatus[]),
        },
        start: (r) => {
            starts.push(r);
            return Promise.resolve({ id: 'rotate@x@y', alreadyRunning: false });
        },
        index,
        bindings,
        notifier: {
            publish: (e) => {
                published.push(...e);
                return Promise.resolve();
            },
        },
        vaultUrls: [VAULT],
        defaultVaultUrl: VAULT,
        paused: false,
        now: () => Promise.resolve(new Date('2026-06-01T00:00:00Z')),
    };
    const enrollment: BindingsApiDeps = {
        authorize,
        bindings,
        index,
        applications: {
            getApplicationByAppId: (appId) =>
                Promise.resolve(
                    appId === APP
                        ? {
                              objectId: 'obj',
                              appId,
                              displayName: 'payroll',
                              passwordCredentials: [
                                  { keyId: KEY, displayName: null, hint: null, startDateTime: null, endDateTime: null },
                              ],
                          }
                        : undefined,
                ),
        },
        ownership: { ownedByRotator: () => Promise.resolve(true), hasServicePrincipal: () => Promise.resolve(true) },
        vaultUrls: [VAULT],
        defaultVaultUrl: VAULT,
        now: rotations.now,
    };
    const batchStatusIds: string[] = [];
    const batch: BatchApiDeps = {
        authorize,
        getStatus: (id) => {
            batchStatusIds.push(id);
            return Promise.resolve(undefined);
        },
        start: rotations.start,
        index,
        bindings,
        state,
        vaultUrls: [VAULT],
        paused: false,
        now: () => Promise.resolve(new Date('2026-06-01T00:00:00Z')),
        quotas: { graphWrites: { limit: 3000, windowSeconds: 150 }, signInReads: { limit: 5, windowSeconds: 10 } },
        gracePeriodDays: 7,
    };
    return { state, starts, statusIds, batchStatusIds, published, rotations, enrollment, batch };
}

const request = (parts: { params?: Record<string, string>; query?: string; body?: unknown; raw?: boolean }) =>
    ({
        authorization: 'Bearer x',
        params: parts.params ?? {},
        query: new URLSearchParams(parts.query ?? ''),
        json: () =>
            parts.raw && typeof parts.body === 'string'
                ? Promise.resolve().then(() => JSON.parse(parts.body as string) as unknown)
                : Promise.resolve(parts.body),
    }) satisfies ApiRequest;

function expectRefused(res: ApiResponse): void {
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    const body = res.jsonBody as { error?: { code?: unknown; message?: unknown } };
    expect(typeof body.error?.code).toBe('string');
    expect(typeof body.error?.message).toBe('string');
}

/** Query values that break naive parsing: numbers out of range, signs, exponents, unicode digits, huge. */
/** A batch body that would start a rotation of the one enrolled secret, and defects that must each refuse it. */
const validBatch = { selector: { secretNames: ['payroll-secret'] }, reason: 'leak drill' };
const batchDefect: fc.Arbitrary<unknown> = fc.oneof(
    // the selector: unknown shapes, mixed shapes, wrong types, empty or oversized lists, names and ids not managed
    fc.constantFrom(
        { selector: { all: false }, reason: 'r' },
        { selector: { all: 'true' }, reason: 'r' },
        { selector: { all: true, vaultUrl: VAULT }, reason: 'r' },
        { selector: { secretNames: [] }, reason: 'r' },
        { selector: { secretNames: 'payroll-secret' }, reason: 'r' },
        { selector: { secretNames: ['payroll-secret', 'not-enrolled'] }, reason: 'r' },
        { selector: { secretNames: ['payroll_secret'] }, reason: 'r' },
        { selector: { secretNames: ['payroll-secret'], vaultUrl: 'http://kv.vault.azure.net' }, reason: 'r' },
        { selector: { secretNames: ['payroll-secret'], vaultUrl: 'https://other.vault.azure.net' }, reason: 'r' },
        { selector: { vaultUrl: 'https://other.vault.azure.net' }, reason: 'r' },
        { selector: { appIds: [APP.toUpperCase().replace(/-/g, '')] }, reason: 'r' },
        { selector: { appIds: ['cccccccc-0000-4000-8000-000000000009'] }, reason: 'r' },
        { selector: { appIds: [APP], secretNames: ['payroll-secret'] }, reason: 'r' },
        { selector: {}, reason: 'r' },
        { selector: null, reason: 'r' },
        { reason: 'r' },
    ),
    // the reason: missing, blank, too long, not a string
    fc
        .oneof(
            fc.constant(undefined),
            fc.constantFrom('', '   ', '\n\t'),
            fc.string({ maxLength: 200 }).map((tail) => `${'x'.repeat(501)}${tail}`),
            fc.integer(),
        )
        .map((reason) => ({ ...validBatch, reason })),
    // the flags: anything but a boolean
    fc
        .tuple(
            fc.constantFrom('dryRun', 'emergency'),
            fc.anything().filter((v) => v !== undefined && typeof v !== 'boolean'),
        )
        .map(([flag, value]) => ({ ...validBatch, [flag]: value })),
    // any extra member, a secret name that is not a Key Vault name, or a random selector
    fc
        .tuple(
            fc.string().filter((k) => !['selector', 'reason', 'dryRun', 'emergency'].includes(k)),
            fc.jsonValue(),
        )
        .map(([key, value]) => ({ ...validBatch, [key]: value })),
    fc
        .string({ minLength: 1 })
        .filter((name) => !/^[0-9a-zA-Z-]{1,127}$/.test(name))
        .map((name) => ({ ...validBatch, selector: { secretNames: [name] } })),
    fc.record({ selector: fc.dictionary(fc.string(), fc.jsonValue()), reason: fc.string() }),
);

const badNumber = fc.oneof(
    fc.constantFrom('-1', '0x10', '1e3', 'NaN', '', ' 1', '١', '99999999999999999999', '1.5', '+3'),
    fc.string(),
);
const anyJson = fc.oneof(
    fc.anything(),
    fc.jsonValue(),
    fc.record({ secretName: fc.anything(), appId: fc.anything(), keyId: fc.anything(), reason: fc.anything() }),
    fc.dictionary(fc.string(), fc.jsonValue()),
);
const enrollBody = fc.record(
    {
        secretName: fc.oneof(fc.constant('payroll-secret'), fc.string()),
        appId: fc.oneof(fc.constant(APP), fc.uuid(), fc.string()),
        keyId: fc.oneof(fc.constant(KEY), fc.uuid(), fc.string()),
        reason: fc.oneof(fc.constant(''), fc.string({ maxLength: 600 })),
        vaultUrl: fc.oneof(fc.constant('http://kv.vault.azure.net'), fc.webUrl(), fc.string()),
        extra: fc.anything(),
    },
    { requiredKeys: [] },
);

describe('every operator route answers bad input with a 4xx, the error shape, and no change', () => {
    it('GET /api/rotations/{id}: any id that is not a rotation id never reaches the management URL', async () => {
        const w = world();
        await fc.assert(
            fc.asyncProperty(
                fc.oneof(
                    fc.string(),
                    fc.constantFrom('rotate@x/..', 'rotate@x\\..', 'rotate@x?showHistory=true', 'rotate@x#', '%'),
                    fc.string().map((s) => `rotate@${s}`),
                ),
                async (id) => {
                    const res = await getRotationRoute(w.rotations, request({ params: { id } }));
                    expectRefused(res);
                },
            ),
            { numRuns: 300 },
        );
        for (const id of w.statusIds) expect(id).not.toMatch(/[/\\?#%]/);
        expect(w.starts).toEqual([]);
    });

    it('GET /api/rotations, /api/bindings, /api/bindings/history, /api/credentials, /api/notifications: bad paging is 400', async () => {
        const w = world();
        const lists = [
            (q: string) => listRotationsRoute(w.rotations, request({ query: q })),
            (q: string) => listBindingsRoute(w.enrollment, request({ query: q })),
            (q: string) => bindingHistoryRoute(w.enrollment, request({ query: q })),
            (q: string) =>
                listCredentialsRoute({ authorize: w.rotations.authorize, state: w.state }, request({ query: q })),
            (q: string) =>
                listNotificationsRoute({ authorize: w.rotations.authorize, state: w.state }, request({ query: q })),
        ];
        await fc.assert(
            fc.asyncProperty(
                fc.constantFrom('top', 'skip'),
                badNumber,
                fc.nat(lists.length - 1),
                async (name, value, i) => {
                    fc.pre(value !== '' && (!/^\d+$/.test(value) || Number(value) > 1_000_000));
                    const res = await lists[i]!(new URLSearchParams({ [name]: value }).toString());
                    if (name === 'skip' && i === 4) return; // notifications take no skip
                    expectRefused(res);
                },
            ),
            { numRuns: 300 },
        );
        expect(w.state.docs.size).toBe(0);
    });

    it('POST /api/rotations: any body but a valid one for an enrolled secret starts nothing', async () => {
        const w = world();
        await fc.assert(
            fc.asyncProperty(anyJson, async (body) => {
                const res = await startRotationRoute(w.rotations, request({ body }));
                expectRefused(res);
            }),
            { numRuns: 300 },
        );
        expect(w.starts).toEqual([]);
    });

    it('POST /api/bindings and /api/bindings/import, DELETE /api/bindings/{name}: refused input leaves the enrollment untouched', async () => {
        const w = world();
        await fc.assert(
            fc.asyncProperty(fc.oneof(anyJson, enrollBody), async (body) => {
                const before = w.state.peekRaw(ENROLLMENT_KEY);
                const res = await enrollRoute(w.enrollment, request({ body }));
                if (res.status < 300) {
                    // Only the one valid enrollment may succeed; undo it for the next run.
                    await w.enrollment.bindings.unenroll(
                        VAULT,
                        'payroll-secret',
                        { kind: 'operator', objectId: null, appId: null, name: null },
                        'reset',
                        new Date(),
                    );
                    return;
                }
                expectRefused(res);
                expect(w.state.peekRaw(ENROLLMENT_KEY)).toBe(before);
            }),
            { numRuns: 300 },
        );
        await fc.assert(
            fc.asyncProperty(anyJson, async (body) => {
                fc.pre(!(typeof body === 'object' && body !== null && 'reason' in body));
                const before = w.state.peekRaw(ENROLLMENT_KEY);
                expectRefused(await importRoute(w.enrollment, request({ body })));
                expect(w.state.peekRaw(ENROLLMENT_KEY)).toBe(before);
            }),
            { numRuns: 200 },
        );
        await fc.assert(
            fc.asyncProperty(fc.string(), fc.string(), async (name, query) => {
                const before = w.state.peekRaw(ENROLLMENT_KEY);
                const res = await unenrollRoute(w.enrollment, request({ params: { secretName: name }, query }));
                expectRefused(res);
                expect(w.state.peekRaw(ENROLLMENT_KEY)).toBe(before);
            }),
            { numRuns: 300 },
        );
    });

    it('POST /api/rotations/batch: a body with any defect starts nothing and records no batch, dry run or not', async () => {
        const w = world();
        await w.enrollment.bindings.enroll(
            { vaultUrl: VAULT, secretName: 'payroll-secret', appId: APP, keyId: KEY },
            { kind: 'operator', objectId: null, appId: null, name: null },
            'fuzz',
            new Date('2026-06-01T00:00:00Z'),
        );
        const before = [...w.state.docs.keys()];
        // The property only means something if the valid body is accepted (and a dry run starts nothing).
        expect((await startBatchRoute(w.batch, request({ body: { ...validBatch, dryRun: true } }))).status).toBe(200);
        expect(w.starts).toEqual([]);
        await fc.assert(
            fc.asyncProperty(
                fc.oneof(
                    batchDefect,
                    anyJson,
                    fc.string().map((text) => ({ raw: text })),
                ),
                fc.boolean(),
                async (body, dryRun) => {
                    const raw = typeof body === 'object' && body !== null && 'raw' in body;
                    fc.pre(!raw || !isJson((body as { raw: string }).raw));
                    const payload =
                        dryRun && typeof body === 'object' && body !== null && !Array.isArray(body) && !raw
                            ? { ...body, dryRun: 'dryRun' in body ? body.dryRun : true }
                            : body;
                    const res = await startBatchRoute(
                        w.batch,
                        raw ? request({ body: (body as { raw: string }).raw, raw: true }) : request({ body: payload }),
                    );
                    expectRefused(res);
                },
            ),
            { numRuns: 400 },
        );
        expect(w.starts).toEqual([]);
        expect([...w.state.docs.keys()]).toEqual(before);
    });

    it('GET /api/rotations/batch/{id}: any id of no batch is a 404 that reads no rotation status', async () => {
        const w = world();
        // Ids become state keys: only a well-formed batch id may ever be looked up (no traversal to other documents).
        const keysRead: string[] = [];
        const state = w.batch.state;
        const batch: BatchApiDeps = {
            ...w.batch,
            state: {
                read: <T>(key: string) => {
                    keysRead.push(key);
                    return state.read<T>(key);
                },
                write: (key, value) => state.write(key, value),
                update: (key, change) => state.update(key, change),
            },
        };
        await fc.assert(
            fc.asyncProperty(
                fc.oneof(
                    fc.string(),
                    fc.uuid(),
                    fc.constantFrom(
                        '-'.repeat(36),
                        '../enrollment',
                        'batches/x',
                        '%2e%2e',
                        '00000000-0000-4000-8000-00000000000g',
                    ),
                    fc.uuid().map((u) => `${u}/../x`),
                ),
                async (id) => {
                    const res = await getBatchRoute(batch, request({ params: { id } }));
                    expectRefused(res);
                    expect(res.status).toBe(404);
                },
            ),
            { numRuns: 300 },
        );
        for (const key of keysRead) expect(key).toMatch(/^batches\/[0-9a-f-]{36}$/i);
        expect(w.batchStatusIds).toEqual([]);
        expect(w.starts).toEqual([]);
        expect(w.state.docs.size).toBe(0);
    });
});

function isJson(text: string): boolean {
    try {
        JSON.parse(text);
        return true;
    } catch {
        return false;
    }
}
