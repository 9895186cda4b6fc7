import { describe, expect, it } from 'vitest';

import { ErrorCodes } from '../../../shared/errors/errorCodes';
import { RotatorError } from '../../../shared/errors/RotatorError';
import { createCredential } from '../../../shared/rotation/activities/createCredential';
import { type CreateResult } from '../../../shared/rotation/contracts';
import {
    credentialDisplayName,
    ManagedTags,
    pendingSecretName,
    SECRET_CONTENT_TYPE,
} from '../../../shared/rotation/markers';
import { unavailable } from '../../support/fakes/failures';
import { STASH_FOR_TAG } from '../../../shared/rotation/stash';
import { CreateAttempts, ledgerKey } from '../../../shared/rotation/createAttempts';
import { stateDocumentName } from '../../../shared/scan/stateKey';
import { MemoryStateStore } from '../../support/fakes/MemoryStateStore';
import { createInput, leakedSecrets } from '../../support/fakes/inputs';
import { APP_ID, createWorld, ROTATION_ID, SECRET_NAME, VAULT_URL, type World } from '../../support/fakes/world';

const MARKER = credentialDisplayName(ROTATION_ID);
const PENDING = pendingSecretName(SECRET_NAME);

function mine(world: World): string[] {
    return world.directory
        .credentialsOf(APP_ID)
        .filter((c) => c.displayName === MARKER)
        .map((c) => c.keyId);
}

function expectOk(result: CreateResult): Extract<CreateResult, { ok: true }> {
    if (!result.ok) throw new Error(`expected ok, got ${result.code}: ${result.message}`);
    return result;
}

function addPasswordCalls(world: World): number {
    return world.directory.calls.filter((c) => c.method === 'addPassword').length;
}

describe('createCredential', () => {
    it('adds a marked credential and stashes its value, tagged, where consumers never read', async () => {
        const world = createWorld();
        const input = createInput();
        const result = expectOk(await createCredential(world.deps, input, world.log));

        expect(result).toMatchObject({ reused: false, orphansRemoved: [], endDateTime: input.endDateTime });
        expect(mine(world)).toEqual([result.keyId]);
        const request = world.directory.calls.find((c) => c.method === 'addPassword')?.request;
        expect(request).toEqual({
            displayName: MARKER,
            startDateTime: input.startDateTime,
            endDateTime: input.endDateTime,
        });

        const stash = world.vault.peek(VAULT_URL, PENDING);
        expect(stash).toMatchObject({
            contentType: SECRET_CONTENT_TYPE,
            expiresOn: input.endDateTime,
            fingerprint: result.fingerprint,
            tags: {
                [ManagedTags.appId]: APP_ID,
                [ManagedTags.keyId]: result.keyId,
                [ManagedTags.fingerprint]: result.fingerprint,
                [ManagedTags.rotationId]: ROTATION_ID,
            },
        });
        // The live secret is untouched until the value is verified.
        expect(world.vault.peek(VAULT_URL, SECRET_NAME)).toMatchObject({
            fingerprint: world.oldFingerprint,
            versions: 1,
        });
        expect(world.directory.credentialsOf(APP_ID).map((c) => c.keyId)).toContain(world.oldKeyId);
    });

    it('returns references only: no secret text in the result or the log', async () => {
        const world = createWorld();
        const result = await createCredential(world.deps, createInput(), world.log);
        expect(world.secretTexts().length).toBeGreaterThan(1);
        expect(leakedSecrets(world.secretTexts(), result)).toEqual([]);
        expect(leakedSecrets(world.secretTexts(), world.logLines)).toEqual([]);
        expect(JSON.stringify(result)).not.toContain('[REDACTED]');
    });

    it('re-run after a crash between addPassword and the stash removes the orphan and leaves exactly one', async () => {
        const world = createWorld();
        // The previous attempt died after Graph created the credential: its value is gone with the process.
        const orphan = world.directory.seedCredential(APP_ID, { displayName: MARKER });

        const result = expectOk(await createCredential(world.deps, createInput(), world.log));

        expect(result.orphansRemoved).toEqual([orphan.keyId]);
        expect(result.keyId).not.toBe(orphan.keyId);
        expect(mine(world)).toEqual([result.keyId]);
        expect(world.vault.peek(VAULT_URL, PENDING)?.tags[ManagedTags.keyId]).toBe(result.keyId);
        expect(world.logLines).toContainEqual(
            expect.objectContaining({ level: 'warn', fields: expect.objectContaining({ keyId: orphan.keyId }) }),
        );
    });

    it('re-run after the stash reuses the stashed credential instead of adding another', async () => {
        const world = createWorld();
        const first = expectOk(await createCredential(world.deps, createInput(), world.log));
        const second = expectOk(await createCredential(world.deps, createInput(), world.log));

        expect(second).toMatchObject({ reused: true, keyId: first.keyId, fingerprint: first.fingerprint });
        expect(second.orphansRemoved).toEqual([]);
        expect(addPasswordCalls(world)).toBe(1);
        expect(mine(world)).toEqual([first.keyId]);
        expect(world.vault.peek(VAULT_URL, PENDING)?.versions).toBe(1);
    });

    it('a lost addPassword response (created, then 503) is retried into exactly one credential', async () => {
        const world = createWorld();
        world.directory.loseNextAddPasswordResponse();

        const error = await createCredential(world.deps, createInput(), world.log).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RotatorError);
        expect(error).toMatchObject({ code: ErrorCodes.unavailable, retryable: true });
        const lost = mine(world);
        expect(lost).toHaveLength(1);
        expect(world.vault.peek(VAULT_URL, PENDING)).toBeUndefined();

        // Durable retries the activity.
        const result = expectOk(await createCredential(world.deps, createInput(), world.log));
        expect(result.orphansRemoved).toEqual(lost);
        expect(mine(world)).toEqual([result.keyId]);
        expect(world.vault.peek(VAULT_URL, PENDING)?.tags[ManagedTags.keyId]).toBe(result.keyId);
    });

    it('a lifetime-policy rejection is a business outcome (ok:false) and leaves nothing behind', async () => {
        const world = createWorld();
        world.directory.maxLifetimeDays = 90;
        const result = await createCredential(world.deps, createInput(), world.log);

        expect(result).toMatchObject({ ok: false, code: ErrorCodes.lifetimePolicyViolation, orphansRemoved: [] });
        expect(mine(world)).toEqual([]);
        expect(world.vault.peek(VAULT_URL, PENDING)).toBeUndefined();
        expect(world.directory.credentialsOf(APP_ID).map((c) => c.keyId)).toEqual([world.oldKeyId]);
    });

    it('a retryable Graph failure is thrown, so Durable retries it', async () => {
        const world = createWorld();
        world.directory.failures.failNext('addPassword', unavailable());
        await expect(createCredential(world.deps, createInput(), world.log)).rejects.toMatchObject({
            code: ErrorCodes.unavailable,
        });
        expect(mine(world)).toEqual([]);
    });

    it('a stash failure removes the new credential again and fails the attempt', async () => {
        const world = createWorld();
        world.vault.failures.failNext('setSecret', unavailable('vault unavailable'));

        await expect(createCredential(world.deps, createInput(), world.log)).rejects.toMatchObject({
            code: ErrorCodes.unavailable,
        });
        expect(mine(world)).toEqual([]);
        expect(world.vault.peek(VAULT_URL, PENDING)).toBeUndefined();
        expect(world.directory.credentialsOf(APP_ID).map((c) => c.keyId)).toEqual([world.oldKeyId]);
        expect(leakedSecrets(world.secretTexts(), world.logLines)).toEqual([]);
    });

    it('when the clean-up after a stash failure also fails, the retry removes the orphan', async () => {
        const world = createWorld();
        world.vault.failures.failNext('setSecret', unavailable('vault unavailable'));
        world.directory.failures.failNext('removePassword', unavailable('graph unavailable'));

        await expect(createCredential(world.deps, createInput(), world.log)).rejects.toMatchObject({
            code: ErrorCodes.unavailable,
        });
        const orphans = mine(world);
        expect(orphans).toHaveLength(1);
        expect(world.logLines).toContainEqual(
            expect.objectContaining({ level: 'error', fields: expect.objectContaining({ keyId: orphans[0] }) }),
        );

        const result = expectOk(await createCredential(world.deps, createInput(), world.log));
        expect(result.orphansRemoved).toEqual(orphans);
        expect(mine(world)).toEqual([result.keyId]);
    });

    // Issue 12 defect 10: overwriting the stash of an earlier rotation whose publish failed lost the only copy of
    // that credential's value and left the credential on the app for good.
    it('does not reuse a stash left by an earlier rotation; removes its unpublished credential before overwriting it', async () => {
        const world = createWorld();
        const earlier = world.directory.seedCredential(APP_ID, { displayName: credentialDisplayName('rot-0999') });
        world.vault.seed(VAULT_URL, PENDING, earlier.secret, {
            tags: {
                [ManagedTags.keyId]: earlier.keyId,
                [ManagedTags.rotationId]: 'rot-0999',
                [STASH_FOR_TAG]: SECRET_NAME.toLowerCase(),
            },
        });

        const result = expectOk(await createCredential(world.deps, createInput(), world.log));
        expect(result.reused).toBe(false);
        expect(result.orphansRemoved).toEqual([earlier.keyId]);
        expect(world.directory.credentialsOf(APP_ID).map((c) => c.keyId)).not.toContain(earlier.keyId);
        expect(world.vault.peek(VAULT_URL, PENDING)?.tags[ManagedTags.rotationId]).toBe(ROTATION_ID);
    });

    it("never removes an earlier rotation's credential that the live secret holds or that is not marked", async () => {
        for (const variant of ['live', 'unmarked'] as const) {
            const world = createWorld();
            const earlier = world.directory.seedCredential(APP_ID, {
                displayName: variant === 'unmarked' ? 'operator-made' : credentialDisplayName('rot-0999'),
            });
            if (variant === 'live')
                world.vault.seed(VAULT_URL, SECRET_NAME, earlier.secret, {
                    tags: { [ManagedTags.appId]: APP_ID, [ManagedTags.keyId]: earlier.keyId },
                });
            world.vault.seed(VAULT_URL, PENDING, earlier.secret, {
                tags: {
                    [ManagedTags.keyId]: earlier.keyId,
                    [ManagedTags.rotationId]: 'rot-0999',
                    [STASH_FOR_TAG]: SECRET_NAME.toLowerCase(),
                },
            });
            const result = expectOk(await createCredential(world.deps, createInput(), world.log));
            expect(result.orphansRemoved).toEqual([]);
            expect(world.directory.credentialsOf(APP_ID).map((c) => c.keyId)).toContain(earlier.keyId);
        }
    });

    it('keeps the stashed credential and removes only the unstashed extra', async () => {
        const world = createWorld();
        const first = expectOk(await createCredential(world.deps, createInput(), world.log));
        const extra = world.directory.seedCredential(APP_ID, { displayName: MARKER });

        const again = expectOk(await createCredential(world.deps, createInput(), world.log));
        expect(again).toMatchObject({ reused: true, keyId: first.keyId, orphansRemoved: [extra.keyId] });
        expect(mine(world)).toEqual([first.keyId]);
    });

    it('reports a missing application without changing anything', async () => {
        const world = createWorld();
        const result = await createCredential(world.deps, createInput({ appId: 'not-an-app' }), world.log);
        expect(result).toMatchObject({ ok: false, code: ErrorCodes.appNotFound });
        expect(addPasswordCalls(world)).toBe(0);
        expect(world.vault.writes()).toEqual([]);
    });

    describe('with the attempt ledger (the composition root always has one)', () => {
        const reads = (world: World) =>
            world.directory.calls.filter((c) => c.method === 'getApplicationByAppId').length;
        const withLedger = (world: World, state = new MemoryStateStore()) => ({
            ...world.deps,
            createAttempts: new CreateAttempts(state),
        });

        it("a rotation's first attempt adds its credential without reading the application (preflight just did)", async () => {
            const world = createWorld();
            const result = expectOk(await createCredential(withLedger(world), createInput(), world.log));
            expect(reads(world)).toBe(0);
            expect(mine(world)).toEqual([result.keyId]);
            expect(world.vault.peek(VAULT_URL, PENDING)?.tags[ManagedTags.keyId]).toBe(result.keyId);
        });

        it('a re-run after a crash between addPassword and the stash reads, removes the orphan and leaves exactly one', async () => {
            const world = createWorld();
            const deps = withLedger(world);
            // The first attempt begins (the ledger counts it), creates, and dies before its stash.
            await deps.createAttempts.begin(VAULT_URL, SECRET_NAME, ROTATION_ID);
            const orphan = world.directory.seedCredential(APP_ID, { displayName: MARKER });
            const result = expectOk(await createCredential(deps, createInput(), world.log));
            expect(reads(world)).toBe(1);
            expect(result.orphansRemoved).toEqual([orphan.keyId]);
            expect(mine(world)).toEqual([result.keyId]);
        });

        it("another rotation's attempts do not count, and a stash under the name always means reading first", async () => {
            const world = createWorld();
            const deps = withLedger(world);
            await deps.createAttempts.begin(VAULT_URL, SECRET_NAME, 'an-earlier-rotation');
            const first = expectOk(await createCredential(deps, createInput(), world.log));
            expect(reads(world)).toBe(0);
            // Same rotation again (the activity ran twice): the stash is there, so it reads and reuses.
            const again = expectOk(await createCredential(deps, createInput(), world.log));
            expect(reads(world)).toBe(1);
            expect(again).toMatchObject({ keyId: first.keyId, reused: true });
        });

        it('its state key is valid for any vault URL (a port, upper case) and secret name', () => {
            for (const [vault, name] of [
                ['https://localhost:41559', 'Counted-Secret'],
                ['https://kv-a.vault.azure.net/', 'a'.repeat(127)],
            ] as const)
                expect(() => stateDocumentName(ledgerKey(vault, name))).not.toThrow();
        });

        it('a ledger that cannot be written means reading first, never skipping the read', async () => {
            const world = createWorld();
            const broken = new MemoryStateStore();
            broken.update = () => Promise.reject(new Error('state store down'));
            expectOk(await createCredential(withLedger(world, broken), createInput(), world.log));
            expect(reads(world)).toBe(1);
        });
    });
});
