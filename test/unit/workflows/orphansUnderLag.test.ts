import { describe, expect, it } from 'vitest';

import { credentialDisplayName, pendingSecretName } from '../../../shared/rotation/markers';
import { Activities } from '../../../shared/rotation/names';
import { forbidden } from '../../support/fakes/failures';
import { driveRotation } from '../../support/fakes/orchestrationDriver';
import { rotationInput } from '../../support/fakes/inputs';
import {
    APP_ID,
    APP_OBJECT_ID,
    ROTATION_ID,
    SECRET_NAME,
    START,
    VAULT_URL,
    type World,
} from '../../support/fakes/world';
import { runScenario, webhook } from './scenarios';

/**
 * Issue 12 defect 10 ("orphans under lag"): Graph does not list a just-created credential for a while
 * (api-fidelity §1.11), so a create attempt that cannot see what an earlier attempt added leaves it behind,
 * unless the rotation sweeps its marked credentials once that lag has passed.
 */
const LAG_SECONDS = 60;
const keys = (world: World): string[] => world.directory.credentialsOf(APP_ID).map((c) => c.keyId);
const markedBy = (world: World, rotationId: string): string[] =>
    world.directory
        .credentialsOf(APP_ID)
        .filter((c) => c.displayName === credentialDisplayName(rotationId))
        .map((c) => c.keyId);
const withLag = (w: World): void => w.directory.replicationLag(LAG_SECONDS, () => w.clock.now());

describe('orphans under Graph read-after-write lag', () => {
    it('addPassword that creates but answers 503, with 60 s lag: the orphan is swept and the outcome says so', async () => {
        const { world, run } = await runScenario({
            world: { consumers: [webhook('api')] },
            arrange: (w) => {
                withLag(w);
                w.directory.loseNextAddPasswordResponse();
            },
        });
        const attempts = run.attempts.filter((a) => a.name === Activities.createCredential);
        expect(attempts.map((a) => a.ok)).toEqual([false, true]);
        // The retry ran inside the lag: it could not see the first attempt's credential.
        expect(Date.parse(attempts[1]!.at) - Date.parse(attempts[0]!.at)).toBeLessThan(LAG_SECONDS * 1000);
        expect(run.output.status).toBe('Completed');
        expect(keys(world)).toEqual([run.output.newKeyId]);
        const finding = run.output.findings.find((f) => f.code === 'leftovers_removed');
        expect(finding?.message).toMatch(
            /removed 1 credential\(s\) left by interrupted create attempts \([0-9a-f-]{36}\)/,
        );
        const completed = world.notifier.events.find((e) => e.type === 'Rotation.Completed');
        expect(completed?.data['detail']).toMatch(/removed 1 credential\(s\) left by interrupted create attempts/);
    });

    it('create failing past its retries under lag: every marked credential is removed after the lag, and said so', async () => {
        const { world, run } = await runScenario({
            world: { consumers: [webhook('api')] },
            arrange: (w) => {
                withLag(w);
                for (let i = 0; i < 4; i++) w.directory.loseNextAddPasswordResponse();
            },
        });
        expect(run.attempts.filter((a) => a.name === Activities.createCredential)).toHaveLength(4);
        expect(run.output.status).toBe('Failed');
        expect(markedBy(world, ROTATION_ID)).toEqual([]);
        expect(keys(world)).toEqual([world.oldKeyId]);
        expect(run.output.reason?.message).toMatch(/removed 4 credential\(s\) left by interrupted create attempts/);
        // The sweep ran only once Graph's lag had passed since the last attempt.
        const lastCreate = run.attempts.filter((a) => a.name === Activities.createCredential).at(-1)!.at;
        const sweep = run.attempts.find((a) => a.name === Activities.sweepCredentials)!.at;
        expect(Date.parse(sweep) - Date.parse(lastCreate)).toBeGreaterThanOrEqual(15 * 60_000);
    });

    it('a kill between create and stash within the lag: the re-run cannot see the orphan; the sweep removes it', async () => {
        let killed = false;
        const { world, run } = await runScenario({
            world: { consumers: [webhook('api')] },
            arrange: withLag,
            // The first execution added the credential and died before its stash; Durable runs the activity again.
            hook: () => (name, _input, w) => {
                if (name !== Activities.createCredential || killed) return;
                killed = true;
                void w.directory.addPassword(APP_OBJECT_ID, {
                    displayName: credentialDisplayName(ROTATION_ID),
                    startDateTime: START,
                    endDateTime: '2026-09-01T00:00:00.000Z',
                });
            },
        });
        expect(killed).toBe(true);
        // The re-run saw nothing to clean up (Graph did not list the first credential yet).
        expect(run.output.steps.find((s) => s.name === 'create')?.detail).not.toMatch(/removed orphan/);
        expect(run.output.status).toBe('Completed');
        expect(keys(world)).toEqual([run.output.newKeyId]);
        expect(run.output.findings.map((f) => f.code)).toContain('leftovers_removed');
    });

    it('a sweep that cannot run does not end "Failed" with nothing said: it needs attention and names the marker', async () => {
        const { world, run } = await runScenario({
            world: { consumers: [webhook('api')] },
            arrange: (w) => {
                withLag(w);
                for (let i = 0; i < 4; i++) w.directory.loseNextAddPasswordResponse();
            },
            hook: () => (name, _input, w) => {
                if (name === Activities.sweepCredentials)
                    w.directory.failures.failNext('getApplicationByAppId', forbidden());
            },
        });
        expect(run.output.status).toBe('AttentionRequired');
        expect(run.output.reason?.message).toContain(`could not be checked after Graph's lag`);
        expect(run.output.reason?.message).toContain(`rotator:${ROTATION_ID}`);
        expect(markedBy(world, ROTATION_ID)).toHaveLength(4);
    });
});

describe('a publish that failed (Key Vault 403), retried after the operator fixed access', () => {
    it('the failed rotation removes its credential, keeps its stash while it could not delete it, and the retry completes with one new key', async () => {
        const { world, run } = await runScenario({
            world: { consumers: [webhook('api')] },
            arrange: withLag,
            hook: () => (name, _input, w) => {
                // No access to write secrets: publish and every stash clean-up are refused.
                if (name === Activities.publishCredential)
                    w.vault.failures.failNext('setSecret', forbidden('Forbidden'));
                if (name === Activities.sweepCredentials)
                    w.vault.failures.failNext('deleteSecret', forbidden('Forbidden'));
            },
        });
        expect(run.output.status).toBe('AttentionRequired');
        expect(run.output.reason?.code).toBe('forbidden');
        const first = run.output.newKeyId!;
        // Its credential is gone, the old one kept, and the outcome says both (and why the value is still stashed).
        expect(keys(world)).toEqual([world.oldKeyId]);
        expect(run.output.reason?.message).toContain(`the new credential ${first} was removed`);
        expect(run.output.reason?.message).toContain('the pending secret was kept: it could not be deleted');
        expect(world.vault.peek(VAULT_URL, SECRET_NAME)?.fingerprint).toBe(world.oldFingerprint);
        expect(world.vault.peek(VAULT_URL, pendingSecretName(SECRET_NAME))).toBeDefined();

        // The operator fixed access and started again: a new rotation completes with exactly one new credential.
        const retry = await driveRotation(world, { input: rotationInput({ rotationId: 'rot-0002' }) });
        expect(retry.output.status).toBe('Completed');
        expect(keys(world)).toEqual([retry.output.newKeyId]);
        expect(retry.output.newKeyId).not.toBe(first);
        expect(world.vault.peek(VAULT_URL, pendingSecretName(SECRET_NAME))).toBeUndefined();
        // Both rotations keep their own record.
        expect(run.output.rotationId).toBe(ROTATION_ID);
        expect(retry.output.rotationId).toBe('rot-0002');
    });

    it('when the failed rotation could not remove its credential, the retry removes it before reusing the stash name', async () => {
        const { world, run } = await runScenario({
            world: { consumers: [webhook('api')] },
            hook: () => (name, _input, w) => {
                if (name === Activities.publishCredential)
                    w.vault.failures.failNext('setSecret', forbidden('Forbidden'));
                // Graph refused the sweep too: the first rotation's credential and its stash stay.
                if (name === Activities.sweepCredentials)
                    w.directory.failures.failNext('getApplicationByAppId', forbidden());
            },
        });
        const first = run.output.newKeyId!;
        expect(run.output.status).toBe('AttentionRequired');
        expect(keys(world)).toContain(first);
        expect(world.vault.peek(VAULT_URL, pendingSecretName(SECRET_NAME))?.tags['entra-key-id']).toBe(first);

        const retry = await driveRotation(world, { input: rotationInput({ rotationId: 'rot-0002' }) });
        expect(retry.output.status).toBe('Completed');
        expect(keys(world)).toEqual([retry.output.newKeyId]);
        expect(retry.output.steps.find((s) => s.name === 'create')?.detail).toContain(`removed orphan(s) ${first}`);
    });
});
