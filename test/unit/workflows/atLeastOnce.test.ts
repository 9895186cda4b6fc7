import { describe, expect, it } from 'vitest';

import { credentialDisplayName, pendingSecretName } from '../../../shared/rotation/markers';
import { Activities } from '../../../shared/rotation/names';
import { APP_ID, ROTATION_ID, SECRET_NAME, VAULT_URL, type World } from '../../support/fakes/world';
import { runScenario, scenarios } from './scenarios';

/** The observable end state of a rotation, independent of how many times each activity ran. */
function endState(world: World) {
    return {
        credentials: world.directory.credentialsOf(APP_ID).map((c) => [c.keyId, c.displayName]),
        live: world.vault.peek(VAULT_URL, SECRET_NAME)?.fingerprint,
        pending: world.vault.peek(VAULT_URL, pendingSecretName(SECRET_NAME)) !== undefined,
        eventIds: [...new Set(world.notifier.events.map((e) => e.id))],
    };
}

const idempotent = ['happy', 'propagation', 'verifyPermanent', 'abortConsumer', 'stillInUse', 'oldKeyAbsent'];

describe('rotateCredential under at-least-once activity delivery', () => {
    it.each(idempotent)('%s: every activity running twice ends in the same state as running once', async (name) => {
        const once = await runScenario(scenarios[name]!);
        const twice = await runScenario(scenarios[name]!, { deliverTwice: () => true });

        expect(twice.run.output.status).toBe(once.run.output.status);
        expect(twice.run.output.newKeyId).toBe(once.run.output.newKeyId);
        expect(twice.run.output.newFingerprint).toBe(once.run.output.newFingerprint);
        expect(endState(twice.world)).toEqual(endState(once.world));
        // Consumers dedupe events by id: a repeated notify publishes the same ids, never new ones.
        expect(twice.world.notifier.events.length).toBe(2 * once.world.notifier.events.length);
    });

    it('a repeated create reports that it recovered the first attempt instead of adding a second credential', async () => {
        const { world, run } = await runScenario(scenarios.happy!, {
            deliverTwice: (n) => n === Activities.createCredential,
        });
        expect(world.directory.calls.filter((c) => c.method === 'addPassword')).toHaveLength(1);
        expect(run.output.steps.find((s) => s.name === 'create')?.detail).toContain('recovered');
        expect(
            world.directory.credentialsOf(APP_ID).filter((c) => c.displayName === credentialDisplayName(ROTATION_ID)),
        ).toHaveLength(1);
    });

    it('a repeated deleteOld reports the credential as already gone and still completes', async () => {
        const { run } = await runScenario(scenarios.happy!, {
            deliverTwice: (n) => n === Activities.deleteOldCredential,
        });
        expect(run.output.status).toBe('Completed');
        expect(run.output.steps.find((s) => s.name === 'deleteOld')?.detail).toBe('already gone');
    });
});
