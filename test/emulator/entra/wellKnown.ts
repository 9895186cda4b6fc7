import { createHash } from 'node:crypto';

/** Microsoft's own tenant: first-party service principals are instances of apps registered there. */
export const MICROSOFT_TENANT_ID = 'f8cdef31-a31e-4b4a-93e4-5f571e91255a';

export interface AppRoleDefinition {
    readonly id: string;
    readonly value: string;
    readonly displayName: string;
    readonly description: string;
    readonly allowedMemberTypes: readonly string[];
    readonly isEnabled: boolean;
}

function appRole(id: string, value: string): AppRoleDefinition {
    return { id, value, displayName: value, description: value, allowedMemberTypes: ['Application'], isEnabled: true };
}

/** Microsoft Graph's application permissions this product touches, with their real app role ids. */
export const GRAPH_ROLES = {
    'Application.Read.All': appRole('9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30', 'Application.Read.All'),
    'Application.ReadWrite.All': appRole('1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9', 'Application.ReadWrite.All'),
    'Application.ReadWrite.OwnedBy': appRole('18a4783c-866b-4cc7-a460-3d5e5662c884', 'Application.ReadWrite.OwnedBy'),
    'AuditLog.Read.All': appRole('b0afded3-3588-46d8-8b3d-9842eff778da', 'AuditLog.Read.All'),
    'Directory.Read.All': appRole('7ab1d382-f21e-4acd-a863-ba3e13f7da61', 'Directory.Read.All'),
    'AppRoleAssignment.ReadWrite.All': appRole(
        '06b708a9-e830-4db3-a914-8e69da51d44f',
        'AppRoleAssignment.ReadWrite.All',
    ),
} as const;

export type GraphRole = keyof typeof GRAPH_ROLES;

export interface FirstPartyResource {
    readonly key: 'graph' | 'keyVault' | 'eventGrid' | 'resourceManager' | 'storage';
    readonly appId: string;
    readonly displayName: string;
    readonly identifierUris: readonly string[];
    readonly appRoles: readonly AppRoleDefinition[];
}

/** First-party resources a client-credentials token can be requested for (real app ids). */
export const STORAGE_APP_ID = 'e406a681-f3d4-42a8-90b6-c2b029497af1';

export const FIRST_PARTY: readonly FirstPartyResource[] = [
    {
        key: 'graph',
        appId: '00000003-0000-0000-c000-000000000000',
        displayName: 'Microsoft Graph',
        identifierUris: ['https://graph.microsoft.com', 'https://canary.graph.microsoft.com'],
        appRoles: Object.values(GRAPH_ROLES),
    },
    {
        key: 'keyVault',
        appId: 'cfa8b339-82a2-471a-a3c9-0fc0be7a4093',
        displayName: 'Azure Key Vault',
        identifierUris: ['https://vault.azure.net'],
        appRoles: [],
    },
    {
        key: 'eventGrid',
        appId: '4962773b-9cdb-44cf-a8bf-237846a00ab7',
        displayName: 'Microsoft.EventGrid',
        identifierUris: ['https://eventgrid.azure.net'],
        appRoles: [],
    },
    {
        // "Windows Azure Service Management API": the audience of Resource Manager tokens.
        key: 'resourceManager',
        appId: '797f4846-ba00-4fd7-ba43-dac1f8f63013',
        displayName: 'Windows Azure Service Management API',
        identifierUris: ['https://management.azure.com', 'https://management.core.windows.net'],
        appRoles: [],
    },
    {
        // Azure Storage: the audience of blob tokens (the app's state store). Only Azurite consumes these tokens.
        key: 'storage',
        appId: STORAGE_APP_ID,
        displayName: 'Azure Storage',
        identifierUris: ['https://storage.azure.com'],
        appRoles: [],
    },
];

export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

/** Stable per-tenant object ids for first-party principals, so a reset does not invalidate references. */
export function deterministicGuid(...parts: string[]): string {
    const hex = createHash('sha256').update(parts.join('|')).digest('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
