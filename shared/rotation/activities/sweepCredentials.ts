import { errorCodeOf } from '../../errors/RotatorError';
import { type Logger } from '../../logging/logger';
import { type SweepInput, type SweepResult } from '../contracts';
import { type RotationDeps } from '../deps';
import { credentialDisplayName, ManagedTags } from '../markers';
import { deleteStash, readStash } from '../stash';

/**
 * The last word on a rotation's own credentials, run once Graph's read-after-write lag has passed since its last
 * create attempt (so an addPassword whose response was lost, or an attempt killed before its stash, is listed by
 * now). Removes every credential marked with this rotation's id except the one it published, the one the secret
 * holds and any key an enrollment names; then deletes the stash once the credential of its value is gone.
 * Idempotent: a re-run finds fewer marked credentials and an absent stash.
 */
export async function sweepCredentials(deps: RotationDeps, input: SweepInput, log: Logger): Promise<SweepResult> {
    const app = await deps.credentials.getApplicationByAppId(input.appId);
    const marker = credentialDisplayName(input.rotationId);
    const live = await deps.secrets.getLatestProperties(input.vaultUrl, input.secretName);
    const liveKeyId = live?.tags[ManagedTags.keyId]?.toLowerCase();
    // A binding's `nextKeyId` is not protection here: only this rotation publishes to this credential (the
    // starter's lock), and if the secret does not hold that key when the rotation ends, the publish never happened.
    const bound = new Set<string>();
    for (const b of await deps.bindings.list())
        if (b.appId.toLowerCase() === input.appId.toLowerCase()) bound.add(b.keyId.toLowerCase());
    const removed: string[] = [];
    const kept: { keyId: string; why: string }[] = [];
    const unconfirmed: string[] = [];
    const remaining = new Set<string>();
    for (const credential of app?.passwordCredentials ?? []) {
        const keyId = credential.keyId.toLowerCase();
        if (credential.displayName !== marker) {
            remaining.add(keyId);
            continue;
        }
        const why =
            keyId === input.keepKeyId?.toLowerCase()
                ? 'published by this rotation'
                : keyId === liveKeyId
                  ? `the secret ${input.secretName} holds it`
                  : bound.has(keyId)
                    ? 'an enrollment names it'
                    : undefined;
        if (why) {
            kept.push({ keyId: credential.keyId, why });
            remaining.add(keyId);
            continue;
        }
        // "Not found" for a credential Graph just listed: replicas disagree, so it is not proven gone.
        if ((await deps.credentials.removePassword(app!.objectId, credential.keyId)) !== 'removed') {
            unconfirmed.push(credential.keyId);
            remaining.add(keyId);
            continue;
        }
        removed.push(credential.keyId);
        log.warn('Removed a credential this rotation created and did not publish', {
            rotationId: input.rotationId,
            keyId: credential.keyId,
        });
    }
    // The stash goes only once the credential its value opens is gone (a value of a live credential is kept, so
    // an operator can still publish or remove it). A stash of another rotation is that rotation's business.
    const stash = await readStash(deps.secrets, input.vaultUrl, input.secretName);
    if (!stash) return { removed, kept, unconfirmed, stash: 'absent' };
    const stashKeyId = stash.properties.tags[ManagedTags.keyId]?.toLowerCase();
    if (stash.properties.tags[ManagedTags.rotationId] !== input.rotationId)
        return { removed, kept, unconfirmed, stash: 'kept', stashDetail: 'it belongs to another rotation' };
    if (app === undefined)
        return {
            removed,
            kept,
            unconfirmed,
            stash: 'kept',
            stashDetail: `application ${input.appId} could not be read`,
        };
    if (stashKeyId !== undefined && remaining.has(stashKeyId))
        return { removed, kept, unconfirmed, stash: 'kept', stashDetail: `its credential ${stashKeyId} still exists` };
    try {
        const outcome = await deleteStash(deps.secrets, input.vaultUrl, input.secretName);
        return outcome === 'deleted'
            ? { removed, kept, unconfirmed, stash: 'deleted' }
            : { removed, kept, unconfirmed, stash: 'kept', stashDetail: 'it is not ours' };
    } catch (error) {
        // The vault may be the very thing that failed this rotation (403): the value opens nothing any more, and
        // the next rotation of this secret overwrites our stash.
        log.error(
            'Could not delete the stash after its credential was removed',
            { rotationId: input.rotationId },
            error,
        );
        return {
            removed,
            kept,
            unconfirmed,
            stash: 'kept',
            stashDetail: `it could not be deleted (${errorCodeOf(error)})`,
        };
    }
}
