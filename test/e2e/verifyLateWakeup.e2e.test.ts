import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { NO_EVIDENCE_SOURCE } from '../sandbox/seedTenant';
import { World } from './support/world';

const HOUR = 3_600;
/** PROPAGATION_TIMEOUT_SECONDS' default: verification's deadline after it starts. */
const DEADLINE_SECONDS = 300;

interface SignIn {
    createdDateTime: string;
    appId: string;
    servicePrincipalCredentialKeyId: string | null;
    status: { errorCode: number };
}

/**
 * Issue 12, defect 5: an orchestrator that wakes up after the propagation deadline (a busy or scaled-in app in
 * Azure wakes late from its durable timer) must still try the new secret at least once before it gives up. The
 * host follows the emulator's clock; the test freezes it, lets the first attempt fail, then jumps the clock past
 * both the deadline and the propagation delay in one step, so the orchestrator's next wake-up is late.
 */
describe('verification after a late wake-up through the local host', () => {
    let world: World;

    beforeAll(async () => {
        world = await World.start({
            apps: [{ displayName: 'late', expiresInDays: 20, secretName: 'late-secret', tags: NO_EVIDENCE_SOURCE }],
            // Every new secret needs 400 s to work, longer than the 300 s deadline: only an attempt that starts
            // after the deadline can succeed.
            faults: { propagationDelaySeconds: 400 },
            // Frozen: the test decides exactly when the orchestrator wakes up (after the deadline, in one jump).
            clockRate: 0,
            settings: { GRACE_PERIOD_DAYS: '1' },
        });
    }, 180_000);

    afterAll(async () => {
        await world?.close();
    });

    it('woken after the deadline, it makes one more attempt, which succeeds, and the rotation completes', async () => {
        const app = world.app('late');
        const id = await world.startRotation('late-secret');
        const failed = await firstFailedAttempt(world, app.appId);
        // The orchestrator now sleeps on its 2-second retry timer; nothing moves until the clock does.
        await world.emu.advanceClock(DEADLINE_SECONDS + 300);
        // Let time flow again for the second consecutive success (a 2-second timer), publish and grace.
        world.startClock(30);
        const done = await world.waitForRotation(id, { advanceSeconds: HOUR, timeoutMs: 120_000 });
        expect(done.status, JSON.stringify(done.outcome)).toBe('Completed');
        const verify = done.steps.find((s) => s.name === 'verifyNew');
        expect(verify?.state).toBe('succeeded');
        const deadline = Date.parse(failed.createdDateTime) + DEADLINE_SECONDS * 1000;
        const successes = (await signIns(world)).filter(
            (s) =>
                s.appId === app.appId &&
                s.servicePrincipalCredentialKeyId === done.newKeyId &&
                s.status.errorCode === 0,
        );
        // The attempts that proved the secret ran at or after the deadline (the verification's own sign-ins).
        expect(successes.length).toBeGreaterThanOrEqual(2);
        expect(successes.every((s) => Date.parse(s.createdDateTime) >= deadline)).toBe(true);
        expect((await world.passwords(app.appId)).map((p) => p.keyId)).toContain(done.newKeyId);
    }, 240_000);
});

/** Waits for the verification's first sign-in with the new secret (refused: not propagated yet). */
async function firstFailedAttempt(world: World, appId: string): Promise<SignIn> {
    const deadline = Date.now() + 60_000;
    for (;;) {
        const failed = (await signIns(world)).find((s) => s.appId === appId && s.status.errorCode === 7000215);
        if (failed) return failed;
        if (Date.now() > deadline) throw new Error('no verification attempt within 60 s');
        await new Promise((r) => setTimeout(r, 200));
    }
}

/** Every sign-in the emulator recorded (ingested or not): the test's view, not the product's. */
async function signIns(world: World): Promise<SignIn[]> {
    const state = await world.emu.call<{ services: { entra: { signIns: SignIn[] } } }>('GET', '/_emulator/state');
    return state.body.services.entra.signIns;
}
