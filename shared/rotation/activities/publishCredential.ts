import { invariant } from '../../errors/RotatorError';
import { fingerprintOf } from '../../security/fingerprint';
import { type PublishInput, type PublishResult } from '../contracts';
import { type BindingRequest } from '../../enrollment/bindings';
import { type RotationDeps } from '../deps';
import { ManagedTags, SECRET_CONTENT_TYPE } from '../markers';
import { deleteStash, readStash, STASH_FOR_TAG } from '../stash';

/**
 * Step 4: the verified value becomes the new version of the live secret, tagged so the next rotation knows its
 * keyId; `exp` = the credential's end date so Key Vault's own NearExpiry event fires. Then the stash goes.
 * Idempotent: if the live secret already carries this rotation's keyId, only the clean-up is repeated.
 */
export async function publishCredential(deps: RotationDeps, input: PublishInput): Promise<PublishResult> {
    const live = await deps.secrets.getLatestProperties(input.vaultUrl, input.secretName);
    if (
        live &&
        live.tags[ManagedTags.rotationId] === input.rotationId &&
        live.tags[ManagedTags.keyId] === input.keyId
    ) {
        await deleteStash(deps.secrets, input.vaultUrl, input.secretName);
        await moveBinding(deps, input);
        return { version: live.version, reused: true };
    }
    const stash = await readStash(deps.secrets, input.vaultUrl, input.secretName);
    if (
        !stash ||
        stash.properties.tags[ManagedTags.keyId] !== input.keyId ||
        fingerprintOf(stash.value) !== input.fingerprint
    ) {
        throw invariant(`no verified value is stashed for credential ${input.keyId}; refusing to publish`);
    }
    const { [STASH_FOR_TAG]: _stashMark, ...liveTags } = live?.tags ?? {};
    await deps.bindings.prepareMove(bindingTarget(input));
    const written = await deps.secrets.setSecret(input.vaultUrl, input.secretName, stash.value, {
        contentType: SECRET_CONTENT_TYPE,
        expiresOn: input.endDateTime,
        // Keep the operator's own tags (policy overrides, ownership) and replace ours.
        tags: {
            ...liveTags,
            [ManagedTags.appId]: input.appId,
            [ManagedTags.keyId]: input.keyId,
            [ManagedTags.fingerprint]: input.fingerprint,
            [ManagedTags.rotationId]: input.rotationId,
        },
    });
    await deleteStash(deps.secrets, input.vaultUrl, input.secretName);
    await moveBinding(deps, input);
    return { version: written.version, reused: false };
}

/**
 * The enrollment follows the published key, so the next rotation (and the tag check) expects the new key id.
 * A binding removed or changed by an operator meanwhile is left as the operator made it.
 */
async function moveBinding(deps: RotationDeps, input: PublishInput): Promise<void> {
    await deps.bindings.moveKey(
        bindingTarget(input),
        input.rotationId,
        // Instances started before this field existed carry no time; the history line then takes the host's.
        input.asOf ? new Date(input.asOf) : new Date(),
    );
}

function bindingTarget(input: PublishInput): BindingRequest & { previousKeyId: string | undefined } {
    return {
        vaultUrl: input.vaultUrl,
        secretName: input.secretName,
        appId: input.appId,
        keyId: input.keyId,
        previousKeyId: input.oldKeyId,
    };
}
