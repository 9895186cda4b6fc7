import { pendingSecretName } from '../../shared/rotation/markers';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { fingerprintOfText } from '../../shared/security/fingerprint';
import { World } from './support/world';
import { NO_EVIDENCE_SOURCE } from '../sandbox/seedTenant';

const DAY = 86_400;
const HOUR = 3_600;

/**
 * The rotation workflow end to end: the app on the local host (real durable-functions replay engine), the real
 * SDKs against the tenant emulator, simulated consumers as separate processes. Days pass by moving the
 * emulator's virtual clock, which the host and the app follow.
 */
describe('rotation workflow through the local host against the tenant emulator', () => {
    let world: World;

    beforeAll(async () => {
        world = await World.start({
            apps: [
                { displayName: 'happy', expiresInDays: 20, secretName: 'happy-secret', tags: NO_EVIDENCE_SOURCE },
                {
                    displayName: 'propagation',
                    expiresInDays: 20,
                    secretName: 'propagation-secret',
                    tags: NO_EVIDENCE_SOURCE,
                },
                {
                    displayName: 'already-expired',
                    expiresInDays: -3,
                    secretName: 'expired-secret',
                    tags: NO_EVIDENCE_SOURCE,
                },
                { displayName: 'pinned', expiresInDays: 10, secretName: 'pinned-secret' },
                { displayName: 'healthy', expiresInDays: 10, secretName: 'healthy-secret' },
                { displayName: 'abort', expiresInDays: 10, secretName: 'abort-secret' },
                {
                    displayName: 'concurrent',
                    expiresInDays: 10,
                    secretName: 'concurrent-secret',
                    tags: NO_EVIDENCE_SOURCE,
                },
                // No consumer, no waiver: nothing can show the new key in use.
                { displayName: 'silent', expiresInDays: 10, secretName: 'silent-secret' },
                { displayName: 'nightly', expiresInDays: 90, secretName: 'nightly-secret', tags: NO_EVIDENCE_SOURCE },
                { displayName: 'flooded', expiresInDays: 90, secretName: 'flooded-secret', tags: NO_EVIDENCE_SOURCE },
                { displayName: 'lagged', expiresInDays: 90, secretName: 'lagged-secret', tags: NO_EVIDENCE_SOURCE },
            ],
            // One day of grace and two-hour re-checks keep the virtual clock moving in small steps, so simulated
            // consumers (signing in every 250 ms of real time) leave a realistic trail in the sign-in log.
            settings: { GRACE_PERIOD_DAYS: '1', USAGE_GATE_RECHECK_HOURS: '2' },
            consumers: async ({ start, app, vaultUrl, secretVersion }) => {
                const healthy = await start('healthy-worker', app('healthy'));
                const pinned = await start('pinned-worker', app('pinned'), {
                    pinnedVersion: await secretVersion('pinned-secret'),
                });
                return {
                    consumers: [
                        {
                            vaultUrl,
                            secretName: 'healthy-secret',
                            refresh: [
                                {
                                    name: 'healthy-worker',
                                    type: 'webhook',
                                    url: `${healthy.url}/refresh`,
                                    onFailure: 'abort',
                                },
                                {
                                    name: 'healthy-health',
                                    type: 'probe',
                                    url: `${healthy.url}/health`,
                                    intervalSeconds: 1,
                                    maxWaitSeconds: 60,
                                },
                            ],
                        },
                        {
                            vaultUrl,
                            secretName: 'pinned-secret',
                            refresh: [
                                {
                                    name: 'pinned-worker',
                                    type: 'webhook',
                                    url: `${pinned.url}/refresh`,
                                    onFailure: 'abort',
                                },
                            ],
                        },
                        {
                            vaultUrl,
                            secretName: 'abort-secret',
                            // A consumer endpoint that answers 404: a misconfigured refresh hook.
                            refresh: [
                                {
                                    name: 'broken-hook',
                                    type: 'webhook',
                                    url: `${healthy.url}/no-such-hook`,
                                    onFailure: 'abort',
                                },
                            ],
                        },
                    ],
                };
            },
        });
    }, 120_000);

    afterAll(async () => {
        await world?.close();
    });

    it('happy path: verified, published, old credential deleted only after the grace period and a clean usage gate', async () => {
        const app = world.app('happy');
        const id = await world.startRotation('happy-secret');

        // Before the grace period ends, both credentials exist and the live secret already holds the new value.
        const waiting = await waitForStep(world, id, 'grace', 'waiting');
        const during = await world.passwords(app.appId);
        expect(during.map((p) => p.keyId)).toContain(app.keyId);
        expect(during).toHaveLength(2);
        const live = await world.secretValue('happy-secret');
        expect(live?.tags['entra-key-id']).toBe(waiting.newKeyId);
        expect(live?.value).not.toBe(app.clientSecret);

        const done = await world.waitForRotation(id, { advanceSeconds: HOUR });
        expect(done.status).toBe('Completed');
        const names = done.steps.map((s) => s.name);
        expect(names).toEqual([
            'preflight',
            'create',
            'verifyNew',
            'publish',
            'refresh',
            'confirm',
            'grace',
            'usageGate',
            'deleteOld',
        ]);
        const at = (name: string) => Date.parse(done.steps.find((s) => s.name === name)!.at);
        expect(at('deleteOld')).toBeGreaterThanOrEqual(at('publish') + DAY * 1000);
        expect(done.steps.find((s) => s.name === 'usageGate')?.detail).toMatch(
            /no successful sign-in with the old key/,
        );
        // The gate read the shared collector's records (one tenant-wide query), and says so.
        expect(done.steps.find((s) => s.name === 'usageGate')?.detail).toMatch(
            /sources consulted: shared sign-in collector \(complete read as of /,
        );

        const after = await world.passwords(app.appId);
        expect(after.map((p) => p.keyId)).toEqual([done.newKeyId]);
        expect(after[0]?.displayName).toMatch(/^rotator:/);
        // The new value works: a token request with it succeeds.
        await expect(world.emu.token(app.appId, live!.value, 'https://graph.microsoft.com/.default')).resolves.toMatch(
            /^eyJ/,
        );
        const types = (await world.events()).filter((e) => e.data.secretName === 'happy-secret').map((e) => e.type);
        expect(types[0]).toBe('Rotation.Started');
        expect(types.at(-1)).toBe('Rotation.Completed');
    });

    it('the app signs in as its managed identity: its Graph and Key Vault calls carried identity-endpoint tokens only', async () => {
        // Runs after the happy path, so the app has scanned, read and written Graph and Key Vault.
        expect(world.host.settings).toMatchObject({ ROTATOR_AUTH_MODE: 'managed-identity' });
        expect(world.host.settings).not.toHaveProperty('AZURE_CLIENT_SECRET');
        const state = await world.emu.expectOk(
            world.emu.call<{
                services: { entra: { tokenUse: Record<string, Record<string, Record<string, number>>> } };
            }>('GET', '/_emulator/state'),
            'emulator state',
        );
        const use = state.services.entra.tokenUse[world.tenant.rotator.clientId] ?? {};
        expect(use['https://graph.microsoft.com']?.['managed_identity']).toBeGreaterThan(0);
        expect(use['https://vault.azure.net']?.['managed_identity']).toBeGreaterThan(0);
        for (const [audience, grants] of Object.entries(use)) {
            expect(grants['client_credentials'], audience).toBeUndefined();
        }
    });

    it('verification never passes on a cached token: a second rotation whose new secret cannot sign in is undone', async () => {
        // The first rotation (above) signed in with this app in this very process; a verifier that reused a
        // client would now answer from its cache. Make every new credential unusable for far longer than the bound.
        const app = world.app('happy');
        const before = await world.passwords(app.appId);
        await world.emu.expectOk(
            world.emu.call('POST', '/_emulator/faults', { propagationDelaySeconds: 100 * DAY }),
            'faults',
        );
        try {
            const id = await world.startRotation('happy-secret');
            await waitForStep(world, id, 'create', 'succeeded');
            await world.emu.advanceClock(400); // past PROPAGATION_TIMEOUT_SECONDS (300)
            // Then the rotation waits out Graph's read-after-write lag before its final sweep.
            const done = await world.waitForRotation(id, { advanceSeconds: 5 * 60 });
            expect(done.status).toBe('AttentionRequired');
            expect(done.outcome?.code).toBe('verification_failed');
            expect(done.outcome?.message).toMatch(/AADSTS7000215/);
            expect((await world.passwords(app.appId)).map((p) => p.keyId)).toEqual(before.map((p) => p.keyId));
            expect(await world.secretValue(pendingSecretName('happy-secret'))).toBeUndefined();
        } finally {
            await world.restoreDelays();
        }
    });

    it('a 20-second propagation delay is waited out with durable timers, then the rotation completes', async () => {
        await world.emu.expectOk(
            world.emu.call('POST', '/_emulator/faults', { propagationDelaySeconds: 20 }),
            'faults',
        );
        try {
            const id = await world.startRotation('propagation-secret');
            await waitForStep(world, id, 'verifyNew', 'running', (detail) => /attempt [2-9]/.test(detail));
            await world.emu.advanceClock(25);
            const done = await world.waitForRotation(id, { advanceSeconds: HOUR });
            expect(done.status).toBe('Completed');
            const verify = done.steps.find((s) => s.name === 'verifyNew')!;
            expect(verify.detail).toMatch(/on attempt ([2-9]|\d{2,})/);
        } finally {
            await world.restoreDelays();
        }
    });

    it('an already-expired old credential is still rotated and removed', async () => {
        const app = world.app('already-expired');
        const done = await world.waitForRotation(await world.startRotation('expired-secret'), {
            advanceSeconds: HOUR,
        });
        expect(done.status).toBe('Completed');
        expect((await world.passwords(app.appId)).map((p) => p.keyId)).toEqual([done.newKeyId]);
    });

    it('a consumer pinned to the old version keeps signing in with the old key: the old credential is NOT deleted', async () => {
        const app = world.app('pinned');
        const id = await world.startRotation('pinned-secret');
        const done = await world.waitForRotation(id, { advanceSeconds: HOUR, timeoutMs: 120_000 });
        expect(done.status).toBe('AttentionRequired');
        expect(done.outcome?.code).toBe('still_in_use');
        expect(done.steps.find((s) => s.name === 'deleteOld')).toBeUndefined();
        const keys = (await world.passwords(app.appId)).map((p) => p.keyId);
        expect(keys).toContain(app.keyId);
        expect(keys).toContain(done.newKeyId);
        const events = (await world.events()).filter((e) => e.data.secretName === 'pinned-secret');
        expect(events.some((e) => e.type === 'Rotation.OldCredentialInUse')).toBe(true);
        expect(events.at(-1)?.type).toBe('Rotation.AttentionRequired');
        const pinned = world.consumers.find((c) => c.name === 'pinned-worker')!;
        expect((await pinned.health()).secretFingerprint).toBe(fingerprintOfText(app.clientSecret));
        expect(done.oldFingerprint).toBe(fingerprintOfText(app.clientSecret));
    });

    it('a healthy consumer is refreshed by webhook, confirmed by its probe, and the rotation completes', async () => {
        const id = await world.startRotation('healthy-secret');
        const done = await world.waitForRotation(id, { advanceSeconds: HOUR, timeoutMs: 120_000 });
        expect(done.status).toBe('Completed');
        expect(done.steps.find((s) => s.name === 'refresh')?.detail).toMatch(/healthy-health: ok/);
        expect(done.steps.find((s) => s.name === 'confirm')).toMatchObject({
            state: 'succeeded',
            detail: expect.stringContaining(`probe: healthy-health reports the new fingerprint ${done.newFingerprint}`),
        });
        const healthy = world.consumers.find((c) => c.name === 'healthy-worker')!;
        expect((await healthy.health()).secretFingerprint).toBe(done.newFingerprint);
    });

    it('an abort consumer failure stops before any deletion; both credentials remain', async () => {
        const app = world.app('abort');
        const done = await world.waitForRotation(await world.startRotation('abort-secret'), { advanceSeconds: HOUR });
        expect(done.status).toBe('AttentionRequired');
        expect(done.outcome?.code).toBe('consumer_refresh_failed');
        expect(done.steps.map((s) => s.name)).not.toContain('grace');
        const keys = (await world.passwords(app.appId)).map((p) => p.keyId);
        expect(keys).toEqual(expect.arrayContaining([app.keyId, done.newKeyId]));
    });

    it('the same rotation started three times at once is one rotation', async () => {
        const app = world.app('concurrent');
        const starts = await Promise.all(
            [1, 2, 3].map(() =>
                world.api<{ id: string; alreadyRunning?: boolean }>('POST', '/api/rotations', {
                    secretName: 'concurrent-secret',
                }),
            ),
        );
        expect(starts.map((s) => s.status)).toEqual([202, 202, 202]);
        const ids = new Set(starts.map((s) => s.body.id));
        expect(ids.size).toBe(1);
        // Azure Storage de-duplicates concurrent starts at runtime: every caller may hear "started" (202, not
        // alreadyRunning), but only one execution runs. One rotation is the guarantee; the flags are not.
        expect(starts.filter((s) => !s.body.alreadyRunning).length).toBeGreaterThanOrEqual(1);
        const done = await world.waitForRotation([...ids][0]!, { advanceSeconds: HOUR });
        expect(done.status).toBe('Completed');
        const passwords = await world.passwords(app.appId);
        expect(passwords.map((p) => p.keyId)).toEqual([done.newKeyId]);
    });

    it('no probe and no consumer sign-in with the new key: the old key is kept and the waiver is offered', async () => {
        const app = world.app('silent');
        const done = await world.waitForRotation(await world.startRotation('silent-secret'), {
            advanceSeconds: HOUR,
            timeoutMs: 120_000,
        });
        expect(done.status).toBe('AttentionRequired');
        expect(done.outcome?.code).toBe('no_switch_evidence');
        expect(done.outcome?.message).toContain('rotation-evidence=none-accepted');
        // It waits for the operator's "accept no evidence" (test/e2e/history.e2e.test.ts takes it to the delete).
        expect(done.steps.find((s) => s.name === 'confirm')?.state).toBe('waiting');
        expect((done as { awaiting?: unknown }).awaiting).toMatchObject({ action: 'acceptNoEvidence' });
        expect((await world.passwords(app.appId)).map((p) => p.keyId)).toContain(app.keyId);
    });

    it('a consumer that signs in with the old key once, 10 hours after publication, keeps its key', async () => {
        const app = world.app('nightly');
        const id = await world.startRotation('nightly-secret');
        await waitForStep(world, id, 'grace', 'waiting');
        await world.emu.advanceClock(10 * HOUR);
        // The nightly job: one token request with the secret it still holds, then silence until the gate.
        await world.emu.token(app.appId, app.clientSecret, 'https://graph.microsoft.com/.default');
        const done = await world.waitForRotation(id, { advanceSeconds: HOUR, timeoutMs: 120_000 });
        expect(done.status).toBe('AttentionRequired');
        expect(done.outcome?.code).toBe('still_in_use');
        expect((await world.passwords(app.appId)).map((p) => p.keyId)).toContain(app.keyId);
    });

    it('a flood of failed sign-ins for the client id does not hide the real old-key sign-in', async () => {
        const app = world.app('flooded');
        const id = await world.startRotation('flooded-secret');
        await waitForStep(world, id, 'grace', 'waiting');
        // Just before the gate: one real sign-in with the old key, then more failed ones than the old reader's
        // 20-page cap (anyone who knows a client id can do this).
        await world.emu.advanceClock(DAY - 2 * HOUR);
        await world.emu.token(app.appId, app.clientSecret, 'https://graph.microsoft.com/.default');
        const flood = await floodWrongSecret(world, app.appId, 21_000);
        expect(flood).toBe(21_000);
        const done = await world.waitForRotation(id, { advanceSeconds: HOUR, timeoutMs: 180_000 });
        expect(done.status).toBe('AttentionRequired');
        expect(done.outcome?.code).toBe('still_in_use');
        expect((await world.passwords(app.appId)).map((p) => p.keyId)).toContain(app.keyId);
    }, 240_000);

    it('a sign-in log lagging 4 hours is not read as "unused": the gate waits for its own sign-in to appear', async () => {
        const app = world.app('lagged');
        const id = await world.startRotation('lagged-secret');
        await waitForStep(world, id, 'grace', 'waiting');
        await world.emu.expectOk(
            world.emu.call('POST', '/_emulator/faults', { signInIngestionLatencySeconds: 4 * HOUR }),
            'faults',
        );
        try {
            // An old-key sign-in an hour before the gate: not in the log until 3 hours after the first check.
            await world.emu.advanceClock(DAY - HOUR);
            await world.emu.token(app.appId, app.clientSecret, 'https://graph.microsoft.com/.default');
            const notCaughtUp = await waitForStep(
                world,
                id,
                'usageGate',
                'waiting',
                (d) => /has not caught up/.test(d),
                { advanceSeconds: 15 * 60 },
            );
            expect(notCaughtUp.status).toBe('Running');
            const done = await world.waitForRotation(id, { advanceSeconds: HOUR, timeoutMs: 120_000 });
            expect(done.status).toBe('AttentionRequired');
            expect(done.outcome?.code).toBe('still_in_use');
            expect((await world.passwords(app.appId)).map((p) => p.keyId)).toContain(app.keyId);
        } finally {
            await world.restoreDelays();
        }
    });

    it('canary: no old or new secret value in host state, logs, events or any HTTP response', async () => {
        const secrets: string[] = [];
        for (const app of world.tenant.apps) {
            secrets.push(app.clientSecret);
            const live = app.secretName ? await world.secretValue(app.secretName) : undefined;
            if (live) secrets.push(live.value);
        }
        expect(secrets.length).toBeGreaterThan(world.tenant.apps.length);
        await world.events();
        const haystacks: { where: string; text: string }[] = [
            ...filesUnder(world.hostStateDir).map((file) => ({ where: file, text: readFileSync(file, 'utf8') })),
            ...world.responses.map((text, i) => ({ where: `response #${i}`, text })),
        ];
        expect(haystacks.some((h) => h.where.endsWith('host.log'))).toBe(true);
        expect(haystacks.some((h) => h.where.includes('durable'))).toBe(true);
        const hits = haystacks.flatMap((h) => secrets.filter((s) => h.text.includes(s)).map(() => h.where));
        expect(hits).toEqual([]);
    });
});

async function waitForStep(
    world: World,
    id: string,
    step: string,
    state: string,
    detail: (d: string) => boolean = () => true,
    options: { advanceSeconds?: number } = {},
): Promise<Awaited<ReturnType<World['rotation']>>> {
    const deadline = Date.now() + 60_000;
    for (;;) {
        const view = await world.rotation(id);
        const s = view.steps.find((x) => x.name === step);
        if (s && s.state === state && detail(s.detail)) return view;
        if (options.advanceSeconds && view.steps.some((x) => x.state === 'waiting'))
            await world.emu.advanceClock(options.advanceSeconds);
        if (!['Pending', 'Running'].includes(view.status))
            throw new Error(`rotation ended (${view.status}) before ${step}:${state}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${step}:${state}`);
        await new Promise((r) => setTimeout(r, 200));
    }
}

function filesUnder(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
        const path = join(dir, name);
        return statSync(path).isDirectory() ? filesUnder(path) : [path];
    });
}

/** Wrong-secret token requests for a client id, 32 at a time; resolves with how many were refused. */
async function floodWrongSecret(world: World, appId: string, count: number): Promise<number> {
    let refused = 0;
    let next = 0;
    const worker = async (): Promise<void> => {
        while (next < count) {
            next += 1;
            await world.emu.token(appId, 'not-the-secret', 'https://graph.microsoft.com/.default').catch(() => {
                refused += 1;
            });
        }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    return refused;
}
