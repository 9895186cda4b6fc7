import { type AppRoleDefinition } from './wellKnown';
import {
    type AppRoleAssignmentRecord,
    type ApplicationRecord,
    type DirectorySnapshot,
    type ServicePrincipalRecord,
    type UserRecord,
} from './model';

/** Identifier URIs compare case-insensitively and without a trailing slash (`https://x/` = `https://x`). */
export function normalizeUri(uri: string): string {
    return uri.trim().replace(/\/+$/, '').toLowerCase();
}

/**
 * The tenant's directory: applications, service principals and app role assignments, with the indexes the
 * token endpoint and Graph need (appId, identifier URI, assignments per principal). Pure data; no I/O.
 */
export class Directory {
    readonly applications = new Map<string, ApplicationRecord>();
    readonly servicePrincipals = new Map<string, ServicePrincipalRecord>();
    readonly appRoleAssignments = new Map<string, AppRoleAssignmentRecord>();
    readonly users = new Map<string, UserRecord>();
    private readonly appObjectIdByAppId = new Map<string, string>();
    private readonly spIdByAppId = new Map<string, string>();
    private readonly appIdByUri = new Map<string, string>();
    private readonly assignmentIdsByPrincipal = new Map<string, Set<string>>();

    clear(): void {
        this.applications.clear();
        this.servicePrincipals.clear();
        this.appRoleAssignments.clear();
        this.users.clear();
        this.appObjectIdByAppId.clear();
        this.spIdByAppId.clear();
        this.appIdByUri.clear();
        this.assignmentIdsByPrincipal.clear();
    }

    addApplication(app: ApplicationRecord): void {
        this.applications.set(app.id, app);
        this.appObjectIdByAppId.set(app.appId.toLowerCase(), app.id);
        this.indexUris(app.appId, app.identifierUris);
    }

    /** Call after changing an application's identifierUris. */
    reindexApplication(app: ApplicationRecord, previousUris: readonly string[]): void {
        for (const uri of previousUris) this.appIdByUri.delete(normalizeUri(uri));
        this.indexUris(app.appId, app.identifierUris);
    }

    removeApplication(app: ApplicationRecord): void {
        this.applications.delete(app.id);
        this.appObjectIdByAppId.delete(app.appId.toLowerCase());
        for (const uri of app.identifierUris) this.appIdByUri.delete(normalizeUri(uri));
    }

    applicationByAppId(appId: string): ApplicationRecord | undefined {
        const id = this.appObjectIdByAppId.get(appId.toLowerCase());
        return id === undefined ? undefined : this.applications.get(id);
    }

    addServicePrincipal(sp: ServicePrincipalRecord): void {
        this.servicePrincipals.set(sp.id, sp);
        this.spIdByAppId.set(sp.appId.toLowerCase(), sp.id);
        if (sp.firstParty) this.indexUris(sp.appId, sp.firstParty.identifierUris);
    }

    removeServicePrincipal(sp: ServicePrincipalRecord): void {
        this.servicePrincipals.delete(sp.id);
        this.spIdByAppId.delete(sp.appId.toLowerCase());
        for (const assignmentId of [...(this.assignmentIdsByPrincipal.get(sp.id) ?? [])]) {
            this.removeAssignment(assignmentId);
        }
        for (const assignment of [...this.appRoleAssignments.values()]) {
            if (assignment.resourceId === sp.id) this.removeAssignment(assignment.id);
        }
    }

    servicePrincipalByAppId(appId: string): ServicePrincipalRecord | undefined {
        const id = this.spIdByAppId.get(appId.toLowerCase());
        return id === undefined ? undefined : this.servicePrincipals.get(id);
    }

    /** Resolves a scope's resource (identifier URI or app id) to the resource's service principal. */
    resourceByIdentifier(resource: string): ServicePrincipalRecord | undefined {
        const appId = this.appIdByUri.get(normalizeUri(resource)) ?? resource;
        return this.servicePrincipalByAppId(appId);
    }

    /** A service principal's app roles and identifier URIs: its application's, or its own if first-party. */
    resourceDefinition(sp: ServicePrincipalRecord): { identifierUris: string[]; appRoles: AppRoleDefinition[] } {
        if (sp.firstParty) return sp.firstParty;
        const app = this.applicationByAppId(sp.appId);
        return { identifierUris: app?.identifierUris ?? [], appRoles: app?.appRoles ?? [] };
    }

    addAssignment(assignment: AppRoleAssignmentRecord): void {
        this.appRoleAssignments.set(assignment.id, assignment);
        let ids = this.assignmentIdsByPrincipal.get(assignment.principalId);
        if (!ids) {
            ids = new Set();
            this.assignmentIdsByPrincipal.set(assignment.principalId, ids);
        }
        ids.add(assignment.id);
    }

    removeAssignment(id: string): boolean {
        const assignment = this.appRoleAssignments.get(id);
        if (!assignment) return false;
        this.appRoleAssignments.delete(id);
        this.assignmentIdsByPrincipal.get(assignment.principalId)?.delete(id);
        return true;
    }

    assignmentsOf(principalId: string): AppRoleAssignmentRecord[] {
        const ids = this.assignmentIdsByPrincipal.get(principalId) ?? new Set<string>();
        return [...ids].flatMap((id) => {
            const assignment = this.appRoleAssignments.get(id);
            return assignment ? [assignment] : [];
        });
    }

    /** The `roles` claim: values of enabled app roles assigned to `principalId` on `resource`. */
    rolesOn(principalId: string, resource: ServicePrincipalRecord): string[] {
        const roles = this.resourceDefinition(resource).appRoles;
        const values = new Set<string>();
        for (const assignment of this.assignmentsOf(principalId)) {
            if (assignment.resourceId !== resource.id) continue;
            const role = roles.find((candidate) => candidate.id === assignment.appRoleId && candidate.isEnabled);
            if (role) values.add(role.value);
        }
        return [...values];
    }

    snapshot(): DirectorySnapshot {
        return {
            applications: [...this.applications.values()],
            servicePrincipals: [...this.servicePrincipals.values()],
            appRoleAssignments: [...this.appRoleAssignments.values()],
            users: [...this.users.values()],
        };
    }

    restore(snapshot: DirectorySnapshot): void {
        this.clear();
        for (const app of snapshot.applications) this.addApplication(app);
        for (const sp of snapshot.servicePrincipals) this.addServicePrincipal(sp);
        for (const assignment of snapshot.appRoleAssignments) this.addAssignment(assignment);
        for (const user of snapshot.users ?? []) this.users.set(user.id, user);
    }

    private indexUris(appId: string, uris: readonly string[]): void {
        for (const uri of uris) this.appIdByUri.set(normalizeUri(uri), appId);
    }
}
