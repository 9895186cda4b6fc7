import { ErrorCodes } from '../errors/errorCodes';
import { RotatorError } from '../errors/RotatorError';
import { type Secret } from '../security/Secret';
import { ManagedTags, pendingSecretName } from './markers';
import { type SecretStorePort, type SecretWrite, type StoredSecretProperties } from './ports';

/** Marks a stash as ours: the managed secret it belongs to (lower case). Set with `rotation-id` on every write. */
export const STASH_FOR_TAG = 'rotation-stash-for';

/**
 * The pending stash, guarded: the rotator only overwrites, reads or deletes a stash that carries its mark for
 * this very secret. A secret somebody else created under the stash name is left alone (never deleted, purged or
 * overwritten) and the rotation stops instead.
 */
export function isOurStash(properties: StoredSecretProperties, secretName: string): boolean {
    return (
        properties.tags[STASH_FOR_TAG] === secretName.toLowerCase() &&
        typeof properties.tags[ManagedTags.rotationId] === 'string'
    );
}

function notOurs(vaultUrl: string, name: string): RotatorError {
    return new RotatorError(
        'policy',
        ErrorCodes.conflict,
        `secret ${name} in ${vaultUrl} exists but was not created by this rotator (no ${STASH_FOR_TAG} mark); it is left untouched`,
    );
}

/** The stash's value and properties, or undefined when it is absent or not ours. */
export async function readStash(
    secrets: SecretStorePort,
    vaultUrl: string,
    secretName: string,
): Promise<{ properties: StoredSecretProperties; value: Secret } | undefined> {
    const stash = await secrets.getLatest(vaultUrl, pendingSecretName(secretName));
    return stash && isOurStash(stash.properties, secretName) ? stash : undefined;
}

/** Writes the stash; refuses (non-retryable conflict) when a secret without our mark holds the name. */
export async function writeStash(
    secrets: SecretStorePort,
    vaultUrl: string,
    secretName: string,
    rotationId: string,
    value: Secret,
    write: SecretWrite,
): Promise<StoredSecretProperties> {
    const name = pendingSecretName(secretName);
    const existing = await secrets.getLatestProperties(vaultUrl, name);
    if (existing && !isOurStash(existing, secretName)) throw notOurs(vaultUrl, name);
    return secrets.setSecret(vaultUrl, name, value, {
        ...write,
        tags: { ...write.tags, [STASH_FOR_TAG]: secretName.toLowerCase(), [ManagedTags.rotationId]: rotationId },
    });
}

/** Deletes (and purges) our stash. A secret without our mark is not deleted: answers 'notOurs'. */
export async function deleteStash(
    secrets: SecretStorePort,
    vaultUrl: string,
    secretName: string,
): Promise<'deleted' | 'absent' | 'notOurs'> {
    const name = pendingSecretName(secretName);
    const existing = await secrets.getLatestProperties(vaultUrl, name);
    if (!existing) return 'absent';
    if (!isOurStash(existing, secretName)) return 'notOurs';
    await secrets.deleteSecret(vaultUrl, name);
    return 'deleted';
}
