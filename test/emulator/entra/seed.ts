import { randomBytes } from 'node:crypto';

import { isRecord } from '../core/http';
import { bulkGuids, newGuid } from '../core/ids';
import { createPassword } from './credentials';
import { type AppRoleDefinition } from './wellKnown';
import { type TenantRuntime } from './runtime';
import { assignRole, newApplication, newServicePrincipal } from './tenant';

export class SeedError extends Error {}

interface RoleGrant {
    resource: string;
    role: string;
}

const strings = (value: unknown): string[] =>
    Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];

export function appRolesFrom(value: unknown): AppRoleDefinition[] {
    if (!Array.isArray(value)) return [];
    const text = (item: unknown, fallback: string): string => (typeof item === 'string' ? item : fallback);
    return value.filter(isRecord).map((role) => {
        const roleValue = text(role['value'], '');
        const members = strings(role['allowedMemberTypes']);
        return {
            id: text(role['id'], newGuid()),
            value: roleValue,
            displayName: text(role['displayName'], roleValue),
            description: text(role['description'], roleValue),
            allowedMemberTypes: members.length > 0 ? members : ['Application'],
            isEnabled: role['isEnabled'] !== false,
        };
    });
}

/**
 * Bulk seeding (`POST /_emulator/entra/seed`). Two shapes:
 * - `{count, displayNamePrefix?, passwordsPerApp?, servicePrincipals?}` creates many plain apps fast (the
 *   secrets are random and never returned: only the metadata matters at that scale);
 * - `{applications:[{displayName, identifierUris?, appRoles?, servicePrincipal?, password?, roles?, owners?,
 *   requestedAccessTokenVersion?, scopes?, spaRedirectUris?}], users?:[{displayName, userPrincipalName, roles?}]}`
 *   creates fully wired principals (and interactive users) and returns their ids and secrets once.
 */
export function seed(runtime: TenantRuntime, body: unknown): object {
    if (!isRecord(body)) throw new SeedError('Body must be a JSON object.');
    const started = performance.now();
    const now = runtime.clock.now();
    const { directory } = runtime;
    if (typeof body['count'] === 'number') {
        const count = Math.floor(body['count']);
        if (!(count >= 0 && count <= 1_000_000)) throw new SeedError('count must be between 0 and 1000000.');
        const prefix = typeof body['displayNamePrefix'] === 'string' ? body['displayNamePrefix'] : 'seeded-app-';
        const passwords =
            typeof body['passwordsPerApp'] === 'number' ? Math.min(5, Math.max(0, body['passwordsPerApp'])) : 1;
        const withSp = body['servicePrincipals'] === true;
        // Bulk path: ids from one entropy call and credentials whose secret nobody knows (a random "hash"
        // matches no text), so 100,000 apps take well under a few seconds even on a slow machine.
        const ids = bulkGuids(count * (2 + passwords + (withSp ? 1 : 0)));
        const hashes = randomBytes(count * passwords * 32).toString('hex');
        const created = now.toISOString();
        const end = new Date(now.getTime() + 2 * 365.25 * 86_400_000).toISOString();
        let next = 0;
        for (let index = 0; index < count; index++) {
            const app = newApplication(now, { displayName: `${prefix}${index}`, id: ids[next++], appId: ids[next++] });
            for (let p = 0; p < passwords; p++) {
                const hashIndex = index * passwords + p;
                app.passwordCredentials.push({
                    keyId: ids[next++] ?? '',
                    displayName: `seed-${p}`,
                    hint: 'sd~',
                    salt: '',
                    secretHash: hashes.slice(hashIndex * 64, hashIndex * 64 + 64),
                    startDateTime: created,
                    endDateTime: end,
                    createdAtMs: 0,
                });
            }
            directory.addApplication(app);
            if (withSp) directory.addServicePrincipal(newServicePrincipal(now, runtime.tenantId, app, ids[next++]));
        }
        return { created: count, elapsedMs: Math.round(performance.now() - started) };
    }
    if (!Array.isArray(body['applications']) && !Array.isArray(body['users']))
        throw new SeedError('Expected "count", "applications" or "users".');
    const applications: unknown[] = Array.isArray(body['applications']) ? body['applications'] : [];
    const created = applications.map((entry: unknown) => {
        if (!isRecord(entry) || typeof entry['displayName'] !== 'string') {
            throw new SeedError('Every application needs a displayName.');
        }
        const app = newApplication(now, {
            displayName: entry['displayName'],
            identifierUris: strings(entry['identifierUris']),
            appRoles: appRolesFrom(entry['appRoles']),
            owners: strings(entry['owners']),
            extra: {
                ...(typeof entry['requestedAccessTokenVersion'] === 'number' || Array.isArray(entry['scopes'])
                    ? {
                          api: {
                              ...(typeof entry['requestedAccessTokenVersion'] === 'number'
                                  ? { requestedAccessTokenVersion: entry['requestedAccessTokenVersion'] }
                                  : {}),
                              // Delegated permissions the API exposes (what a user's token carries in `scp`).
                              oauth2PermissionScopes: strings(entry['scopes']).map((value) => ({
                                  id: newGuid(),
                                  value,
                                  type: 'User',
                                  isEnabled: true,
                                  adminConsentDisplayName: value,
                                  adminConsentDescription: value,
                              })),
                          },
                      }
                    : {}),
                ...(Array.isArray(entry['spaRedirectUris'])
                    ? { spa: { redirectUris: strings(entry['spaRedirectUris']) } }
                    : {}),
            },
        });
        let secret: { clientSecret: string; keyId: string } | undefined;
        if (entry['password'] !== false) {
            const options = isRecord(entry['password']) ? entry['password'] : {};
            const password = createPassword(new Date(0), {
                startDateTime: now,
                displayName: typeof options['displayName'] === 'string' ? options['displayName'] : 'seeded',
                ...(typeof options['endDateTime'] === 'string'
                    ? { endDateTime: new Date(options['endDateTime']) }
                    : {}),
            });
            // Seeded principals exist "before" the test, so no propagation delay: created at the epoch.
            app.passwordCredentials.push(password.record);
            secret = { clientSecret: password.secretText, keyId: password.record.keyId };
        }
        directory.addApplication(app);
        let servicePrincipalId: string | undefined;
        if (entry['servicePrincipal'] !== false) {
            const sp = newServicePrincipal(now, runtime.tenantId, app);
            directory.addServicePrincipal(sp);
            servicePrincipalId = sp.id;
            for (const grant of (Array.isArray(entry['roles']) ? entry['roles'] : []) as RoleGrant[]) {
                const resource = directory.resourceByIdentifier(String(grant.resource));
                const role =
                    resource && directory.resourceDefinition(resource).appRoles.find((r) => r.value === grant.role);
                if (!resource || !role)
                    throw new SeedError(`Unknown role ${String(grant.role)} on ${String(grant.resource)}.`);
                assignRole(directory, now, sp.id, resource.id, role.id);
            }
        }
        return { id: app.id, appId: app.appId, servicePrincipalId, ...secret };
    });
    // Users after applications, so a user can be given a role on an API seeded in the same call.
    const users = (Array.isArray(body['users']) ? body['users'] : []).map((entry: unknown) => {
        if (
            !isRecord(entry) ||
            typeof entry['displayName'] !== 'string' ||
            typeof entry['userPrincipalName'] !== 'string'
        )
            throw new SeedError('Every user needs a displayName and a userPrincipalName.');
        const user = {
            id: newGuid(),
            displayName: entry['displayName'],
            userPrincipalName: entry['userPrincipalName'],
        };
        directory.users.set(user.id, user);
        for (const grant of (Array.isArray(entry['roles']) ? entry['roles'] : []) as RoleGrant[]) {
            const resource = directory.resourceByIdentifier(String(grant.resource));
            const role =
                resource && directory.resourceDefinition(resource).appRoles.find((r) => r.value === grant.role);
            if (!resource || !role)
                throw new SeedError(`Unknown role ${String(grant.role)} on ${String(grant.resource)}.`);
            if (!role.allowedMemberTypes.includes('User'))
                throw new SeedError(`Role ${role.value} cannot be assigned to users (allowedMemberTypes).`);
            assignRole(directory, now, user.id, resource.id, role.id);
        }
        return { id: user.id, userPrincipalName: user.userPrincipalName };
    });
    return {
        created: created.length,
        applications: created,
        users,
        elapsedMs: Math.round(performance.now() - started),
    };
}
