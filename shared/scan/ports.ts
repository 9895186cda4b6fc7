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

export interface ManagedSecretIndexPort {
    /** Managed secrets in the given vaults; pending rotation stashes are not included. */
    listManaged(vaultUrls: readonly string[]): Promise<ManagedSecretRef[]>;
    /** The current version of one secret, or undefined when it does not exist. */
    current(
        vaultUrl: string,
        secretName: string,
    ): Promise<
        ManagedSecretRef | { readonly unmanaged: true; readonly version: string; readonly enabled: boolean } | undefined
    >;
}

/**
 * What `change` returns to `StateStorePort.update`: the new document, or `unchanged` to write nothing (and keep
 * the current document).
 */
export const unchanged: unique symbol = Symbol('unchanged');

/** Small JSON documents the app keeps between runs (alert ledger, inventory, processed event ids). */
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
