import { type AppRoleAssignmentRecord, type ServicePrincipalRecord } from '../entra/model';
import { type TenantRuntime } from '../entra/runtime';

export const SP_PROPERTIES = [
    'id',
    'deletedDateTime',
    'accountEnabled',
    'appId',
    'appDisplayName',
    'appOwnerOrganizationId',
    'appRoleAssignmentRequired',
    'appRoles',
    'createdDateTime',
    'displayName',
    'servicePrincipalNames',
    'servicePrincipalType',
    'signInAudience',
    'tags',
    'keyCredentials',
    'passwordCredentials',
] as const;

export function servicePrincipalView(runtime: TenantRuntime, sp: ServicePrincipalRecord): Record<string, unknown> {
    const definition = runtime.directory.resourceDefinition(sp);
    return {
        id: sp.id,
        deletedDateTime: null,
        accountEnabled: sp.accountEnabled,
        appId: sp.appId,
        appDisplayName: sp.displayName,
        appOwnerOrganizationId: sp.appOwnerOrganizationId,
        appRoleAssignmentRequired: false,
        appRoles: definition.appRoles,
        createdDateTime: sp.createdDateTime,
        displayName: sp.displayName,
        servicePrincipalNames: [...definition.identifierUris, sp.appId],
        servicePrincipalType: 'Application',
        signInAudience: 'AzureADMyOrg',
        tags: sp.tags,
        keyCredentials: [],
        passwordCredentials: [],
    };
}

export function assignmentView(runtime: TenantRuntime, assignment: AppRoleAssignmentRecord): Record<string, unknown> {
    const { servicePrincipals } = runtime.directory;
    return {
        id: assignment.id,
        deletedDateTime: null,
        appRoleId: assignment.appRoleId,
        createdDateTime: assignment.createdDateTime,
        principalDisplayName: servicePrincipals.get(assignment.principalId)?.displayName ?? null,
        principalId: assignment.principalId,
        principalType: 'ServicePrincipal',
        resourceDisplayName: servicePrincipals.get(assignment.resourceId)?.displayName ?? null,
        resourceId: assignment.resourceId,
    };
}
