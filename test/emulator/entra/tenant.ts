import { newGuid } from '../core/ids';
import { createPassword } from './credentials';
import { type Directory } from './directory';
import { type ApplicationRecord, type ServicePrincipalRecord } from './model';
import { FIRST_PARTY, GRAPH_APP_ID, GRAPH_ROLES, type GraphRole, deterministicGuid } from './wellKnown';
import { MICROSOFT_TENANT_ID } from './wellKnown';

/** Identity of the bootstrap principal: stable across resets and restarts (kept in the state directory). */
export interface Bootstrap {
    readonly tenantId: string;
    readonly admin: {
        readonly clientId: string;
        readonly objectId: string;
        readonly servicePrincipalId: string;
        readonly clientSecret: string;
    };
}

export const ADMIN_GRAPH_ROLES: readonly GraphRole[] = [
    'Application.ReadWrite.All',
    'AuditLog.Read.All',
    'Directory.Read.All',
    'AppRoleAssignment.ReadWrite.All',
];

export function newApplication(
    now: Date,
    fields: Partial<Omit<ApplicationRecord, 'createdDateTime'>> & { displayName: string },
): ApplicationRecord {
    return {
        id: fields.id ?? newGuid(),
        appId: fields.appId ?? newGuid(),
        displayName: fields.displayName,
        createdDateTime: now.toISOString(),
        signInAudience: fields.signInAudience ?? 'AzureADMyOrg',
        identifierUris: fields.identifierUris ?? [],
        appRoles: fields.appRoles ?? [],
        passwordCredentials: fields.passwordCredentials ?? [],
        keyCredentials: fields.keyCredentials ?? [],
        owners: fields.owners ?? [],
        extra: fields.extra ?? {},
        ...(fields.createdAtMs === undefined ? {} : { createdAtMs: fields.createdAtMs }),
        ...(fields.delayDraws === undefined ? {} : { delayDraws: fields.delayDraws }),
    };
}

export function newServicePrincipal(
    now: Date,
    tenantId: string,
    app: { appId: string; displayName: string },
    id: string = newGuid(),
): ServicePrincipalRecord {
    return {
        id,
        appId: app.appId,
        displayName: app.displayName,
        accountEnabled: true,
        appOwnerOrganizationId: tenantId,
        createdDateTime: now.toISOString(),
        tags: [],
    };
}

export function assignRole(directory: Directory, now: Date, principalId: string, resourceId: string, roleId: string) {
    const existing = directory
        .assignmentsOf(principalId)
        .find((candidate) => candidate.resourceId === resourceId && candidate.appRoleId === roleId);
    if (existing) return existing;
    const assignment = {
        id: newGuid(),
        principalId,
        resourceId,
        appRoleId: roleId,
        createdDateTime: now.toISOString(),
    };
    directory.addAssignment(assignment);
    return assignment;
}

export function graphServicePrincipal(directory: Directory): ServicePrincipalRecord {
    const sp = directory.servicePrincipalByAppId(GRAPH_APP_ID);
    if (!sp) throw new Error('Microsoft Graph service principal missing');
    return sp;
}

/** Empties the directory, then recreates first-party resources and the admin principal with its grants. */
export function seedInitialTenant(directory: Directory, bootstrap: Bootstrap): void {
    directory.clear();
    // Epoch timestamps: bootstrap objects predate every test, so no propagation delay applies to them.
    const genesis = new Date(0);
    for (const resource of FIRST_PARTY) {
        directory.addServicePrincipal({
            ...newServicePrincipal(
                genesis,
                MICROSOFT_TENANT_ID,
                resource,
                deterministicGuid(bootstrap.tenantId, resource.appId),
            ),
            firstParty: { identifierUris: [...resource.identifierUris], appRoles: [...resource.appRoles] },
        });
    }
    const { admin } = bootstrap;
    const password = createPassword(genesis, {
        displayName: 'emulator admin',
        secretText: admin.clientSecret,
        endDateTime: new Date('2299-12-31T00:00:00Z'),
    });
    directory.addApplication(
        newApplication(genesis, {
            id: admin.objectId,
            appId: admin.clientId,
            displayName: 'emulator-admin',
            passwordCredentials: [password.record],
        }),
    );
    directory.addServicePrincipal(
        newServicePrincipal(
            genesis,
            bootstrap.tenantId,
            { appId: admin.clientId, displayName: 'emulator-admin' },
            admin.servicePrincipalId,
        ),
    );
    const graph = graphServicePrincipal(directory);
    for (const role of ADMIN_GRAPH_ROLES) {
        assignRole(directory, genesis, admin.servicePrincipalId, graph.id, GRAPH_ROLES[role].id);
    }
}
