import { describe, expect, it } from 'vitest';

import { throttledError } from '../../../shared/pacing/throttled';
import { Activities } from '../../../shared/rotation/names';
import { priorityOf, THROTTLE_WAIT_HOURS } from '../../../shared/workflows/callActivity';
import { rotationInput } from '../../support/fakes/inputs';
import { driveRotation } from '../../support/fakes/orchestrationDriver';
import { APP_ID, createWorld, START } from '../../support/fakes/world';

/** A 429 as the Graph adapter reports it once the quota budget or the service said "not before T". */
const throttled = (seconds: number) =>
    throttledError('graph addPassword failed (HTTP 429, TooManyRequests)', seconds * 1000);

/** No consumer here can show the new key in use: the operator's waiver lets the old key go on the log alone. */
const NO_EVIDENCE_SOURCE = { liveTags: { 'rotation-evidence': 'none-accepted' } };

describe('throttling is a reason to wait, never to fail (callActivity + activity table)', () => {
    it('a create throttled more often than the retry policy allows still completes, after durable timers of Retry-After', async () => {
        const world = createWorld(NO_EVIDENCE_SOURCE);
        // 6 throttled answers: more than upstreamRetry's 4 attempts, over longer than the whole 2.5-minute write window.
        world.directory.failures.failNext('addPassword', throttled(120), 6);
        const run = await driveRotation(world, { input: rotationInput() });

        expect(run.output.status).toBe('Completed');
        const creates = run.attempts.filter((a) => a.name === Activities.createCredential);
        // Every execution returned (no exception for Durable to retry), and exactly one credential was created.
        expect(creates).toHaveLength(7);
        expect(creates.every((a) => a.ok)).toBe(true);
        expect(world.directory.calls.filter((c) => c.method === 'addPassword')).toHaveLength(7);
        expect(world.directory.credentialsOf(APP_ID)).toHaveLength(1);
        // Between the attempts the orchestrator slept on timers of (at least) the Retry-After.
        const createIndexes = run.actions.flatMap((a, i) =>
            a.kind === 'activity' && a.name === Activities.createCredential ? [i] : [],
        );
        for (const [n, index] of createIndexes.slice(0, -1).entries()) {
            const next = run.actions[index + 1];
            expect(next?.kind, `after create attempt ${n + 1}`).toBe('timer');
        }
        const waited = Date.parse(run.history[createIndexes.at(-1)!]!.clockAfter) - Date.parse(START);
        expect(waited).toBeGreaterThanOrEqual(6 * 120_000);
    });

    it('a throttled delete waits too: the rotation completes and the old key goes exactly once', async () => {
        const world = createWorld(NO_EVIDENCE_SOURCE);
        const oldKey = world.oldKeyId;
        let armed = true;
        const run = await driveRotation(world, {
            input: rotationInput(),
            beforeActivity: (name, _input, w) => {
                if (name !== Activities.deleteOldCredential || !armed) return;
                armed = false;
                w.directory.failures.failNext(
                    'removePassword',
                    throttledError('graph removePassword failed (HTTP 429)', 30_000),
                    8,
                );
            },
        });
        expect(run.output.status).toBe('Completed');
        expect(run.attempts.filter((a) => a.name === Activities.deleteOldCredential)).toHaveLength(9);
        expect(world.directory.credentialsOf(APP_ID).map((c) => c.keyId)).not.toContain(oldKey);
    });

    it(`gives up only after ${THROTTLE_WAIT_HOURS} h of throttling, as throttled, with nothing left behind`, async () => {
        const world = createWorld(NO_EVIDENCE_SOURCE);
        world.directory.failures.failNext('addPassword', throttled(3600), 100);
        const run = await driveRotation(world, { input: rotationInput(), maxActions: 1000 });
        expect(run.output.status).toBe('Failed');
        expect(run.output.reason?.code).toBe('throttled');
        expect(world.directory.credentialsOf(APP_ID)).toHaveLength(1);
        const createAttempts = run.attempts.filter((a) => a.name === Activities.createCredential);
        expect(createAttempts.length).toBeGreaterThanOrEqual(THROTTLE_WAIT_HOURS);
        expect(createAttempts.length).toBeLessThanOrEqual(THROTTLE_WAIT_HOURS + 2);
    });

    it('tags every activity input with the step key and the rotation priority', async () => {
        const world = createWorld(NO_EVIDENCE_SOURCE);
        const run = await driveRotation(world, { input: rotationInput({ trigger: 'timer' }) });
        for (const action of run.actions) {
            if (action.kind !== 'activity') continue;
            expect(action.input).toMatchObject({
                pacing: { key: expect.stringContaining(`|${action.name}`), priority: 'normal' },
            });
        }
    });
});

describe('priorityOf', () => {
    it.each([
        [{ trigger: 'api' }, 'high'],
        [{ trigger: 'timer' }, 'normal'],
        [{ trigger: 'keyVaultEvent' }, 'normal'],
        [{ trigger: 'timer', priority: 'high' }, 'high'],
        [{ trigger: 'api', priority: 'normal' }, 'normal'],
        [undefined, 'normal'],
    ])('%j → %s', (input, expected) => {
        expect(priorityOf(input)).toBe(expected);
    });
});
