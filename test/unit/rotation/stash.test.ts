import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { ErrorCodes } from '../../../shared/errors/errorCodes';
import { createCredential, discardOrphans } from '../../../shared/rotation/activities/createCredential';
import { preflight } from '../../../shared/rotation/activities/preflight';
import { publishCredential } from '../../../shared/rotation/activities/publishCredential';
import { discardCredential } from '../../../shared/rotation/activities/verifyCredential';
import {
    credentialDisplayName,
    isPendingSecretName,
    isValidSecretName,
    pendingSecretName,
} from '../../../shared/rotation/markers';
import { deleteStash, STASH_FOR_TAG } from '../../../shared/rotation/stash';
import { createInput, preflightInput } from '../../support/fakes/inputs';
import { APP_ID, APP_OBJECT_ID, createWorld, ROTATION_ID, SECRET_NAME, VAULT_URL } from '../../support/fakes/world';

const secretNames = fc.stringMatching(/^[0-9A-Za-z-]{1,127}$/);

describe('stash names', () => {
    it('is a valid Key Vault name, recognised as a stash, for every secret name', () => {
        fc.assert(
            fc.property(secretNames, (name) => {
                const stash = pendingSecretName(name);
                expect(isValidSecretName(stash)).toBe(true);
                expect(isPendingSecretName(stash)).toBe(true);
            }),
        );
    });

    it('differs for two names that differ anywhere, even past the first 108 characters', () => {
        const prefix = `longname-${'x'.repeat(99)}`;
        expect(pendingSecretName(`${prefix}-alpha-secret`)).not.toBe(pendingSecretName(`${prefix}-bravo-secret`));
        fc.assert(
            fc.property(secretNames, secretNames, (a, b) => {
                fc.pre(a.toLowerCase() !== b.toLowerCase());
                expect(pendingSecretName(a).toLowerCase()).not.toBe(pendingSecretName(b).toLowerCase());
            }),
        );
    });

    it('is the same for names that differ only in case (Key Vault names are case-insensitive)', () => {
        expect(pendingSecretName('Graph-Secret').toLowerCase()).toBe(pendingSecretName('graph-secret'));
    });

    it('is never `<name>--rotation-pending`, so a secret of that name is somebody else’s', () => {
        expect(pendingSecretName(SECRET_NAME)).not.toBe(`${SECRET_NAME}--rotation-pending`);
    });
});

describe('the stash mark', () => {
    it('never deletes, purges or overwrites a secret without our mark under the stash name', async () => {
        const world = createWorld();
        const stash = pendingSecretName(SECRET_NAME);
        world.vault.seed(VAULT_URL, stash, 'precious-unrelated-value', { tags: { owner: 'another-team' } });

        // Refused before anything is created: no credential, so nothing to take back (or to orphan under lag).
        const refused = await createCredential(world.deps, createInput(), world.log);
        expect(refused).toMatchObject({ ok: false, code: ErrorCodes.stashNameTaken });
        expect(world.directory.calls.filter((c) => c.method === 'addPassword')).toEqual([]);
        expect(world.vault.peek(VAULT_URL, stash)?.tags).toEqual({ owner: 'another-team' });
        expect(world.vault.purgedNames()).toEqual([]);
        const marked = world.directory
            .credentialsOf(APP_ID)
            .filter((c) => c.displayName === credentialDisplayName(ROTATION_ID));
        expect(marked).toEqual([]);

        expect(await deleteStash(world.deps.secrets, VAULT_URL, SECRET_NAME)).toBe('notOurs');
        await discardOrphans(
            world.deps,
            { rotationId: ROTATION_ID, vaultUrl: VAULT_URL, secretName: SECRET_NAME, appId: APP_ID },
            world.log,
        );
        await discardCredential(world.deps, {
            vaultUrl: VAULT_URL,
            secretName: SECRET_NAME,
            appObjectId: APP_OBJECT_ID,
            keyId: '55555555-5555-4555-8555-555555555555',
        });
        expect(world.vault.peek(VAULT_URL, stash)?.tags).toEqual({ owner: 'another-team' });
        expect(world.vault.purgedNames()).toEqual([]);
    });

    // Issue 13 gap: a soft-deleted secret of somebody else's under the stash name would be recovered by the write.
    it('a soft-deleted foreign secret under the stash name is refused by preflight and create, nothing changed', async () => {
        const world = createWorld();
        const stash = pendingSecretName(SECRET_NAME);
        world.vault.seedDeleted(VAULT_URL, stash, { owner: 'another-team' });

        const plan = await preflight(world.deps, preflightInput());
        expect(plan.findings).toContainEqual(
            expect.objectContaining({ severity: 'error', code: ErrorCodes.stashNameTaken }),
        );
        expect(plan.findings.find((f) => f.code === ErrorCodes.stashNameTaken)?.message).toMatch(
            /deleted secret .* that this rotator did not create/,
        );
        const refused = await createCredential(world.deps, createInput(), world.log);
        expect(refused).toMatchObject({ ok: false, code: ErrorCodes.stashNameTaken });
        expect(world.directory.calls.filter((c) => c.method === 'addPassword')).toEqual([]);
        expect(world.vault.writes()).toEqual([]);
    });

    it('a soft-deleted stash of ours does not block a rotation', async () => {
        const world = createWorld();
        world.vault.seedDeleted(VAULT_URL, pendingSecretName(SECRET_NAME), {
            [STASH_FOR_TAG]: SECRET_NAME.toLowerCase(),
            'rotation-id': 'rot-0999',
        });
        const plan = await preflight(world.deps, preflightInput());
        expect(plan.findings.map((f) => f.code)).not.toContain(ErrorCodes.stashNameTaken);
        expect((await createCredential(world.deps, createInput(), world.log)).ok).toBe(true);
    });

    it('leaves a secret named `<managed>--rotation-pending` alone through a whole create and publish', async () => {
        const world = createWorld();
        const lookalike = `${SECRET_NAME}--rotation-pending`;
        world.vault.seed(VAULT_URL, lookalike, 'precious-unrelated-value', { tags: { owner: 'another-team' } });

        const created = await createCredential(world.deps, createInput(), world.log);
        if (!created.ok) throw new Error(created.message);
        const ours = world.vault.peek(VAULT_URL, pendingSecretName(SECRET_NAME));
        expect(ours?.tags).toMatchObject({ [STASH_FOR_TAG]: SECRET_NAME.toLowerCase(), 'rotation-id': ROTATION_ID });
        await publishCredential(world.deps, {
            rotationId: ROTATION_ID,
            vaultUrl: VAULT_URL,
            secretName: SECRET_NAME,
            appId: APP_ID,
            keyId: created.keyId,
            fingerprint: created.fingerprint,
            endDateTime: created.endDateTime,
            oldKeyId: world.oldKeyId,
        });
        expect(world.vault.peek(VAULT_URL, lookalike)?.tags).toEqual({ owner: 'another-team' });
        expect(world.vault.purgedNames()).not.toContain(`${VAULT_URL}|${lookalike}`);
        // Our own stash is gone, and the live secret does not inherit the stash mark.
        expect(world.vault.peek(VAULT_URL, pendingSecretName(SECRET_NAME))).toBeUndefined();
        expect(world.vault.peek(VAULT_URL, SECRET_NAME)?.tags[STASH_FOR_TAG]).toBeUndefined();
    });
});
