import { ErrorCodes } from '../../errors/errorCodes';
import { errorCodeOf, isRotatorError } from '../../errors/RotatorError';
import { type Logger } from '../../logging/logger';
import { fingerprintOf } from '../../security/fingerprint';
import { type CreateInput, type CreateResult, type DiscardOrphansInput } from '../contracts';
import { type RotationDeps } from '../deps';
import { type ApplicationInfo, type PasswordCredentialInfo } from '../ports';
import { credentialDisplayName, ManagedTags, rotationIdFromDisplayName, SECRET_CONTENT_TYPE } from '../markers';
import { deleteStash, readStash, stashNameTakenBy, writeStash } from '../stash';

/**
 * Step 2: add the new password and, in the same activity, stash its value where no consumer reads it.
 *
 * Crash-safe by construction: the credential's displayName carries the rotation id, and the stash is tagged with
 * rotation id + keyId. A re-run (the activity is at-least-once) that finds a marked credential whose value was
 * never stashed removes it before adding another — the value is gone, so the credential is an orphan.
 */
export async function createCredential(deps: RotationDeps, input: CreateInput, log: Logger): Promise<CreateResult> {
    // The first attempt of a rotation, with no stash under the name, has nothing on the application to find, so it
    // adds its credential without reading the application (preflight just did). Any other attempt reads first.
    const earlier = await mayHaveEarlierAttempt(deps, input, log);
    const stash = await readStash(deps.secrets, input.vaultUrl, input.secretName);
    if (!earlier && !stash) return addAndStash(deps, input, input.appObjectId, [], log);
    const app = await deps.credentials.getApplicationByAppId(input.appId);
    if (!app)
        return {
            ok: false,
            code: ErrorCodes.appNotFound,
            message: `application ${input.appId} not found`,
            orphansRemoved: [],
        };

    const mine = await markedCredentials(deps, app, input);
    const stashedKeyId =
        stash?.properties.tags[ManagedTags.rotationId] === input.rotationId
            ? stash.properties.tags[ManagedTags.keyId]
            : undefined;
    const orphansRemoved: string[] = [];
    for (const credential of mine) {
        if (credential.keyId === stashedKeyId) continue;
        await deps.credentials.removePassword(app.objectId, credential.keyId);
        orphansRemoved.push(credential.keyId);
        log.warn('Removed orphan credential from an interrupted attempt', {
            rotationId: input.rotationId,
            keyId: credential.keyId,
        });
    }
    // A stash left by an earlier rotation of this secret (one whose publish failed): that rotation is over (the
    // starter lets one rotation per credential run), and its value is about to be overwritten. A credential of
    // that value that nobody holds would be an orphan for good, so it goes first; if it cannot, nothing is
    // overwritten (the activity fails and is retried).
    const earlierKeyId =
        stash && stash.properties.tags[ManagedTags.rotationId] !== input.rotationId
            ? stash.properties.tags[ManagedTags.keyId]
            : undefined;
    if (earlierKeyId !== undefined && (await leftoverOfEarlierRotation(deps, app, input, earlierKeyId))) {
        if ((await deps.credentials.removePassword(app.objectId, earlierKeyId)) === 'removed') {
            orphansRemoved.push(earlierKeyId);
            log.warn('Removed the unpublished credential of an earlier rotation before reusing its stash', {
                rotationId: input.rotationId,
                keyId: earlierKeyId,
            });
        }
    }
    const reusable = stash && stashedKeyId !== undefined ? mine.find((c) => c.keyId === stashedKeyId) : undefined;
    if (stash && reusable) {
        return {
            ok: true,
            keyId: reusable.keyId,
            fingerprint: fingerprintOf(stash.value),
            endDateTime: reusable.endDateTime ?? input.endDateTime,
            reused: true,
            orphansRemoved,
        };
    }

    return addAndStash(deps, input, app.objectId, orphansRemoved, log);
}

/** Adds the password and stashes its value; without a stash the credential is taken back at once. */
async function addAndStash(
    deps: RotationDeps,
    input: CreateInput,
    appObjectId: string,
    orphansRemoved: string[],
    log: Logger,
): Promise<CreateResult> {
    const marker = credentialDisplayName(input.rotationId);
    // Checked again right before anything is created (preflight did too): a secret somebody else created under
    // the stash name, live or soft-deleted, is refused with nothing changed.
    const taken = await stashNameTakenBy(deps.secrets, input.vaultUrl, input.secretName);
    if (taken) return { ok: false, code: ErrorCodes.stashNameTaken, message: taken, orphansRemoved };

    let created;
    try {
        created = await deps.credentials.addPassword(appObjectId, {
            displayName: marker,
            startDateTime: input.startDateTime,
            endDateTime: input.endDateTime,
        });
    } catch (error) {
        if (isRotatorError(error) && !error.retryable) {
            return { ok: false, code: error.code, message: error.message, orphansRemoved };
        }
        throw error;
    }
    const { credential, secret } = created;
    const fingerprint = fingerprintOf(secret);
    try {
        await writeStash(deps.secrets, input.vaultUrl, input.secretName, input.rotationId, secret, {
            contentType: SECRET_CONTENT_TYPE,
            expiresOn: credential.endDateTime ?? input.endDateTime,
            tags: {
                [ManagedTags.appId]: input.appId,
                [ManagedTags.keyId]: credential.keyId,
                [ManagedTags.fingerprint]: fingerprint,
            },
        });
    } catch (error) {
        // Without a stash nobody can ever use this value: take the credential back now rather than leave an orphan.
        await deps.credentials.removePassword(appObjectId, credential.keyId).catch((cleanup: unknown) => {
            log.error(
                'Could not remove credential after stash failure; a retry will',
                { keyId: credential.keyId },
                cleanup,
            );
        });
        throw error;
    }
    log.info('Created and stashed new credential', {
        rotationId: input.rotationId,
        keyId: credential.keyId,
        fingerprint,
    });
    return {
        ok: true,
        keyId: credential.keyId,
        fingerprint,
        endDateTime: credential.endDateTime ?? input.endDateTime,
        reused: false,
        orphansRemoved,
    };
}

/**
 * Clean-up after `create` failed past its retries: every attempt may have added a credential whose response was
 * lost. Removes this rotation's marked credentials (except the one the live secret holds) and its stash.
 */
export async function discardOrphans(
    deps: RotationDeps,
    input: DiscardOrphansInput,
    log: Logger,
): Promise<{ removed: string[] }> {
    const app = await deps.credentials.getApplicationByAppId(input.appId);
    const removed: string[] = [];
    for (const credential of app ? await markedCredentials(deps, app, input) : []) {
        if ((await deps.credentials.removePassword(app!.objectId, credential.keyId)) === 'removed')
            removed.push(credential.keyId);
        log.warn('Removed credential left by a failed create', {
            rotationId: input.rotationId,
            keyId: credential.keyId,
        });
    }
    // The stash is best effort: once its credential is gone the value opens nothing, and the vault may be the
    // very thing that is down.
    await deleteStash(deps.secrets, input.vaultUrl, input.secretName).catch((error: unknown) => {
        log.error('Could not delete the stash of a failed create', { rotationId: input.rotationId }, error);
    });
    return { removed };
}

/**
 * Whether `keyId` is an unpublished credential of an earlier rotation: on the app, marked by the rotator, not the
 * one the live secret holds and not one an enrollment names (fail closed: any doubt keeps it).
 */
async function leftoverOfEarlierRotation(
    deps: RotationDeps,
    app: ApplicationInfo,
    input: { rotationId: string; vaultUrl: string; secretName: string },
    keyId: string,
): Promise<boolean> {
    const credential = app.passwordCredentials.find((c) => c.keyId.toLowerCase() === keyId.toLowerCase());
    const owner = rotationIdFromDisplayName(credential?.displayName);
    if (!credential || owner === undefined || owner === input.rotationId) return false;
    const live = await deps.secrets.getLatestProperties(input.vaultUrl, input.secretName);
    if (live?.tags[ManagedTags.keyId]?.toLowerCase() === keyId.toLowerCase()) return false;
    const bindings = await deps.bindings.list();
    return !bindings.some((b) => b.keyId.toLowerCase() === keyId.toLowerCase());
}

/**
 * The app's credentials carrying this rotation's marker. The credential the live secret holds is never one of
 * them, whatever its display name says: it is in use.
 */
async function markedCredentials(
    deps: RotationDeps,
    app: ApplicationInfo,
    input: { rotationId: string; vaultUrl: string; secretName: string },
): Promise<PasswordCredentialInfo[]> {
    const marker = credentialDisplayName(input.rotationId);
    const live = await deps.secrets.getLatestProperties(input.vaultUrl, input.secretName);
    const liveKeyId = live?.tags[ManagedTags.keyId];
    return app.passwordCredentials.filter((c) => c.displayName === marker && c.keyId !== liveKeyId);
}

/** True unless the ledger shows this is the rotation's first create attempt (no ledger, or it failed: true). */
async function mayHaveEarlierAttempt(deps: RotationDeps, input: CreateInput, log: Logger): Promise<boolean> {
    if (!deps.createAttempts) return true;
    try {
        return await deps.createAttempts.begin(input.vaultUrl, input.secretName, input.rotationId);
    } catch (error) {
        log.warn('Could not record the create attempt; reading the application first', {
            rotationId: input.rotationId,
            reason: errorCodeOf(error),
        });
        return true;
    }
}
