import { randomUUID } from 'node:crypto';

/**
 * Azure RBAC for the Resource Manager surface: role assignments at a scope (subscription, resource group or
 * resource id) grant the actions of a role definition. Action names follow the Microsoft.Web operations list;
 * the config-reference read and refresh actions are [ASSUMED] (see README "Least privilege").
 */
export const WebActions = {
    sitesRead: 'Microsoft.Web/sites/read',
    slotsRead: 'Microsoft.Web/sites/slots/read',
    configRead: 'Microsoft.Web/sites/config/read',
    slotsConfigRead: 'Microsoft.Web/sites/slots/config/read',
    configList: 'Microsoft.Web/sites/config/list/action',
    slotsConfigList: 'Microsoft.Web/sites/slots/config/list/action',
    configWrite: 'Microsoft.Web/sites/config/write',
    slotsConfigWrite: 'Microsoft.Web/sites/slots/config/write',
    restart: 'Microsoft.Web/sites/restart/action',
    slotsRestart: 'Microsoft.Web/sites/slots/restart/action',
} as const;

export interface RoleDefinition {
    readonly name: string;
    readonly actions: readonly string[];
}

/** Built-in roles (actions as Azure lists them) plus any custom role a test or the sandbox defines. */
export const BUILT_IN_ROLES: readonly RoleDefinition[] = [
    { name: 'Owner', actions: ['*'] },
    { name: 'Contributor', actions: ['*'] },
    { name: 'Reader', actions: ['*/read'] },
    {
        name: 'Website Contributor',
        actions: ['Microsoft.Web/sites/*', 'Microsoft.Resources/subscriptions/resourceGroups/read'],
    },
];

export interface ArmRoleAssignment {
    readonly id: string;
    readonly principalId: string;
    readonly role: string;
    /** Lower-case ARM scope: `/subscriptions/x`, `/subscriptions/x/resourcegroups/y`, or a resource id. */
    readonly scope: string;
}

export function actionMatches(pattern: string, action: string): boolean {
    const p = pattern.toLowerCase();
    const a = action.toLowerCase();
    if (p === '*') return true;
    if (p === '*/read') return a.endsWith('/read');
    if (p.endsWith('/*')) return a.startsWith(p.slice(0, -1));
    return p === a;
}

export class ArmRbac {
    #assignments: ArmRoleAssignment[] = [];
    #custom: RoleDefinition[] = [];

    defineRole(role: RoleDefinition): void {
        this.#custom = [...this.#custom.filter((r) => r.name !== role.name), { ...role, actions: [...role.actions] }];
    }

    role(name: string): RoleDefinition | undefined {
        return [...BUILT_IN_ROLES, ...this.#custom].find((r) => r.name.toLowerCase() === name.toLowerCase());
    }

    assign(principalId: string, role: string, scope: string): ArmRoleAssignment {
        const normalized = scope.replace(/\/+$/, '').toLowerCase();
        const existing = this.#assignments.find(
            (a) => a.principalId === principalId && a.role === role && a.scope === normalized,
        );
        if (existing) return existing;
        const assignment = { id: randomUUID(), principalId, role, scope: normalized };
        this.#assignments.push(assignment);
        return assignment;
    }

    remove(id: string): boolean {
        const before = this.#assignments.length;
        this.#assignments = this.#assignments.filter((a) => a.id !== id);
        return before !== this.#assignments.length;
    }

    /** True when an assignment at this scope or any parent scope grants the action. */
    allows(principalId: string, action: string, resourceScope: string): boolean {
        const target = resourceScope.toLowerCase();
        return this.#assignments.some((a) => {
            if (a.principalId !== principalId) return false;
            if (target !== a.scope && !target.startsWith(`${a.scope}/`)) return false;
            return (this.role(a.role)?.actions ?? []).some((pattern) => actionMatches(pattern, action));
        });
    }

    list(): { assignments: readonly ArmRoleAssignment[]; customRoles: readonly RoleDefinition[] } {
        return { assignments: this.#assignments, customRoles: this.#custom };
    }

    replace(data: { assignments?: ArmRoleAssignment[]; customRoles?: RoleDefinition[] } | undefined): void {
        this.#assignments = [...(data?.assignments ?? [])];
        this.#custom = [...(data?.customRoles ?? [])];
    }
}
