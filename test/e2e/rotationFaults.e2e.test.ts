import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { World } from './support/world';
import { NO_EVIDENCE_SOURCE } from '../sandbox/seedTenant';

const HOUR = 3_600;
const DAY = 86_400;

/** Tenant policy limits and crashes at the worst moments, end to end. */
describe('rotation under tenant policy and host crashes', () => {
    let world: World;

    beforeAll(async () => {
        world = await World.start({
            apps: [
                { displayName: 'clamped', expiresInDays: 10, secretName: 'clamped-secret', tags: NO_EVIDENCE_SOURCE },
                { displayName: 'refused', expiresInDays: 10, secretName: 'refused-secret', tags: NO_EVIDENCE_SOURCE },
                { displayName: 'chaos', expiresInDays: 10, secretName: 'chaos-secret', tags: NO_EVIDENCE_SOURCE },
                { displayName: 'killed', expiresInDays: 10, secretName: 'killed-secret', tags: NO_EVIDENCE_SOURCE },
                { displayName: 'full', expiresInDays: 10, secretName: 'full-secret', tags: NO_EVIDENCE_SOURCE },
                {
                    displayName: 'kv-throttled',
                    expiresInDays: 10,
                    secretName: 'kv-throttled-secret',
                    tags: NO_EVIDENCE_SOURCE,
                },
            ],
            settings: {
                GRACE_PERIOD_DAYS: '1',
                NEW_CREDENTIAL_LIFETIME_DAYS: '180',
                MAX_CREDENTIAL_LIFETIME_DAYS: '90',
            },
            faults: { appManagementPolicy: { maxPasswordLifetime: 'P90D' } },
        });
    }, 120_000);

    afterAll(async () => {
        await world?.close();
    });

    it('the new credential lifetime is clamped to the tenant maximum and the rotation completes', async () => {
        const app = world.app('clamped');
        const id = await world.startRotation('clamped-secret');
        const done = await world.waitForRotation(id, { advanceSeconds: HOUR });
        expect(done.status).toBe('Completed');
        expect(done.findings.map((f) => f.code)).toContain('lifetime_clamped');
        const [credential] = await world.passwords(app.appId);
        const created = Date.parse(done.steps.find((s) => s.name === 'create')!.at);
        const lifetimeDays = (Date.parse(credential!.endDateTime) - created) / (DAY * 1000);
        expect(lifetimeDays).toBeGreaterThan(89.9);
        expect(lifetimeDays).toBeLessThanOrEqual(90);
        const live = await world.secretValue('clamped-secret');
        expect(live?.tags['entra-key-id']).toBe(credential!.keyId);
    });

    it('a lifetime the tenant policy refuses fails clearly and leaves nothing behind', async () => {
        const app = world.app('refused');
        const before = await world.passwords(app.appId);
        const liveBefore = await world.secretValue('refused-secret');
        // The tenant tightened its policy below what the rotator was configured with.
        await world.emu.expectOk(
            world.emu.call('POST', '/_emulator/faults', { appManagementPolicy: { maxPasswordLifetime: 'P30D' } }),
            'policy',
        );
        try {
            // A failed create waits out Graph's read-after-write lag, then sweeps: advance the clock meanwhile.
            const done = await world.waitForRotation(await world.startRotation('refused-secret'), {
                advanceSeconds: 5 * 60,
            });
            expect(done.status).toBe('Failed');
            expect(done.outcome?.code).toBe('lifetime_policy_violation');
            expect(done.outcome?.message).toMatch(/app-management policy/);
            expect(await world.passwords(app.appId)).toEqual(before);
            expect((await world.secretValue('refused-secret'))?.version).toBe(liveBefore?.version);
            expect(await world.secretValue('refused-secret--rotation-pending')).toBeUndefined();
            const types = (await world.events())
                .filter((e) => e.data.secretName === 'refused-secret')
                .map((e) => e.type);
            expect(types).toEqual(['Rotation.Started', 'Rotation.Failed']);
        } finally {
            await world.emu.call('POST', '/_emulator/faults', { appManagementPolicy: { maxPasswordLifetime: 'P90D' } });
        }
    });

    it('an application object at the directory size limit fails clearly (credential_limit_reached), nothing changed', async () => {
        const app = world.app('full');
        const before = await world.passwords(app.appId);
        // The app already holds as many credentials as its directory object can: Graph answers addPassword with
        // Directory_ResourceSizeExceeded, which the preflight count (our own limit) cannot foresee.
        await world.emu.expectOk(
            world.emu.call('POST', '/_emulator/faults', { applicationCredentialLimit: before.length }),
            'size limit',
        );
        try {
            const done = await world.waitForRotation(await world.startRotation('full-secret'), {
                advanceSeconds: 5 * 60,
            });
            expect(done.status).toBe('Failed');
            expect(done.outcome?.code).toBe('credential_limit_reached');
            expect(done.outcome?.message).toMatch(/Directory_ResourceSizeExceeded.*too many credentials/);
            expect(await world.passwords(app.appId)).toEqual(before);
            expect(await world.secretValue('full-secret--rotation-pending')).toBeUndefined();
        } finally {
            await world.emu.call('POST', '/_emulator/faults', { applicationCredentialLimit: 100 });
        }
    });

    it('Key Vault 429s without Retry-After (as the service sends them) are waited out and the rotation completes', async () => {
        // The SDK does not retry a 429 that has no Retry-After, so the rotator has to back off by itself.
        await world.emu.expectOk(
            world.emu.call('POST', '/_emulator/faults', { keyVault: { methods: ['PUT'], throttle: { count: 3 } } }),
            'throttle',
        );
        try {
            const done = await world.waitForRotation(await world.startRotation('kv-throttled-secret'), {
                advanceSeconds: HOUR,
            });
            expect(done.status).toBe('Completed');
            const faults = await world.emu.call<{ keyVault: { throttle?: { count: number } } }>(
                'GET',
                '/_emulator/faults',
            );
            expect(faults.body.keyVault.throttle?.count ?? 0).toBe(0);
        } finally {
            await world.emu.call('POST', '/_emulator/faults', { keyVault: { throttle: { count: 0 }, methods: null } });
        }
    });

    it('host crash after create (chaos switch, result never recorded): the re-run reuses its stash, one new credential', async () => {
        const app = world.app('chaos');
        const chaos = await fetch(`${world.host.baseUrl}/admin/host/chaos`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-functions-key': world.host.keys.masterKey },
            body: JSON.stringify({ crashAfter: { activity: 'rotationCreateCredential' } }),
        });
        expect(chaos.status).toBe(200);
        const id = await world.startRotation('chaos-secret');
        await waitForExit(world);
        await world.restartHost();
        const done = await world.waitForRotation(id, { advanceSeconds: HOUR });
        expect(done.status).toBe('Completed');
        expect(done.steps.find((s) => s.name === 'create')?.detail).toMatch(/recovered from an interrupted attempt/);
        expect((await world.passwords(app.appId)).map((p) => p.keyId)).toEqual([done.newKeyId]);
    });

    it('host killed between addPassword and the stash: the re-run removes the orphan, exactly one new credential remains', async () => {
        const app = world.app('killed');
        // Slow Key Vault writes (only) so the stash write is still in flight when the host dies.
        await world.emu.expectOk(
            world.emu.call('POST', '/_emulator/faults', { keyVault: { latencyMs: 15_000, methods: ['PUT'] } }),
            'latency',
        );
        const id = await world.startRotation('killed-secret');
        const orphan = await waitForMarkedCredential(world, app.appId);
        world.host.process.kill('SIGKILL');
        await waitForExit(world);
        // The write is still sleeping in the emulator: make it fail when it wakes (a write the dead host never
        // completed), then let the service recover.
        await world.emu.expectOk(
            world.emu.call('POST', '/_emulator/faults', { keyVault: { serverErrors: { status: 503, count: 1 } } }),
            'fail the in-flight write',
        );
        await new Promise((r) => setTimeout(r, 15_500));
        await world.emu.expectOk(
            world.emu.call('POST', '/_emulator/faults', {
                keyVault: { latencyMs: 0, serverErrors: null, methods: null },
            }),
            'recover',
        );
        expect(await world.secretValue('killed-secret--rotation-pending')).toBeUndefined();

        await world.restartHost();
        const done = await world.waitForRotation(id, { advanceSeconds: HOUR });
        expect(done.status).toBe('Completed');
        expect(done.steps.find((s) => s.name === 'create')?.detail).toContain(`removed orphan(s) ${orphan}`);
        const keys = (await world.passwords(app.appId)).map((p) => p.keyId);
        expect(keys).toEqual([done.newKeyId]);
        expect(keys).not.toContain(orphan);
    });
});

async function waitForExit(world: World, timeoutMs = 30_000): Promise<void> {
    const child = world.host.process;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('host did not exit')), timeoutMs);
        child.once('exit', () => {
            clearTimeout(timer);
            resolve();
        });
    });
}

/** Polls Graph (as admin) until the rotator's marked credential appears on the app; returns its keyId. */
async function waitForMarkedCredential(world: World, appId: string): Promise<string> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
        const marked = (await world.passwords(appId)).find((p) => p.displayName?.startsWith('rotator:'));
        if (marked) return marked.keyId;
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the rotator never added a credential');
}
