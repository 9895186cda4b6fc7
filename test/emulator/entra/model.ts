import { type DelayDraws } from '../core/delays';
import { type AppRoleDefinition } from './wellKnown';

/** A password credential as the directory stores it: a salted hash, never the secret text. */
export interface PasswordCredentialRecord {
    keyId: string;
    displayName: string | null;
    hint: string;
    salt: string;
    secretHash: string;
    startDateTime: string;
    endDateTime: string;
    /** Emulator-clock ms when added; the propagation delay counts from here. */
    createdAtMs: number;
    /** This credential's draws of the propagation and replication delays (absent: seeded, no draw). */
    delayDraws?: DelayDraws;
}

export interface KeyCredentialRecord {
    keyId: string;
    displayName: string | null;
    customKeyIdentifier: string;
    type: string;
    usage: string;
    startDateTime: string;
    endDateTime: string;
    /** Base64 DER certificate. */
    key: string;
    /** Upper-case hex SHA-1 thumbprint (what sign-in logs show) and base64url SHA-1/SHA-256 (JWT x5t). */
    thumbprintHex: string;
    x5t: string;
    x5tS256: string;
    publicKeyPem: string;
    createdAtMs: number;
    delayDraws?: DelayDraws;
}

export interface ApplicationRecord {
    id: string;
    appId: string;
    displayName: string;
    createdDateTime: string;
    signInAudience: string;
    identifierUris: string[];
    appRoles: AppRoleDefinition[];
    passwordCredentials: PasswordCredentialRecord[];
    keyCredentials: KeyCredentialRecord[];
    owners: string[];
    /** Emulator-clock ms when created through Graph (replication lag counts from here); absent when seeded. */
    createdAtMs?: number;
    delayDraws?: DelayDraws;
    /** Other writable properties (description, notes, tags, api, web…) kept as sent. */
    extra: Record<string, unknown>;
}

export interface ServicePrincipalRecord {
    id: string;
    appId: string;
    displayName: string;
    accountEnabled: boolean;
    appOwnerOrganizationId: string;
    createdDateTime: string;
    /** Only for first-party principals, whose application lives in Microsoft's tenant. */
    firstParty?: { identifierUris: string[]; appRoles: AppRoleDefinition[] };
    tags: string[];
}

export interface AppRoleAssignmentRecord {
    id: string;
    principalId: string;
    resourceId: string;
    appRoleId: string;
    createdDateTime: string;
}

/** A member user who can sign in interactively (the emulator asks for no password). */
export interface UserRecord {
    id: string;
    userPrincipalName: string;
    displayName: string;
}

export interface DirectorySnapshot {
    applications: ApplicationRecord[];
    servicePrincipals: ServicePrincipalRecord[];
    appRoleAssignments: AppRoleAssignmentRecord[];
    /** Absent in state saved before users existed. */
    users?: UserRecord[];
}
