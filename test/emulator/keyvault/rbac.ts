import { randomUUID } from 'node:crypto';

import { type AccessTokenClaims, type EmuResponse } from '../core/contract';
import { kvError } from './errors';
import { LOCATION, RESOURCE_GROUP, SUBSCRIPTION_ID, vaultName } from './vault';

/** Data actions of the secrets data plane, named as Azure RBAC names them. */
export type SecretAction = 'getSecret' | 'readMetadata' | 'setSecret' | 'update' | 'delete' | 'recover' | 'purge';

const ACTION_NAMES: Record<SecretAction, string> = {
    getSecret: 'Microsoft.KeyVault/vaults/secrets/getSecret/action',
    readMetadata: 'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
    setSecret: 'Microsoft.KeyVault/vaults/secrets/setSecret/action',
    update: 'Microsoft.KeyVault/vaults/secrets/update/action',
    delete: 'Microsoft.KeyVault/vaults/secrets/delete',
    recover: 'Microsoft.KeyVault/vaults/secrets/recover/action',
    purge: 'Microsoft.KeyVault/vaults/secrets/purge/action',
};

const ALL: readonly SecretAction[] = ['getSecret', 'readMetadata', 'setSecret', 'update', 'delete', 'recover', 'purge'];

/** Built-in roles that grant secret data actions, with their well-known role definition ids. */
export const ROLES = {
    'Key Vault Administrator': { id: '00482a5a-887f-4fb3-b363-3b7fe8e74483', actions: ALL },
    'Key Vault Secrets Officer': { id: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7', actions: ALL },
    'Key Vault Secrets User': { id: '4633458b-17de-408a-b874-0445c86b69e6', actions: ['getSecret', 'readMetadata'] },
    'Key Vault Reader': { id: '21090545-7ca7-4776-b22c-e363652d74d2', actions: ['readMetadata'] },
} as const satisfies Record<string, { id: string; actions: readonly SecretAction[] }>;

export type RoleName = keyof typeof ROLES;

export interface RoleAssignment {
    readonly id: string;
    readonly principalId: string;
    readonly role: RoleName;
    readonly roleDefinitionId: string;
}

/** Accepts a role's name or its definition id (as `az role assignment create --role` does). */
export function parseRole(value: unknown): RoleName | undefined {
    if (typeof value !== 'string') return undefined;
    for (const [name, role] of Object.entries(ROLES)) {
        if (name.toLowerCase() === value.toLowerCase() || role.id === value.toLowerCase()) return name as RoleName;
    }
    return undefined;
}

/** Vault-scoped role assignments. */
export class RoleAssignments {
    #assignments: RoleAssignment[] = [];

    assign(principalId: string, role: RoleName): RoleAssignment {
        const existing = this.#assignments.find((a) => a.principalId === principalId && a.role === role);
        if (existing !== undefined) return existing;
        const assignment = { id: randomUUID(), principalId, role, roleDefinitionId: ROLES[role].id };
        this.#assignments.push(assignment);
        return assignment;
    }

    remove(id: string): boolean {
        const before = this.#assignments.length;
        this.#assignments = this.#assignments.filter((a) => a.id !== id);
        return this.#assignments.length !== before;
    }

    list(): readonly RoleAssignment[] {
        return this.#assignments;
    }

    allows(principalId: string, action: SecretAction): boolean {
        return this.#assignments.some(
            (a) => a.principalId === principalId && (ROLES[a.role].actions as readonly SecretAction[]).includes(action),
        );
    }

    replace(assignments: readonly RoleAssignment[]): void {
        this.#assignments = assignments.filter((a) => parseRole(a.role) !== undefined).map((a) => ({ ...a }));
    }
}

/** The RBAC denial as the service words it (a multi-line message with `\r\n`), inner code `ForbiddenByRbac`. */
export function forbiddenByRbac(
    origin: string,
    claims: AccessTokenClaims,
    action: SecretAction,
    secretName: string | undefined,
): EmuResponse {
    const vault = vaultName(origin);
    const scope =
        `/subscriptions/${SUBSCRIPTION_ID}/resourcegroups/${RESOURCE_GROUP.toLowerCase()}` +
        `/providers/microsoft.keyvault/vaults/${vault}` +
        (secretName === undefined ? '' : `/secrets/${secretName.toLowerCase()}`);
    const message = [
        'Caller is not authorized to perform action on resource.',
        'If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.',
        `Caller: appid=${claims.appid};oid=${claims.oid};iss=https://sts.windows.net/${claims.tid}/`,
        `Action: '${ACTION_NAMES[action]}'`,
        `Resource: '${scope}'`,
        'Assignment: (not found)',
        'DenyAssignmentId: null',
        'DecisionReason: null ',
        `Vault: ${vault};location=${LOCATION}`,
        '',
    ].join('\r\n');
    return kvError(403, 'Forbidden', message, 'ForbiddenByRbac');
}
