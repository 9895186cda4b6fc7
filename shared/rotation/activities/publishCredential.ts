import { invariant } from '../../errors/RotatorError';
import { fingerprintOf } from '../../security/fingerprint';
import { type PublishInput, type PublishResult } from '../contracts';
import { type RotationDeps } from '../deps';
import { ManagedTags, pendingSecretName, SECRET_CONTENT_TYPE } from '../markers';

/**
 * Step 4: the verified value becomes the new version of the live secret, tagged so the next rotation knows its
 * keyId; `exp` = the credential's end date so Key Vault's own NearExpiry event fires. Then the stash goes.
 * Idempotent: if the live secret already carries this rotation's keyId, only the clean-up is repeated.
 */
export async function publishCredential(deps: RotationDeps, input: PublishInput): Promise<PublishResult> {
    const pendingName = pendingSecretName(input.secretName);
    const live = await deps.secrets.getLatestProperties(input.vaultUrl, input.secretName);
    if (
        live &&
        live.tags[ManagedTags.rotationId] === input.rotationId &&
        live.tags[ManagedTags.keyId] === input.keyId
    ) {
        await deps.secrets.deleteSecret(input.vaultUrl, pendingName);
        return { version: live.version, reused: true };
    }
    const stash = await deps.secrets.getLatest(input.vaultUrl, pendingName);
    if (
        !stash ||
        stash.properties.tags[ManagedTags.keyId] !== input.keyId ||
        fingerprintOf(stash.value) !== input.fingerprint
    ) {
        throw invariant(`no verified value is stashed for credential ${input.keyId}; refusing to publish`);
    }
    const written = await deps.secrets.setSecret(input.vaultUrl, input.secretName, stash.value, {
        contentType: SECRET_CONTENT_TYPE,
        expiresOn: input.endDateTime,
        // Keep the operator's own tags (policy overrides, ownership) and replace ours.
        tags: {
            ...(live?.tags ?? {}),
            [ManagedTags.appId]: input.appId,
            [ManagedTags.keyId]: input.keyId,
            [ManagedTags.fingerprint]: input.fingerprint,
            [ManagedTags.rotationId]: input.rotationId,
        },
    });
    await deps.secrets.deleteSecret(input.vaultUrl, pendingName);
    return { version: written.version, reused: false };
}
