import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { REALISTIC_DELAYS } from '../emulator/core/delays';
import { makeClientCertificate } from '../emulator/support/clientCert';
import { startAppHost } from '../sandbox/appHost';
import { eventually, inventory, type InventoryView, rotations, runScan, tenantCredentials } from './support/triggers';
import { World } from './support/world';
import { NO_EVIDENCE_SOURCE } from '../sandbox/seedTenant';

/** Plain applications seeded in bulk, so a scan needs several 999-application pages. */
const BULK_APPS = 2_100;

type Alert = { id: string; appId: string; keyId: string; thresholdDays: number; managed: boolean };

async function expiringSoon(world: World): Promise<Alert[]> {
    return (await world.events())
        .filter((e) => e.type === 'Credential.ExpiringSoon')
        .map((e) => ({
            id: e.id,
            appId: String(e.data.appId),
            keyId: String(e.data.keyId),
            thresholdDays: Number(e.data.thresholdDays),
            managed: e.data.managed === true,
        }));
}

/**
 * The timer scan end to end: the host fires `scanCredentials` (admin API), which pages through Graph with the
 * real graph-client, reads managed secrets from Key Vault, starts rotations through the durable client and
 * publishes `Credential.ExpiringSoon` to the notification topic.
 */
describe('timer scan through the local host against the tenant emulator', () => {
    let world: World;

    beforeAll(async () => {
        world = await World.start({
            apps: [
                { displayName: 'due-managed', expiresInDays: 20, secretName: 'due-secret', tags: NO_EVIDENCE_SOURCE },
                { displayName: 'due7-managed', expiresInDays: 5, secretName: 'due7-secret', tags: NO_EVIDENCE_SOURCE },
                {
                    displayName: 'later-managed',
                    expiresInDays: 60,
                    secretName: 'later-secret',
                    tags: NO_EVIDENCE_SOURCE,
                },
                {
                    displayName: 'manual-managed',
                    expiresInDays: 15,
                    secretName: 'manual-secret',
                    tags: NO_EVIDENCE_SOURCE,
                },
                { displayName: 'soon-unmanaged', expiresInDays: 20 },
                // Half an hour more than 7 days: a small clock move crosses the 7-day threshold while the rotations
                // the first scan starts stay in their grace period.
                { displayName: 'cross-unmanaged', expiresInDays: 7 + 0.5 / 24 },
                { displayName: 'week-unmanaged', expiresInDays: 3 },
                { displayName: 'far-unmanaged', expiresInDays: 200 },
                { displayName: 'expired-unmanaged', expiresInDays: -5 },
            ],
        });
        await world.emu.expectOk(
            world.emu.call('POST', '/_emulator/entra/seed', { count: BULK_APPS, displayNamePrefix: 'bulk-' }),
            'bulk seeding',
        );
    }, 180_000);

    afterAll(async () => {
        await world?.close();
    });

    it('starts exactly the due managed rotations, leaves a running one alone, and announces each crossed threshold', async () => {
        // A rotation an operator already started: the scan must join it, not start a second one.
        const manualId = await world.startRotation('manual-secret');
        await runScan(world);

        const started = await rotations(world);
        const byTrigger = (trigger: string) =>
            started
                .filter((r) => r.trigger === trigger)
                .map((r) => r.secretName)
                .sort();
        expect(byTrigger('timer')).toEqual(['due-secret', 'due7-secret']);
        expect(byTrigger('api')).toEqual(['manual-secret']);
        expect(started).toHaveLength(3);
        expect(started.find((r) => r.secretName === 'manual-secret')?.id).toBe(manualId);

        const expected = [
            ['due-managed', 30, true],
            ['due7-managed', 7, true],
            ['manual-managed', 30, true],
            ['soon-unmanaged', 30, false],
            ['cross-unmanaged', 30, false],
            ['week-unmanaged', 7, false],
        ] as const;
        const alerts = await eventually(async () => {
            const a = await expiringSoon(world);
            return a.length >= expected.length ? a : undefined;
        }, 'ExpiringSoon notifications');
        const seen = alerts.map((a) => ({ app: world.tenant.apps.find((s) => s.appId === a.appId)?.displayName, a }));
        expect(seen.map(({ app, a }) => [app, a.thresholdDays, a.managed]).sort()).toEqual(
            expected.map((e) => [...e]).sort(),
        );
        // Each alert is about the seeded credential itself, not some other key of the app.
        for (const { app, a } of seen) expect(a.keyId).toBe(world.app(app!).keyId);
    });

    it('a second scan repeats nothing: no new rotation, no notification sent twice', async () => {
        const before = await expiringSoon(world);
        await runScan(world);
        expect(await rotations(world)).toHaveLength(3);
        expect(await expiringSoon(world)).toEqual(before);
    });

    it('a later scan announces only the newly crossed threshold (7 days + 30 min → 30 announced, then 7)', async () => {
        const before = await expiringSoon(world);
        await world.emu.advanceClock(45 * 60);
        await runScan(world);
        const after = await expiringSoon(world);
        const fresh = after.filter((a) => !before.some((b) => b.id === a.id));
        expect(fresh.map((a) => [a.appId, a.thresholdDays])).toEqual([[world.app('cross-unmanaged').appId, 7]]);
        // Once per threshold per credential, across all scans so far.
        const keys = after.map((a) => `${a.appId}|${a.keyId}|${a.thresholdDays}`);
        expect(new Set(keys).size).toBe(keys.length);
        expect(await rotations(world)).toHaveLength(3);
    });

    it('a 429 storm on Graph and Key Vault during a scan is waited out, and the inventory is complete', async () => {
        // The rotations the first scan started move their bindings to new credentials when they publish, at a
        // moment the realistic delays decide. The managed count below is about the storm, not about a scan that
        // overlaps a publish: wait until every one sleeps in grace, then past Graph's read-after-write lag (up to
        // 30 s in the realistic world), so the new credentials are listed.
        await eventually(
            async () =>
                (await rotations(world)).every((r) =>
                    (r as { steps?: { name: string; state: string }[] }).steps?.some(
                        (step) => step.name === 'grace' && step.state === 'waiting',
                    ),
                ) || undefined,
            'the rotations sleeping in grace',
            120_000,
        );
        await world.emu.advanceClock(2 * REALISTIC_DELAYS.graphReplicationLagSeconds.tail.max);
        const before = await expiringSoon(world);
        // More consecutive 429s than graph-client's RetryHandler takes on one page, so the scanner's own
        // outer retry has to step in as well.
        await world.emu.expectOk(
            world.emu.call('POST', '/_emulator/faults', {
                graph: { throttle: { count: 10, retryAfterSeconds: 1 } },
                keyVault: { throttle: { count: 2, retryAfterSeconds: 1 } },
            }),
            'faults',
        );
        const scanStarted = await world.emu.now();
        try {
            await runScan(world, 150_000);
            const faults = await world.emu.call<{ graph: { throttle?: { count: number } } }>(
                'GET',
                '/_emulator/faults',
            );
            // Every injected 429 was actually served (the storm happened during this scan).
            expect(faults.body.graph.throttle?.count ?? 0).toBe(0);
        } finally {
            await world.emu.call('POST', '/_emulator/faults', {
                graph: { throttle: { count: 0 } },
                keyVault: { throttle: { count: 0 } },
            });
        }
        const truth = await tenantCredentials(world);
        expect(truth.length).toBeGreaterThan(BULK_APPS);
        const inv = await inventory(world);
        expect(inv.counts?.total).toBe(truth.length);
        const now = await world.emu.now();
        expect(inv.counts?.expired).toBe(truth.filter((c) => Date.parse(c.endDateTime) <= now.getTime()).length);
        expect(inv.counts?.managed).toBe(4);
        expect(inv.counts?.secrets).toBe(truth.length);
        // This scan's snapshot, not an earlier one.
        expect(Date.parse(inv.generatedAt ?? '')).toBeGreaterThanOrEqual(scanStarted.getTime());
        // The storm changed nothing else: no repeated alert, no extra rotation.
        expect(await expiringSoon(world)).toEqual(before);
        expect(await rotations(world)).toHaveLength(3);
    });

    it('the inventory lists managed and unmanaged credentials with their state and filters by them', async () => {
        const unmanaged = await inventory(world, '?managed=false&top=1000');
        const names = (appId: string) => world.tenant.apps.find((a) => a.appId === appId)?.displayName;
        const listed = unmanaged.items.map((i) => names(i.appId)).filter(Boolean);
        expect(listed).toEqual(
            expect.arrayContaining(['soon-unmanaged', 'cross-unmanaged', 'week-unmanaged', 'expired-unmanaged']),
        );
        expect(unmanaged.items.every((i) => !i.managed)).toBe(true);
        const expired = unmanaged.items.find((i) => names(i.appId) === 'expired-unmanaged');
        expect(expired?.state).toBe('Expired');
        const managed = await inventory(world, '?managed=true');
        expect(managed.items.map((i) => i.secretName).sort()).toEqual(
            ['due-secret', 'due7-secret', 'later-secret', 'manual-secret'].sort(),
        );
        expect(managed.items.find((i) => i.secretName === 'later-secret')?.state).toBe('Active');
        const bad = await world.api('GET', '/api/credentials?state=Bogus');
        expect(bad.status).toBe(400);
    });

    it('notifications that could not be published are not marked as sent: the next scan sends them, once', async () => {
        const before = await expiringSoon(world);
        const now = await world.emu.now();
        const seeded = await world.emu.expectOk(
            world.emu.call<{ applications: { appId: string; keyId: string }[] }>('POST', '/_emulator/entra/seed', {
                applications: [
                    {
                        displayName: 'late-unmanaged',
                        password: { endDateTime: new Date(now.getTime() + 10 * 86_400_000).toISOString() },
                    },
                ],
            }),
            'seeding late-unmanaged',
        );
        const late = seeded.applications[0]!;
        // The notification topic fails every publish (more 503s than the Event Grid SDK retries).
        await world.emu.expectOk(
            world.emu.call('POST', '/_emulator/faults', {
                eventGrid: { serverErrors: { status: 503, count: 1_000 } },
            }),
            'faults',
        );
        try {
            await runScan(world);
        } finally {
            await world.emu.call('POST', '/_emulator/faults', { eventGrid: { serverErrors: { count: 0 } } });
        }
        expect(await expiringSoon(world)).toEqual(before);
        expect(readFileSync(world.host.logFile, 'utf8')).toMatch(/Could not publish expiry notifications/);

        await runScan(world);
        const after = await expiringSoon(world);
        const fresh = after.filter((a) => !before.some((b) => b.id === a.id));
        expect(fresh.map((a) => [a.appId, a.keyId, a.thresholdDays])).toEqual([[late.appId, late.keyId, 30]]);
        await runScan(world);
        expect(await expiringSoon(world)).toEqual(after);
    });

    it('certificate (key) credentials are scanned too: inventory counts them and their threshold is announced', async () => {
        const before = await expiringSoon(world);
        const app = world.app('far-unmanaged');
        const cert = await makeClientCertificate('far-unmanaged-cert', new Date(Date.now() + 5 * 86_400_000));
        const token = await world.emu.adminToken('https://graph.microsoft.com/.default');
        const patched = await world.emu.call(
            'PATCH',
            `/v1.0/applications/${app.objectId}`,
            { keyCredentials: [{ type: 'AsymmetricX509Cert', usage: 'Verify', key: cert.derBase64 }] },
            { authorization: `Bearer ${token}` },
        );
        expect(patched.status).toBeLessThan(300);
        await runScan(world);
        const fresh = (await world.events())
            .filter((e) => e.type === 'Credential.ExpiringSoon' && !before.some((b) => b.id === e.id))
            .map((e) => e.data);
        expect(fresh).toHaveLength(1);
        expect(fresh[0]).toMatchObject({ appId: app.appId, kind: 'certificate', thresholdDays: 7, managed: false });
        const inv = await inventory(world, '?managed=false&top=1000');
        expect(inv.counts?.certificates).toBe(1);
        expect(inv.counts?.total).toBe((await tenantCredentials(world)).length);
        expect(inv.items.some((i) => i.appId === app.appId && i.keyId === fresh[0]?.keyId)).toBe(true);
    });

    it('the inventory pages with top/skip and a nextLink that walks the whole list', async () => {
        const all = await inventory(world, '?top=1000');
        expect(all.total).toBeGreaterThan(3);
        const seen: string[] = [];
        let next: string | undefined = '/api/credentials?top=2';
        while (next) {
            const res: Awaited<ReturnType<typeof world.api<InventoryView & { nextLink?: string }>>> = await world.api<
                InventoryView & { nextLink?: string }
            >('GET', next);
            expect(res.status).toBe(200);
            expect(res.body.items.length).toBeLessThanOrEqual(2);
            seen.push(...res.body.items.map((i) => `${i.appId}|${i.keyId}`));
            next = res.body.nextLink;
        }
        expect(seen).toEqual(all.items.map((i) => `${i.appId}|${i.keyId}`));
    });

    it('the timer fires on its own from the SCAN_SCHEDULE setting when the clock passes an occurrence', async () => {
        const host = await startAppHost({
            emulator: world.emu,
            tenant: world.tenant,
            hostStateDir: join(world.root, 'scheduled-host'),
            settings: { SCAN_SCHEDULE: '0 */10 * * * *' },
        });
        try {
            await world.emu.advanceClock(11 * 60);
            await eventually(
                () =>
                    Promise.resolve(
                        /scanCredentials: Scan finished/.test(readFileSync(host.logFile, 'utf8')) ? true : undefined,
                    ),
                'the scheduled scan',
                90_000,
            );
        } finally {
            await host.close();
        }
    });
});
