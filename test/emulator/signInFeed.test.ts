import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type TestEmulator, startTestEmulator } from './support/harness';

let t: TestEmulator;

beforeAll(async () => {
    t = await startTestEmulator();
});
afterAll(async () => {
    await t?.close();
});

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

/**
 * The shared sign-in collector's one query (shared/adapters/graphSignIns.ts `successfulSince`): the whole
 * tenant's successful service-principal sign-ins from an instant on, no `appId` term, every page (§1.8).
 */
describe('§1.8 the tenant-wide sign-in feed the shared collector reads', () => {
    it('answers successes of every app from the cursor on, newest first, in pages, and only what is ingested', async () => {
        const seeded = await t.control('/entra/seed', {
            applications: [{ displayName: 'feed-a' }, { displayName: 'feed-b' }],
        });
        const [a, b] = seeded.applications;
        const admin = await t.adminToken();
        await t.control('/faults', { signInIngestionLatencySeconds: 0 });
        await t.token(a.appId, a.clientSecret); // before the cursor
        await t.control('/clock', { advanceSeconds: 60 });
        const clock = await t.raw('GET', '/_emulator/clock');
        const cursor = new Date(Date.parse(clock.json.now as string) - 1_000).toISOString();
        await t.token(a.appId, a.clientSecret);
        await t.token(b.appId, b.clientSecret);
        await t.token(b.appId, b.clientSecret);
        await t.raw('POST', `/${t.emulator.tenantId}/oauth2/v2.0/token`, {
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({
                client_id: b.appId,
                client_secret: 'wrong',
                scope: 'https://graph.microsoft.com/.default',
                grant_type: 'client_credentials',
            }).toString(),
        });
        const filter =
            `signInEventTypes/any(t: t eq 'servicePrincipal') and status/errorCode eq 0 and createdDateTime ge ${cursor}`;
        const first = await t.raw('GET', `/beta/auditLogs/signIns?$filter=${encodeURIComponent(filter)}&$top=2`, {
            headers: auth(admin),
        });
        expect(first.status).toBe(200);
        expect(first.json.value).toHaveLength(2);
        const next = first.json['@odata.nextLink'] as string;
        expect(next).toContain('$skiptoken=');
        const second = await t.raw('GET', next.replace(/^https:\/\/[^/]+/, ''), { headers: auth(admin) });
        const all = [...first.json.value, ...second.json.value] as {
            id: string;
            appId: string;
            createdDateTime: string;
            status: { errorCode: number };
        }[];
        expect(second.json['@odata.nextLink']).toBeUndefined();
        // Three successes after the cursor, both apps, none before it, no failure.
        expect(all.map((e) => e.appId).sort()).toEqual([a.appId, b.appId, b.appId].sort());
        expect(all.every((e) => e.status.errorCode === 0 && e.createdDateTime >= cursor && e.id)).toBe(true);
        const times = all.map((e) => e.createdDateTime);
        expect([...times].sort().reverse()).toEqual(times);

        // Ingestion latency: a sign-in made now is not in the feed until the latency has passed.
        await t.control('/faults', { signInIngestionLatencySeconds: 300 });
        await t.token(a.appId, a.clientSecret);
        const count = async () =>
            (
                await t.raw('GET', `/beta/auditLogs/signIns?$filter=${encodeURIComponent(filter)}`, {
                    headers: auth(admin),
                })
            ).json.value.length as number;
        expect(await count()).toBe(3);
        await t.control('/clock', { advanceSeconds: 301 });
        expect(await count()).toBe(4);
        await t.control('/faults', { reset: true });
    });
});
