import { describe, expect, it } from 'vitest';

import { classifyAadsts } from '../../../shared/domain/aadsts';
import { createCredential } from '../../../shared/rotation/activities/createCredential';
import { discardCredential, verifyCredential } from '../../../shared/rotation/activities/verifyCredential';
import { type VerifyInput } from '../../../shared/rotation/contracts';
import { credentialDisplayName, ManagedTags, pendingSecretName } from '../../../shared/rotation/markers';
import { STASH_FOR_TAG } from '../../../shared/rotation/stash';
import { createInput, leakedSecrets } from '../../support/fakes/inputs';
import {
    APP_ID,
    APP_OBJECT_ID,
    createWorld,
    ROTATION_ID,
    SECRET_NAME,
    VAULT_URL,
    type World,
} from '../../support/fakes/world';

const PENDING = pendingSecretName(SECRET_NAME);

/** A world after a successful create, with the verify input the orchestrator would build. */
async function created(): Promise<{ world: World; input: VerifyInput }> {
    const world = createWorld();
    const result = await createCredential(world.deps, createInput(), world.log);
    if (!result.ok) throw new Error(result.code);
    return {
        world,
        input: {
            vaultUrl: VAULT_URL,
            secretName: SECRET_NAME,
            appId: APP_ID,
            keyId: result.keyId,
            fingerprint: result.fingerprint,
        },
    };
}

describe('verifyCredential', () => {
    it('issues a token with the stashed value', async () => {
        const { world, input } = await created();
        const result = await verifyCredential(world.deps, input);
        expect(result).toEqual({
            ok: true,
            category: 'ok',
            aadstsCode: null,
            retryable: false,
            mayBePropagationDelay: false,
            detail: 'token issued',
        });
        // Exactly one round trip, with the new value (not the live one).
        expect(world.verifier.calls).toEqual([{ appId: APP_ID, fingerprint: input.fingerprint }]);
    });

    it('reports a missing stash without calling the token endpoint', async () => {
        const { world, input } = await created();
        await world.deps.secrets.deleteSecret(VAULT_URL, PENDING);
        const result = await verifyCredential(world.deps, input);
        expect(result).toMatchObject({ ok: false, category: 'stash_missing', retryable: false });
        expect(world.verifier.calls).toEqual([]);
    });

    it('treats a stash for another credential as missing', async () => {
        const { world, input } = await created();
        const result = await verifyCredential(world.deps, { ...input, keyId: 'another-key-id' });
        expect(result).toMatchObject({ ok: false, category: 'stash_missing' });
        expect(world.verifier.calls).toEqual([]);
    });

    it('refuses a stash whose value does not match the created fingerprint', async () => {
        const { world, input } = await created();
        world.vault.seed(VAULT_URL, PENDING, 'some-other-value', {
            tags: {
                [ManagedTags.keyId]: input.keyId,
                [ManagedTags.rotationId]: ROTATION_ID,
                [STASH_FOR_TAG]: SECRET_NAME.toLowerCase(),
            },
        });
        const result = await verifyCredential(world.deps, input);
        expect(result).toMatchObject({ ok: false, category: 'stash_mismatch', mayBePropagationDelay: false });
        expect(world.verifier.calls).toEqual([]);
    });

    it.each<[string, number, { category: string; retryable: boolean; mayBePropagationDelay: boolean }]>([
        ['not replicated yet', 7000215, { category: 'invalid_secret', retryable: false, mayBePropagationDelay: true }],
        ['wrong credentials', 70002, { category: 'invalid_secret', retryable: false, mayBePropagationDelay: false }],
        ['expired', 7000222, { category: 'expired_secret', retryable: false, mayBePropagationDelay: false }],
        ['app not replicated', 700016, { category: 'app_not_found', retryable: false, mayBePropagationDelay: true }],
        ['throttled', 90055, { category: 'throttled', retryable: true, mayBePropagationDelay: false }],
    ])('maps AADSTS classification (%s, %i)', async (_label, code, expected) => {
        const { world, input } = await created();
        world.verifier.failWith(code);
        const result = await verifyCredential(world.deps, input);
        expect(result).toMatchObject({ ok: false, aadstsCode: code, ...expected });
        expect(result.detail).toBe(classifyAadsts({ error_codes: [code] }).hint);
    });

    it('maps a code-less transient failure with aadstsCode null', async () => {
        const { world, input } = await created();
        world.verifier.failWithClassification(classifyAadsts({ status: 503, error: 'temporarily_unavailable' }));
        const result = await verifyCredential(world.deps, input);
        expect(result).toMatchObject({ ok: false, category: 'transient', aadstsCode: null, retryable: true });
    });

    it('falls back to the first code found when none decided the category', async () => {
        const { world, input } = await created();
        world.verifier.failWithClassification(classifyAadsts({ error_codes: [50000, 123] }));
        const result = await verifyCredential(world.deps, input);
        expect(result).toMatchObject({ ok: false, category: 'unknown', aadstsCode: 50000 });
    });

    it('a removed credential fails like Entra would (7000215)', async () => {
        const { world, input } = await created();
        await world.deps.credentials.removePassword(APP_OBJECT_ID, input.keyId);
        const result = await verifyCredential(world.deps, input);
        expect(result).toMatchObject({ ok: false, aadstsCode: 7000215 });
        expect(leakedSecrets(world.secretTexts(), result)).toEqual([]);
    });
});

describe('discardCredential', () => {
    it('removes the new credential and its stash, keeping the old credential and live secret', async () => {
        const { world, input } = await created();
        const discard = {
            vaultUrl: VAULT_URL,
            secretName: SECRET_NAME,
            appObjectId: APP_OBJECT_ID,
            keyId: input.keyId,
        };
        expect(await discardCredential(world.deps, discard)).toEqual({ removed: true });

        const keys = world.directory.credentialsOf(APP_ID).map((c) => c.keyId);
        expect(keys).toEqual([world.oldKeyId]);
        expect(world.vault.peek(VAULT_URL, PENDING)).toBeUndefined();
        expect(world.vault.peek(VAULT_URL, SECRET_NAME)?.fingerprint).toBe(world.oldFingerprint);

        // At-least-once: a second run is harmless.
        expect(await discardCredential(world.deps, discard)).toEqual({ removed: false });
        expect(world.directory.credentialsOf(APP_ID).map((c) => c.keyId)).toEqual([world.oldKeyId]);
        expect(
            world.directory.credentialsOf(APP_ID).filter((c) => c.displayName === credentialDisplayName(ROTATION_ID)),
        ).toEqual([]);
    });
});
