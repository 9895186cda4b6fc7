/** Key Vault's stored form of a secret: every version keeps its value, like the real service's storage. */
export interface SecretVersionRecord {
    readonly version: string;
    readonly value: string;
    contentType?: string;
    tags?: Record<string, string>;
    enabled: boolean;
    /** Unix seconds, like the wire format. */
    nbf?: number;
    exp?: number;
    readonly created: number;
    updated: number;
}

export interface SecretRecord {
    /** The name as first created (lookups are case-insensitive, as in Key Vault). */
    readonly name: string;
    /** In creation order; the last one is the current version. */
    readonly versions: SecretVersionRecord[];
}

export interface DeletedSecretRecord {
    readonly secret: SecretRecord;
    readonly deletedDate: number;
    readonly scheduledPurgeDate: number;
}

/** Marks which system events were already raised for a version, so each fires once per version (§5.1). */
export interface EmittedMarks {
    nearExpiry: string[];
    expired: string[];
}

/**
 * How the vault is configured and how long the service takes to finish soft-delete operations. Real vaults
 * differ (api-fidelity §4.1; review-2026-12/emulator-fidelity.md gaps 1, 2, 6, 9):
 * - purge protection (the product's Bicep vault has it): purge answers 403, `recoveryLevel` is `Recoverable`;
 * - retention 7–90 days (`recoverableDays`; `scheduledPurgeDate` = deleted + retention);
 * - a delete takes ~2–4 s to show under /deletedsecrets (GET deleted 404 meanwhile; recorded 2026), a recover
 *   ~2 s to show under /secrets (GET 404 meanwhile), and a purged name answers writes with 409
 *   `ObjectIsBeingDeleted` for ~1–5 s (azure-sdk-for-net#34322, #26027). These are service latencies, so they
 *   run on the wall clock, not the emulator's business clock.
 */
export interface VaultProfile {
    purgeProtection: boolean;
    recoverableDays: number;
    deleteLatencyMs: number;
    recoverLatencyMs: number;
    purgeLatencyMs: number;
}

export const RECOVERABLE_DAYS = 90;
export const RECOVERY_LEVEL = 'Recoverable+Purgeable';

/** The bare emulator's vault: no purge protection, instant operations (tests opt into the real timings). */
export const defaultVaultProfile = (): VaultProfile => ({
    purgeProtection: false,
    recoverableDays: RECOVERABLE_DAYS,
    deleteLatencyMs: 0,
    recoverLatencyMs: 0,
    purgeLatencyMs: 0,
});

/**
 * The vault the product deploys (infra/main.bicep: `enablePurgeProtection: true`, `softDeleteRetentionInDays: 90`)
 * with service latencies inside the recorded ranges (delete ~2–4 s, recover ~2 s, purge 1–5 s; see
 * `VaultProfile`), at their low end so end-to-end tests stay quick. The sandbox and e2e worlds use it.
 */
export const productionVaultProfile = (): VaultProfile => ({
    purgeProtection: true,
    recoverableDays: 90,
    deleteLatencyMs: 2_000,
    recoverLatencyMs: 2_000,
    purgeLatencyMs: 1_500,
});

/** `Recoverable` with purge protection and 90 days; `Customized…` below 90 days (recordings show 7 days). */
export function recoveryLevel(profile: VaultProfile): string {
    const base = profile.purgeProtection ? 'Recoverable' : 'Recoverable+Purgeable';
    return profile.recoverableDays < 90 ? `Customized${base}` : base;
}

export function currentVersion(secret: SecretRecord): SecretVersionRecord {
    const latest = secret.versions[secret.versions.length - 1];
    if (latest === undefined) throw new Error(`secret ${secret.name} has no versions`);
    return latest;
}

export const unixSeconds = (date: Date): number => Math.floor(date.getTime() / 1000);
