import {
    currentVersion,
    defaultVaultProfile,
    recoveryLevel,
    type VaultProfile,
    type DeletedSecretRecord,
    type SecretRecord,
    type SecretVersionRecord,
} from './model';

/**
 * Wire shapes of the secrets data plane (api-fidelity §4.1): ids on the emulator origin with exactly
 * `/secrets/{name}[/{version}]` (the SDK parses them), times in Unix seconds, absent optionals omitted.
 */

export const secretId = (origin: string, name: string, version?: string): string =>
    version === undefined ? `${origin}/secrets/${name}` : `${origin}/secrets/${name}/${version}`;

const DEFAULT_PROFILE = defaultVaultProfile();

function attributes(version: SecretVersionRecord, profile: VaultProfile): Record<string, unknown> {
    const attrs: Record<string, unknown> = { enabled: version.enabled };
    if (version.nbf !== undefined) attrs.nbf = version.nbf;
    if (version.exp !== undefined) attrs.exp = version.exp;
    attrs.created = version.created;
    attrs.updated = version.updated;
    attrs.recoveryLevel = recoveryLevel(profile);
    attrs.recoverableDays = profile.recoverableDays;
    return attrs;
}

function optionals(target: Record<string, unknown>, version: SecretVersionRecord): Record<string, unknown> {
    if (version.contentType !== undefined) target.contentType = version.contentType;
    if (version.tags !== undefined) target.tags = { ...version.tags };
    return target;
}

/** SecretBundle. `value` only on get/set; update returns the bundle without it. */
export function secretBundle(
    origin: string,
    secret: SecretRecord,
    version: SecretVersionRecord,
    includeValue: boolean,
    profile: VaultProfile = DEFAULT_PROFILE,
): Record<string, unknown> {
    const bundle: Record<string, unknown> = {};
    if (includeValue) bundle.value = version.value;
    bundle.id = secretId(origin, secret.name, version.version);
    optionals(bundle, version);
    bundle.attributes = attributes(version, profile);
    return bundle;
}

/** SecretItem of `GET /secrets`: the id has no version; attributes and tags are the current version's. */
export function secretItem(
    origin: string,
    secret: SecretRecord,
    profile: VaultProfile = DEFAULT_PROFILE,
): Record<string, unknown> {
    const version = currentVersion(secret);
    return optionals({ id: secretId(origin, secret.name), attributes: attributes(version, profile) }, version);
}

/** SecretItem of `GET /secrets/{name}/versions`: one per version, id with the version. */
export function versionItem(
    origin: string,
    secret: SecretRecord,
    version: SecretVersionRecord,
    profile: VaultProfile = DEFAULT_PROFILE,
): Record<string, unknown> {
    return optionals(
        { id: secretId(origin, secret.name, version.version), attributes: attributes(version, profile) },
        version,
    );
}

function deletedFields(origin: string, deleted: DeletedSecretRecord): Record<string, unknown> {
    return {
        recoveryId: `${origin}/deletedsecrets/${deleted.secret.name}`,
        deletedDate: deleted.deletedDate,
        scheduledPurgeDate: deleted.scheduledPurgeDate,
    };
}

/** DeletedSecretBundle (delete and get-deleted): the current version's bundle without its value. */
export function deletedBundle(
    origin: string,
    deleted: DeletedSecretRecord,
    profile: VaultProfile = DEFAULT_PROFILE,
): Record<string, unknown> {
    const version = currentVersion(deleted.secret);
    return { ...deletedFields(origin, deleted), ...secretBundle(origin, deleted.secret, version, false, profile) };
}

export function deletedItem(
    origin: string,
    deleted: DeletedSecretRecord,
    profile: VaultProfile = DEFAULT_PROFILE,
): Record<string, unknown> {
    return { ...deletedFields(origin, deleted), ...secretItem(origin, deleted.secret, profile) };
}
