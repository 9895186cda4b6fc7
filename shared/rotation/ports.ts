import { type AadstsClassification } from '../domain/aadsts';
import { type SignInRead } from '../domain/evidence';
import { type CollectedSignIn } from '../domain/signInCollection';
import { type Secret } from '../security/Secret';
import { type Consumer } from './consumers';

/** Password-credential metadata as Graph lists it (never the secret). */
export interface PasswordCredentialInfo {
    readonly keyId: string;
    readonly displayName: string | null;
    readonly hint: string | null;
    readonly startDateTime: string | null;
    readonly endDateTime: string | null;
}

export interface ApplicationInfo {
    readonly objectId: string;
    readonly appId: string;
    readonly displayName: string | null;
    readonly passwordCredentials: readonly PasswordCredentialInfo[];
    /** Owner object ids, only when asked for (`withOwners`); Graph caps an expanded relationship, see ownedByRotator. */
    readonly ownerIds?: readonly string[];
}

export interface NewPassword {
    readonly displayName: string;
    readonly startDateTime: string;
    readonly endDateTime: string;
}

/** Graph application credentials. */
export interface AppCredentialsPort {
    /** `withOwners`: the owners come in the same read (`$expand`), so checking ownership costs no extra request. */
    getApplicationByAppId(appId: string, options?: { withOwners?: boolean }): Promise<ApplicationInfo | undefined>;
    /** Never retried by the transport: a retry could create a second credential. */
    addPassword(
        appObjectId: string,
        request: NewPassword,
    ): Promise<{ credential: PasswordCredentialInfo; secret: Secret }>;
    /** Idempotent: an unknown keyId is reported, not thrown. */
    removePassword(appObjectId: string, keyId: string): Promise<'removed' | 'notFound'>;
}

/** Whether the rotator's own identity is an owner of an application (what Application.ReadWrite.OwnedBy writes). */
export interface AppOwnershipPort {
    /** `expandedOwnerIds`: owners already read with the application; the full list is read only when they may be cut. */
    ownedByRotator(appObjectId: string, expandedOwnerIds?: readonly string[]): Promise<boolean>;
    /** Whether the application has a service principal in this tenant (without one, nothing can sign in with it). */
    hasServicePrincipal(appId: string): Promise<boolean>;
}

export interface StoredSecretProperties {
    readonly name: string;
    readonly version: string;
    readonly enabled: boolean;
    readonly tags: Readonly<Record<string, string>>;
    readonly contentType: string | undefined;
    readonly expiresOn: string | undefined;
}

export interface SecretWrite {
    readonly tags: Readonly<Record<string, string>>;
    readonly contentType: string;
    readonly expiresOn: string | undefined;
    /**
     * When the name is soft-deleted (Key Vault answers 409 ObjectIsDeletedButRecoverable), the write recovers it
     * first; with this set, only a deleted secret whose tags pass is recovered. Anything else is refused
     * (non-retryable conflict) and left deleted, as it was.
     */
    readonly recoverOnlyIf?: (tags: Readonly<Record<string, string>>) => boolean;
}

/** Key Vault secrets. Reads are always of the latest version: nothing here can pin one (seed 000). */
export interface SecretStorePort {
    getLatest(
        vaultUrl: string,
        name: string,
    ): Promise<{ properties: StoredSecretProperties; value: Secret } | undefined>;
    getLatestProperties(vaultUrl: string, name: string): Promise<StoredSecretProperties | undefined>;
    setSecret(vaultUrl: string, name: string, value: Secret, write: SecretWrite): Promise<StoredSecretProperties>;
    /** A soft-deleted secret's properties (tags), or undefined when the name is not soft-deleted. */
    getDeletedProperties(vaultUrl: string, name: string): Promise<StoredSecretProperties | undefined>;
    /** Deletes (and purges when permitted) a secret; absent secrets are fine. */
    deleteSecret(vaultUrl: string, name: string): Promise<void>;
}

export type TokenCheck =
    | { readonly ok: true; readonly tokenExpiresOn: string | undefined }
    | { readonly ok: false; readonly classification: AadstsClassification };

/** Requests a token with exactly this secret: a fresh client, no cache, one network round trip. */
export interface TokenVerifierPort {
    /** `correlationId` is sent as the request's client-request-id, so the sign-in log can tell this request apart. */
    checkSecret(appId: string, secret: Secret, correlationId?: string): Promise<TokenCheck>;
}

export interface SignInQuery {
    readonly appId: string;
    /** Credentials of interest, each counted from its own instant; the query starts at the earliest. */
    readonly keys: readonly { readonly keyId: string; readonly since: string }[];
    /** Correlation ids the rotator sent with its own token requests: reported apart, never counted as use. */
    readonly ownCorrelationIds: readonly string[];
}

/** The sign-in log: successful service-principal sign-ins of one app, per credential. */
export interface SignInReaderPort {
    /**
     * Reads every page of the app's successful service-principal sign-ins since the earliest `since`. Throws on
     * any failure (throttling included): a partial read must never look like "no sign-ins".
     */
    successfulSignIns(query: SignInQuery): Promise<Extract<SignInRead, { complete: true }>>;
}

/** The tenant's sign-in log as one feed, for the shared collector (shared/signins/collector.ts). */
export interface SignInFeedPort {
    /**
     * Every successful service-principal sign-in of the tenant with `createdDateTime` at or after `since`, all
     * pages. Throws on any failure (throttling included): a partial read is never returned.
     */
    successfulSince(
        since: string,
        /** Called after each page (a long read renews its lease here; throwing stops the read). */
        onPage?: (pages: number) => Promise<void>,
    ): Promise<{ entries: CollectedSignIn[]; pages: number }>;
}

export interface LifecycleEvent {
    /** Deterministic id, so a retried notify activity publishes the same event (consumers dedupe by id). */
    readonly id: string;
    readonly type: string;
    readonly subject: string;
    readonly time: string;
    readonly data: Readonly<Record<string, string | number | boolean | null | readonly string[]>>;
}

export interface NotifierPort {
    publish(events: readonly LifecycleEvent[]): Promise<void>;
}

export type RefreshOutcome =
    | { readonly ok: true; readonly detail: string; readonly observedFingerprint?: string }
    | {
          readonly ok: false;
          readonly retryable: boolean;
          readonly detail: string;
          readonly observedFingerprint?: string;
      };

export interface RefreshRequest {
    readonly vaultUrl: string;
    readonly secretName: string;
    readonly secretVersion: string;
    readonly fingerprint: string;
    readonly rotationId: string;
    /** When the orchestration asked (in the body; the signed timestamp is the send time). */
    readonly requestedAt: string;
}

/** Tells one consumer about a new version (webhook) or asks which one it uses (probe). */
export interface ConsumerRefresherPort {
    refresh(consumer: Consumer, request: RefreshRequest): Promise<RefreshOutcome>;
}
