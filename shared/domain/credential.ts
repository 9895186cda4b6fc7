/**
 * An app registration credential as the rotator sees it: metadata only. Secret text is never part of
 * this model (Graph returns `secretText` once, from `addPassword`, and it goes straight into a `Secret`).
 * Dates are ISO-8601 strings so the model crosses Durable and HTTP boundaries unchanged.
 */
export type CredentialKind = 'secret' | 'certificate';

export interface Credential {
    /** Application object id (Graph `id`). */
    readonly appObjectId: string;
    /** Application (client) id (Graph `appId`). */
    readonly appId: string;
    readonly appDisplayName?: string | null;
    readonly kind: CredentialKind;
    readonly keyId: string;
    readonly displayName: string | null;
    /** First characters of a secret, as Graph exposes them; never enough to use. */
    readonly hint: string | null;
    readonly startDateTime: string | null;
    readonly endDateTime: string;
}

export const LifecycleStates = {
    Active: 'Active',
    ExpiringSoon: 'ExpiringSoon',
    Rotating: 'Rotating',
    GracePeriod: 'GracePeriod',
    Expired: 'Expired',
    CleanedUp: 'CleanedUp',
    AttentionRequired: 'AttentionRequired',
} as const;

export type LifecycleState = (typeof LifecycleStates)[keyof typeof LifecycleStates];

/**
 * What a rotation in flight says about a credential. The clock alone cannot tell that a credential is being
 * rotated, waits out its grace period, was deleted, or needs a human; the rotation's own record can.
 */
export type RotationMark = 'rotating' | 'grace' | 'cleanedUp' | 'attentionRequired';

/** A stable, human-searchable identity for a credential in logs and events. */
export function credentialRef(credential: Pick<Credential, 'appId' | 'keyId'>): string {
    return `${credential.appId}/${credential.keyId}`;
}
