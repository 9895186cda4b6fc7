import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { type TestEmulator, startTestEmulator } from './support/harness';

let t: TestEmulator;
let admin: string;

beforeAll(async () => {
    t = await startTestEmulator();
    admin = await t.adminToken();
});
afterEach(async () => {
    await t.control('/faults', { reset: true });
});
afterAll(async () => {
    await t?.close();
});

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

describe('Fault knobs (POST /_emulator/faults)', () => {
    it('all faults are off by default', async () => {
        const faults = await t.control('/faults');
        for (const service of ['entra', 'graph', 'keyVault', 'eventGrid']) {
            expect(faults[service]).toMatchObject({ latencyMs: 0, limits: false });
            expect(faults[service].throttle).toBeUndefined();
            expect(faults[service].serverErrors).toBeUndefined();
            expect(faults[service].drop).toBeUndefined();
        }
        expect(faults).toMatchObject({
            propagationDelaySeconds: 0,
            signInIngestionLatencySeconds: 0,
            duplicateEventDelivery: false,
        });
    });

    it('§1.6 forced 429 has the Graph throttling body and Retry-After; the no-header variant omits it', async () => {
        await t.control('/faults', { graph: { throttle: { count: 1, retryAfterSeconds: 2 } } });
        const throttled = await t.raw('GET', '/v1.0/applications', { headers: auth(admin) });
        expect(throttled.status).toBe(429);
        expect(throttled.headers['retry-after']).toBe('2');
        expect(throttled.json.error).toMatchObject({
            code: 'TooManyRequests',
            innerError: { code: '429', status: '429', message: 'Please retry after' },
        });
        expect((await t.raw('GET', '/v1.0/applications', { headers: auth(admin) })).status).toBe(200);
        await t.control('/faults', { graph: { throttle: { count: 1, retryAfterSeconds: null } } });
        const bare = await t.raw('GET', '/v1.0/applications', { headers: auth(admin) });
        expect(bare.status).toBe(429);
        expect(bare.headers['retry-after']).toBeUndefined();
    });

    it('Key Vault 429s carry no Retry-After by default, in limits mode and forced (as captured); opt back in per service', async () => {
        const kv = await t.adminToken('https://vault.azure.net/.default');
        const get = () => t.raw('GET', '/secrets?api-version=2025-07-01', { headers: auth(kv) });
        await t.control('/faults', { keyVault: { throttle: { count: 1 } } });
        const forced = await get();
        expect(forced.status).toBe(429);
        expect(forced.json).toMatchObject({ error: { code: 'Throttled' } });
        expect(forced.headers['retry-after']).toBeUndefined();
        await t.control('/faults', { keyVault: { limits: true, limitScale: 0.0005 } });
        let limited = await get();
        for (let i = 0; i < 5 && limited.status !== 429; i++) limited = await get();
        expect(limited.status).toBe(429);
        expect(limited.headers['retry-after']).toBeUndefined();
        await t.control('/faults', { reset: true });
        await t.control('/faults', { keyVault: { retryAfterHeader: true, throttle: { count: 1 } } });
        expect((await get()).headers['retry-after']).toBe('1');
        await t.control('/faults', { reset: true });
        await t.control('/faults', { graph: { throttle: { count: 1 } } });
        expect((await t.raw('GET', '/v1.0/applications', { headers: auth(admin) })).headers['retry-after']).toBe('1');
    });

    it('§1.6 documented limits: Graph resource units per app, scaled down, answer 429 with x-ms-throttle-information', async () => {
        await t.control('/faults', { graph: { limits: true, limitScale: 0.001 } });
        // 3,500 RU × 0.001 = 3 RU per 10 s; GET /applications costs 2 RU.
        expect((await t.raw('GET', '/v1.0/applications', { headers: auth(admin) })).status).toBe(200);
        const second = await t.raw('GET', '/v1.0/applications', { headers: auth(admin) });
        expect(second.status).toBe(429);
        expect(second.headers['x-ms-throttle-information']).toBe('ResourceUnitLimitExceeded');
        expect(Number(second.headers['retry-after'])).toBeGreaterThan(0);
        expect(Number(second.headers['retry-after'])).toBeLessThanOrEqual(10);
        await t.control('/clock', { advanceSeconds: 11 });
        expect((await t.raw('GET', '/v1.0/applications', { headers: auth(admin) })).status).toBe(200);
    });

    it('§1.6 sign-in reports: 5 per 10 s; x-ms-throttle-limit-percentage from 0.8 used, x-ms-throttle-scope on the 429', async () => {
        await t.control('/faults', { graph: { limits: true } });
        const path = `/beta/auditLogs/signIns?$filter=${encodeURIComponent("signInEventTypes/any(t: t eq 'servicePrincipal')")}`;
        const answers = [];
        for (let i = 0; i < 6; i++) answers.push(await t.raw('GET', path, { headers: auth(admin) }));
        expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 429]);
        // 1–3 of 5 used: no header; the 4th (0.8) and 5th (1.0) carry it.
        expect(answers.slice(0, 3).map((a) => a.headers['x-ms-throttle-limit-percentage'])).toEqual([
            undefined,
            undefined,
            undefined,
        ]);
        expect(answers[3]!.headers['x-ms-throttle-limit-percentage']).toBe('0.80');
        expect(answers[4]!.headers['x-ms-throttle-limit-percentage']).toBe('1.00');
        expect(answers[5]!.headers['x-ms-throttle-information']).toBe('ReportsLimitExceeded');
        expect(answers[5]!.headers['x-ms-throttle-scope']).toMatch(/^Tenant_Application\/ReportsLimitExceeded\//);
    });

    it('§1.4 $select=keyCredentials has its own tenant-wide quota (150/min, scaled)', async () => {
        await t.control('/faults', { graph: { limits: true, limitScale: 0.01 } });
        // 150 × 0.01 = 1 request per minute; the RU quota (35 per 10 s) is not the one that trips.
        const path = '/v1.0/applications?$select=id,keyCredentials&$top=5';
        expect((await t.raw('GET', path, { headers: auth(admin) })).status).toBe(200);
        const second = await t.raw('GET', path, { headers: auth(admin) });
        expect(second.status).toBe(429);
        expect(second.headers['x-ms-throttle-information']).toBe('KeyCredentialsSelectLimitExceeded');
        expect((await t.raw('GET', '/v1.0/applications?$select=id&$top=5', { headers: auth(admin) })).status).toBe(200);
    });

    it('5xx burst on the token endpoint keeps the STS error shape', async () => {
        await t.control('/faults', { entra: { serverErrors: { status: 503, count: 1 } } });
        const form = new URLSearchParams({
            client_id: t.emulator.principals.admin.clientId,
            client_secret: t.emulator.principals.admin.clientSecret,
            grant_type: 'client_credentials',
            scope: 'https://graph.microsoft.com/.default',
        });
        const failed = await t.raw('POST', `/${t.emulator.tenantId}/oauth2/v2.0/token`, {
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: form.toString(),
        });
        expect(failed.status).toBe(503);
        expect(failed.json.error_description).toMatch(/^AADSTS\d+: /);
        const ok = await t.raw('POST', `/${t.emulator.tenantId}/oauth2/v2.0/token`, {
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: form.toString(),
        });
        expect(ok.status).toBe(200);
    });

    it('dropped requests close the connection without a response; latency delays responses', async () => {
        await t.control('/faults', { graph: { drop: { count: 1 }, latencyMs: 300 } });
        await expect(t.raw('GET', '/v1.0/applications', { headers: auth(admin) })).rejects.toThrow();
        const started = performance.now();
        expect((await t.raw('GET', '/v1.0/applications?$top=1', { headers: auth(admin) })).status).toBe(200);
        expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    });

    it('§1.7 batchItemThrottle: one item answers 429 with Retry-After inside a 200 batch, the others succeed', async () => {
        await t.control('/faults', { graph: { batchItemThrottle: { count: 1, retryAfterSeconds: 3 } } });
        const batch = await t.raw('POST', '/v1.0/$batch', {
            headers: auth(admin),
            json: {
                requests: [
                    { id: 'a', method: 'GET', url: '/applications?$top=1' },
                    { id: 'b', method: 'GET', url: '/applications?$top=1' },
                ],
            },
        });
        expect(batch.status).toBe(200);
        const [first, second] = batch.json.responses;
        expect(first).toMatchObject({
            id: 'a',
            status: 429,
            headers: { 'retry-after': '3' },
            body: { error: { code: 'TooManyRequests' } },
        });
        expect(second).toMatchObject({ id: 'b', status: 200 });
    });

    it('invalid knob values are rejected with 400 and change nothing', async () => {
        const response = await t.raw('POST', '/_emulator/faults', { json: { graph: { latencyMs: -5 } } });
        expect(response.status).toBe(400);
        expect((await t.control('/faults')).graph.latencyMs).toBe(0);
        // A valid section next to an invalid one is not applied either.
        const mixed = await t.raw('POST', '/_emulator/faults', {
            json: {
                graph: { latencyMs: 100 },
                propagationDelaySeconds: 5,
                keyVault: { serverErrors: { status: 404 } },
            },
        });
        expect(mixed.status).toBe(400);
        const after = await t.control('/faults');
        expect(after.graph.latencyMs).toBe(0);
        expect(after.propagationDelaySeconds).toBe(0);
        const badJson = await t.raw('POST', '/_emulator/faults', {
            headers: { 'content-type': 'application/json' },
            body: '{',
        });
        expect(badJson.status).toBe(400);
    });

    it('§1.2/§6 graph-client retries a 429 (Retry-After honoured) and re-sends addPassword after a 503 that already created it', async () => {
        const { emulator } = t;
        const created = await t.raw('POST', '/v1.0/applications', {
            headers: auth(admin),
            json: { displayName: 'retry-target' },
        });
        const graph = (steps: object[]) => ({
            kind: 'graph',
            authorityHost: emulator.authorityHost,
            graphBaseUrl: emulator.graphBaseUrl,
            principal: { tenantId: emulator.tenantId, ...emulator.principals.admin },
            steps,
        });
        const faults = (body: object) => ({
            kind: 'http',
            method: 'POST',
            url: `${emulator.baseUrl}/_emulator/faults`,
            body,
        });
        const results = await t.sdk([
            faults({ graph: { throttle: { count: 1, retryAfterSeconds: 1 } } }),
            graph([{ method: 'get', path: `/applications/${created.json.id}`, query: { $select: 'id' } }]),
            faults({ graph: { serverErrors: { status: 503, count: 1, afterHandling: true } } }),
            graph([{ method: 'post', path: `/applications/${created.json.id}/addPassword`, body: {} }]),
        ]);
        expect(results[1][0]).toMatchObject({ ok: true, body: { id: created.json.id } });
        expect(results[3][0]).toMatchObject({ ok: true });
        const after = await t.raw('GET', `/v1.0/applications/${created.json.id}`, { headers: auth(admin) });
        // The first attempt created a credential before the injected 503; the SDK's retry created a second one.
        expect(after.json.passwordCredentials).toHaveLength(2);
    });
});
