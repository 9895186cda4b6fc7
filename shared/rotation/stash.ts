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
    return hasOurMark(properties.tags, secretName);
}

function hasOurMark(tags: Readonly<Record<string, string | undefined>>, secretName: string): boolean {
    return tags[STASH_FOR_TAG] === secretName.toLowerCase() && typeof tags[ManagedTags.rotationId] === 'string';
}

/**
 * Why the stash name cannot be ours to use, or undefined when it can: a live secret without our mark, or a
 * soft-deleted one without it (writing the name would make Key Vault's recover bring that secret back, and our
 * later delete and purge would then destroy somebody else's secret). Read before anything is created.
 */
export async function stashNameTakenBy(
    secrets: SecretStorePort,
    vaultUrl: string,
    secretName: string,
): Promise<string | undefined> {
    const name = pendingSecretName(secretName);
    const live = await secrets.getLatestProperties(vaultUrl, name);
    if (live) return isOurStash(live, secretName) ? undefined : notOurs(vaultUrl, name).message;
    const deleted = await secrets.getDeletedProperties(vaultUrl, name);
    if (deleted && !isOurStash(deleted, secretName))
        return `a deleted secret ${name} in ${vaultUrl} that this rotator did not create (no ${STASH_FOR_TAG} mark) holds the stash name; it is left as it is (recover or purge it, then rotate again)`;
    return undefined;
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
        // A soft-deleted secret under this name is recovered only if it is one of our stashes.
        recoverOnlyIf: (tags) => hasOurMark(tags, secretName),
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
