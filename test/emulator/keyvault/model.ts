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

export const RECOVERABLE_DAYS = 90;
export const RECOVERY_LEVEL = 'Recoverable+Purgeable';

export function currentVersion(secret: SecretRecord): SecretVersionRecord {
    const latest = secret.versions[secret.versions.length - 1];
    if (latest === undefined) throw new Error(`secret ${secret.name} has no versions`);
    return latest;
}

export const unixSeconds = (date: Date): number => Math.floor(date.getTime() / 1000);
