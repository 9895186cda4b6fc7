import { type LifecycleEvent } from '../rotation/ports';
import { type ManagedSecretIndexPort, type ManagedSecretRef, type SecretState } from '../scan/ports';
import { type Binding, sameSecret, tagDisagreement } from './bindings';

export const BINDING_MISMATCH_EVENT = 'Credential.BindingMismatch';

/** What the enrollment says about one secret, before anything may start. */
export type BindingCheck =
    | { readonly kind: 'enrolled'; readonly binding: Binding }
    | { readonly kind: 'notEnrolled'; readonly tagged: boolean }
    | { readonly kind: 'mismatch'; readonly binding: Binding; readonly detail: string };

/**
 * Only an enrolled secret whose tags (when present) agree with its binding may rotate. Tags that claim a
 * credential without an enrollment, or another credential than the enrollment, are refused: writing tags in a
 * vault must never make the rotator act.
 */
export function checkBinding(binding: Binding | undefined, secret: SecretState): BindingCheck {
    if (!binding) return { kind: 'notEnrolled', tagged: Boolean(secret.tags.appId || secret.tags.keyId) };
    const detail = tagDisagreement(binding, secret.tags);
    return detail ? { kind: 'mismatch', binding, detail } : { kind: 'enrolled', binding };
}

export interface Refused {
    readonly secret: SecretState;
    readonly check: Exclude<BindingCheck, { kind: 'enrolled' }>;
}

/**
 * The secrets the scan and batch starts may act on: enrolled, tags agreeing, keyed by their binding's credential.
 * Tagged-but-unenrolled and mismatched secrets come back as `refused` (to announce); untagged, unenrolled ones are
 * simply not managed.
 */
export async function enrolledSecrets(
    index: Pick<ManagedSecretIndexPort, 'listSecrets'>,
    bindings: { list(): Promise<readonly Binding[]> },
    vaultUrls: readonly string[],
): Promise<{ enrolled: ManagedSecretRef[]; refused: Refused[] }> {
    const [secrets, all] = await Promise.all([index.listSecrets(vaultUrls), bindings.list()]);
    const enrolled: ManagedSecretRef[] = [];
    const refused: Refused[] = [];
    for (const secret of secrets) {
        const check = checkBinding(
            all.find((b) => sameSecret(b, secret.vaultUrl, secret.secretName)),
            secret,
        );
        if (check.kind === 'enrolled') {
            // Policy tags and `exp` come along: they decide when the credential is due.
            const { tags: _tags, ...ref } = secret;
            enrolled.push({ ...ref, appId: check.binding.appId, keyId: check.binding.keyId });
        } else if (check.kind === 'mismatch' || check.tagged) refused.push({ secret, check });
    }
    return { enrolled, refused };
}

/** Announces a refused secret. Deterministic id per secret version, so repeated sightings dedupe downstream. */
export function bindingMismatchEvent(
    secret: SecretState,
    check: Exclude<BindingCheck, { kind: 'enrolled' }>,
    source: 'scan' | 'keyVaultEvent' | 'api',
    now: Date,
): LifecycleEvent {
    const binding = check.kind === 'mismatch' ? check.binding : undefined;
    return {
        id: `binding-mismatch:${secret.vaultUrl}:${secret.secretName.toLowerCase()}:${secret.version}`,
        type: BINDING_MISMATCH_EVENT,
        subject: `/vaults/${new URL(secret.vaultUrl).host}/secrets/${secret.secretName}`,
        time: now.toISOString(),
        data: {
            vaultUrl: secret.vaultUrl,
            secretName: secret.secretName,
            secretVersion: secret.version,
            enrolled: binding !== undefined,
            enrolledAppId: binding?.appId ?? null,
            enrolledKeyId: binding?.keyId ?? null,
            taggedAppId: secret.tags.appId ?? null,
            taggedKeyId: secret.tags.keyId ?? null,
            source,
            detail:
                check.kind === 'mismatch'
                    ? check.detail
                    : 'the secret carries entra-app-id/entra-key-id tags but is not enrolled; tags never enroll a secret',
        },
    };
}
