import fc from 'fast-check';
import { type DurableOrchestrationStatus } from 'durable-functions';
import { describe, expect, it } from 'vitest';

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
    return { state, starts, statusIds, published, rotations, enrollment };
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
});
