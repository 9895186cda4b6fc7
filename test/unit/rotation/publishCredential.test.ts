import { describe, expect, it } from 'vitest';

import { ErrorCodes } from '../../../shared/errors/errorCodes';
import { createCredential } from '../../../shared/rotation/activities/createCredential';
import { publishCredential } from '../../../shared/rotation/activities/publishCredential';
import { type PublishInput } from '../../../shared/rotation/contracts';
import { ManagedTags, pendingSecretName, SECRET_CONTENT_TYPE } from '../../../shared/rotation/markers';
import { unavailable } from '../../support/fakes/failures';
import { createInput } from '../../support/fakes/inputs';
import { APP_ID, createWorld, ROTATION_ID, SECRET_NAME, VAULT_URL, type World } from '../../support/fakes/world';

const PENDING = pendingSecretName(SECRET_NAME);

async function created(
    options: Parameters<typeof createWorld>[0] = {},
): Promise<{ world: World; input: PublishInput }> {
    const world = createWorld(options);
    const result = await createCredential(world.deps, createInput(), world.log);
    if (!result.ok) throw new Error(result.code);
    return {
        world,
        input: {
            rotationId: ROTATION_ID,
            vaultUrl: VAULT_URL,
            secretName: SECRET_NAME,
            appId: APP_ID,
            keyId: result.keyId,
            fingerprint: result.fingerprint,
            endDateTime: result.endDateTime,
        },
    };
}

describe('publishCredential', () => {
    it('writes the verified value as a new live version, merges tags, sets exp and removes the stash', async () => {
        const { world, input } = await created({ liveTags: { owner: 'team-orders', 'grace-days': '14' } });
        const result = await publishCredential(world.deps, input);

        const live = world.vault.peek(VAULT_URL, SECRET_NAME);
        expect(result).toEqual({ version: live?.version, reused: false });
        expect(live).toMatchObject({
            versions: 2,
            fingerprint: input.fingerprint,
            contentType: SECRET_CONTENT_TYPE,
            expiresOn: input.endDateTime,
        });
        expect(live?.tags).toEqual({
            owner: 'team-orders',
            'grace-days': '14',
            [ManagedTags.appId]: APP_ID,
            [ManagedTags.keyId]: input.keyId,
            [ManagedTags.fingerprint]: input.fingerprint,
            [ManagedTags.rotationId]: ROTATION_ID,
        });
        expect(world.vault.peek(VAULT_URL, PENDING)).toBeUndefined();
    });

    it('is idempotent: a re-run only repeats the clean-up', async () => {
        const { world, input } = await created();
        const first = await publishCredential(world.deps, input);
        const writes = world.vault.calls.filter((c) => c.method === 'setSecret').length;

        const second = await publishCredential(world.deps, input);
        expect(second).toEqual({ version: first.version, reused: true });
        expect(world.vault.calls.filter((c) => c.method === 'setSecret').length).toBe(writes);
        expect(world.vault.peek(VAULT_URL, SECRET_NAME)?.versions).toBe(2);
    });

    it('a crash after the write but before the stash is deleted is finished by the retry', async () => {
        const { world, input } = await created();
        world.vault.failures.failNext('deleteSecret', unavailable());
        await expect(publishCredential(world.deps, input)).rejects.toMatchObject({ code: ErrorCodes.unavailable });
        expect(world.vault.peek(VAULT_URL, PENDING)).toBeDefined();

        const retry = await publishCredential(world.deps, input);
        expect(retry.reused).toBe(true);
        expect(world.vault.peek(VAULT_URL, PENDING)).toBeUndefined();
        expect(world.vault.peek(VAULT_URL, SECRET_NAME)).toMatchObject({ versions: 2, fingerprint: input.fingerprint });
    });

    it('refuses to publish when no verified value is stashed', async () => {
        const { world, input } = await created();
        await world.deps.secrets.deleteSecret(VAULT_URL, PENDING);
        await expect(publishCredential(world.deps, input)).rejects.toMatchObject({
            code: ErrorCodes.invariantViolated,
        });
        expect(world.vault.peek(VAULT_URL, SECRET_NAME)).toMatchObject({
            versions: 1,
            fingerprint: world.oldFingerprint,
        });
    });

    it('refuses a stash whose value differs from the verified fingerprint', async () => {
        const { world, input } = await created();
        world.vault.seed(VAULT_URL, PENDING, 'tampered-value', { tags: { [ManagedTags.keyId]: input.keyId } });
        await expect(publishCredential(world.deps, input)).rejects.toMatchObject({
            code: ErrorCodes.invariantViolated,
        });
        expect(world.vault.peek(VAULT_URL, SECRET_NAME)?.fingerprint).toBe(world.oldFingerprint);
    });
});
