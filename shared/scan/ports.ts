import { type Credential } from '../domain/credential';

/** One page of applications with their credentials' metadata (no secrets, no certificate blobs). */
export interface ScannedApplication {
    readonly objectId: string;
    readonly appId: string;
    readonly displayName: string | null;
    readonly credentials: readonly Credential[];
}

/** Streams the tenant's applications page by page, so memory stays bounded whatever the tenant size. */
export interface ApplicationScannerPort {
    pages(): AsyncIterable<readonly ScannedApplication[]>;
}

/** A Key Vault secret that manages a credential (tags `entra-app-id` + `entra-key-id`). */
export interface ManagedSecretRef {
    readonly vaultUrl: string;
    readonly secretName: string;
    readonly version: string;
    readonly enabled: boolean;
    readonly appId: string;
    readonly keyId: string;
    /** The secret's policy-override tags (`rotate-before-days`, …), as written; validated where they are used. */
    readonly policyTags?: Readonly<Record<string, string>>;
    /** The current version's `exp` (the credential's end date, kept in step by the rotator). */
    readonly expiresOn?: string;
}

/** A secret's current version as listed (properties only), with the binding-related tags it carries. */
export interface SecretState {
    readonly vaultUrl: string;
    readonly secretName: string;
    readonly version: string;
    readonly enabled: boolean;
    /** `entra-app-id` / `entra-key-id` tags: descriptive only; they never make a secret managed. */
    readonly tags: { readonly appId?: string; readonly keyId?: string };
    /** As in ManagedSecretRef: the policy-override tags and the current version's `exp`. */
    readonly policyTags?: Readonly<Record<string, string>>;
    readonly expiresOn?: string;
}

export interface ManagedSecretIndexPort {
    /** Secrets tagged `entra-app-id` + `entra-key-id` in the given vaults (audit, import); stashes excluded. */
    listManaged(vaultUrls: readonly string[]): Promise<ManagedSecretRef[]>;
    /** Every secret's current version in the given vaults, properties only; rotation stashes excluded. */
    listSecrets(vaultUrls: readonly string[]): Promise<SecretState[]>;
    /** The current version of one secret, or undefined when it does not exist or is a rotation stash. */
    current(vaultUrl: string, secretName: string): Promise<SecretState | undefined>;
}

/**
 * What `change` returns to `StateStorePort.update`: the new document, or `unchanged` to write nothing (and keep
 * the current document).
 */
export const unchanged: unique symbol = Symbol('unchanged');

/**
 * Small JSON documents the app keeps between runs (alert ledger, inventory, processed event ids, enrollment,
 * rotation locks).
 */
export interface StateStorePort {
    read<T>(key: string): Promise<T | undefined>;
    /** Unconditional replace: only for documents with a single writer (a snapshot, not a merge). */
    write(key: string, value: unknown): Promise<void>;
    /**
     * Conditional read-modify-write: the document is written only if nobody else wrote it since it was read
     * (ETag / If-Match in Azure), otherwise it is read again and `change` runs again. So `change` must be a pure
     * function of the current document, and two instances never lose each other's update. Resolves to the
     * document as stored afterwards.
     */
    update<T>(key: string, change: (current: T | undefined) => T | typeof unchanged): Promise<T | undefined>;
}
