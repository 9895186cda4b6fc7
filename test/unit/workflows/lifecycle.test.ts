import { describe, expect, it } from 'vitest';

import { credentialDisplayName } from '../../../shared/rotation/markers';
import { rotationInput } from '../../support/fakes/inputs';
import { driveRotation } from '../../support/fakes/orchestrationDriver';
import { APP_ID, SECRET_NAME, VAULT_URL, type World } from '../../support/fakes/world';
import { runScenario, scenarios } from './scenarios';

const credentials = (world: World): (string | null)[] =>
    world.directory.credentialsOf(APP_ID).map((c) => c.displayName);

/** What one rotation leaves behind is the next rotation's starting point (the Key Vault tag contract). */
describe('consecutive rotations', () => {
    it('a completed rotation hands over cleanly to the next one', async () => {
        const { world, run: first } = await runScenario(scenarios.happy!);
        const second = await driveRotation(world, { input: rotationInput({ rotationId: 'rot-0002' }) });

        expect(second.output.status).toBe('Completed');
        // The published tags name the first rotation's key and fingerprint: the second one starts from them.
        expect(second.output.oldKeyId).toBe(first.output.newKeyId);
        expect(second.output.oldFingerprint).toBe(first.output.newFingerprint);
        expect(second.output.findings).toEqual([]);
        expect(credentials(world)).toEqual([credentialDisplayName('rot-0002')]);
        expect(world.vault.peek(VAULT_URL, SECRET_NAME)?.fingerprint).toBe(second.output.newFingerprint);
    });

    it('after a discarded attempt the next rotation starts from the untouched old credential', async () => {
        const { world, run: first } = await runScenario(scenarios.verifyPermanent!);
        expect(first.output.status).toBe('AttentionRequired');
        expect(credentials(world)).toEqual(['rotator:rot-0000']);

        world.verifier.clearScript(); // an operator fixed the cause
        const second = await driveRotation(world, { input: rotationInput({ rotationId: 'rot-0002' }) });
        expect(second.output.status).toBe('Completed');
        expect(second.output.oldKeyId).toBe(first.output.oldKeyId);
        expect(second.output.findings).toEqual([]);
        expect(credentials(world)).toEqual([credentialDisplayName('rot-0002')]);
    });

    it('after an aborted refresh the next rotation rotates the published key and keeps the older one', async () => {
        const { world, run: first } = await runScenario(scenarios.abortConsumer!);
        expect(first.output.status).toBe('AttentionRequired');
        world.refresher.script('api', [{ ok: true, detail: 'fixed' }]);

        const second = await driveRotation(world, { input: rotationInput({ rotationId: 'rot-0002' }) });
        expect(second.output.status).toBe('Completed');
        expect(second.output.oldKeyId).toBe(first.output.newKeyId);
        // The key from before the aborted rotation is not this rotation's to delete: it stays for a human.
        expect(credentials(world).sort()).toEqual(['rotator:rot-0000', credentialDisplayName('rot-0002')].sort());
    });
});
