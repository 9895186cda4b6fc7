import { createHash } from 'node:crypto';

/**
 * The public contract between the rotator and the credentials it manages, plus the names it derives.
 * Pure (no I/O, no clock): orchestrators and starters both use it.
 */

/** Key Vault tags on a managed secret. `entra-app-id` + `entra-key-id` make a secret managed. */
export const ManagedTags = {
    appId: 'entra-app-id',
    keyId: 'entra-key-id',
    fingerprint: 'secret-fingerprint',
    rotationId: 'rotation-id',
} as const;

/**
 * Set on a managed secret (value `none-accepted`) when no consumer of it can ever show that it uses the new key
 * (no probe, no distinguishable sign-in): the operator accepts that the old key goes on the sign-in log's silence.
 */
export const EVIDENCE_WAIVER_TAG = 'rotation-evidence';
export const EVIDENCE_WAIVER_VALUE = 'none-accepted';

export function evidenceWaived(tags: Readonly<Record<string, string | undefined>>): boolean {
    return tags[EVIDENCE_WAIVER_TAG]?.trim().toLowerCase() === EVIDENCE_WAIVER_VALUE;
}

export const SECRET_CONTENT_TYPE = 'application/vnd.entra.client-secret';

/** Prefix of the Graph `displayName` of credentials this rotator creates; the suffix is the rotation id. */
export const CREDENTIAL_MARKER_PREFIX = 'rotator:';

export function credentialDisplayName(rotationId: string): string {
    return `${CREDENTIAL_MARKER_PREFIX}${rotationId}`;
}

export function rotationIdFromDisplayName(displayName: string | null | undefined): string | undefined {
    return displayName?.startsWith(CREDENTIAL_MARKER_PREFIX)
        ? displayName.slice(CREDENTIAL_MARKER_PREFIX.length)
        : undefined;
}

/**
 * Where a freshly created value waits until it is verified: a separate secret no consumer reads, so an
 * unverified secret is never served. Key Vault names allow 1-127 letters, digits and dashes and compare
 * case-insensitively, so the name carries a hash of the whole lower-cased secret name: two secrets never share a
 * stash, however long their common prefix, and `<name>--rotation-pending` (somebody else's secret) is not ours.
 * The stash is also tagged (`rotation-stash-for`, `rotation-id`); see stash.ts.
 */
const PENDING_SUFFIX = '--rotation-pending';
const STASH_HASH_HEX = 24;

export function pendingSecretName(secretName: string): string {
    const hash = createHash('sha256').update(secretName.toLowerCase(), 'utf8').digest('hex').slice(0, STASH_HASH_HEX);
    const head = secretName.slice(0, 127 - PENDING_SUFFIX.length - STASH_HASH_HEX - 1);
    return `${head}-${hash}${PENDING_SUFFIX}`;
}

export function isPendingSecretName(name: string): boolean {
    return name.toLowerCase().endsWith(PENDING_SUFFIX);
}

const SECRET_NAME = /^[0-9A-Za-z-]{1,127}$/;

export function isValidSecretName(name: string): boolean {
    return SECRET_NAME.test(name);
}

/** Normalised vault URL: lower-case origin, no trailing slash. */
export function normalizeVaultUrl(vaultUrl: string): string {
    const url = new URL(vaultUrl);
    return `${url.protocol}//${url.host}`.toLowerCase();
}

/**
 * The instance id of one rotation: readable (vault host, secret) and unique (the rotation id), so a finished
 * rotation's record is never overwritten by the next one. Being one-per-credential is the starter's lock, not the
 * id. Durable ids may not contain '/', '\\', '#' or '?'.
 */
export function rotationInstanceId(vaultUrl: string, secretName: string, rotationId: string, dryRun = false): string {
    const host = new URL(vaultUrl).host.toLowerCase().replace(/[^a-z0-9.-]/g, '_');
    return `rotate@${host}@${secretName.toLowerCase()}${dryRun ? '@dryrun' : ''}@${rotationId}`;
}

/**
 * Every id this rotator ever gave a rotation: the current form, plus `rotate@<host>@<secret>` and
 * `…@dryrun@<uuid>` from earlier releases (instances that may still be listed). Anything else is not ours.
 */
const INSTANCE_ID =
    /^rotate@[a-z0-9._-]{1,260}@[a-z0-9-]{1,127}(@dryrun)?(@[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?$/;

export function isRotationInstanceId(id: string): boolean {
    return INSTANCE_ID.test(id);
}
