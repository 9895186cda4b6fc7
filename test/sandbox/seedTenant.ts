import { type EmulatorClient } from './emulatorClient';

/**
 * The per-secret waiver of switch evidence: for test apps that have no consumer (no probe, nothing signing in with
 * the new key), so their rotations can complete on the sign-in log's silence alone.
 */
export const NO_EVIDENCE_SOURCE: Readonly<Record<string, string>> = Object.freeze({
    'rotation-evidence': 'none-accepted',
});

export const OPERATOR_API_URI = 'api://entra-credential-rotator';
export const SANDBOX_OPERATOR_UPN = 'operator@sandbox.onmicrosoft.com';
const GRAPH = 'https://graph.microsoft.com';
const VAULT_SCOPE = 'https://vault.azure.net/.default';

export interface AppSpec {
    readonly displayName: string;
    /** Days until the initial client secret expires (negative: already expired). */
    readonly expiresInDays: number;
    /**
     * Managed credentials get a Key Vault secret tagged with their app and key ids, and the rotator as owner;
     * they become managed once enrolled through the operator API (enrollSeeded).
     */
    readonly secretName?: string;
    /** Extra password credentials (metadata only) to put the app at its credential limit. */
    readonly extraPasswords?: number;
    /** Per-credential policy overrides as Key Vault tags. */
    readonly tags?: Readonly<Record<string, string>>;
}

export interface SeededApp {
    readonly displayName: string;
    readonly appId: string;
    readonly objectId: string;
    readonly keyId: string;
    readonly servicePrincipalId: string;
    readonly secretName: string | undefined;
    readonly endDateTime: string;
    /** The initial client secret (the value consumers start with). Test and sandbox plumbing only. */
    readonly clientSecret: string;
}

export interface SeededTenant {
    readonly rotator: { readonly clientId: string; readonly clientSecret: string; readonly servicePrincipalId: string };
    readonly operator: { readonly clientId: string; readonly clientSecret: string; readonly scope: string };
    readonly api: { readonly appId: string; readonly identifierUri: string; readonly objectId?: string };
    /**
     * The sandbox operator user the dashboard signs in as (authorization code + PKCE through the emulator's
     * sign-in page; no password). Absent in state seeded before interactive sign-in existed.
     */
    readonly user?: { readonly id: string; readonly userPrincipalName: string };
    /** The identity simulated consumers read their secrets with (Key Vault Secrets User only). */
    readonly reader: { readonly clientId: string; readonly clientSecret: string };
    readonly apps: readonly SeededApp[];
}

interface SeedResult {
    applications: { id: string; appId: string; servicePrincipalId: string; clientSecret?: string; keyId?: string }[];
}

async function seed(emu: EmulatorClient, applications: object[]): Promise<SeedResult['applications']> {
    const body = await emu.expectOk(emu.call<SeedResult>('POST', '/_emulator/entra/seed', { applications }), 'seeding');
    return body.applications;
}

/**
 * The principals the rotator needs (itself, its operator API, an operator) and a set of app registrations,
 * managed or not. The rotator gets least privilege: Graph Application.ReadWrite.OwnedBy + AuditLog.Read.All + Directory.Read.All,
 * ownership of the managed apps only, and Key Vault Secrets Officer.
 */
export async function seedTenant(emu: EmulatorClient, apps: readonly AppSpec[]): Promise<SeededTenant> {
    const [api] = await seed(emu, [
        {
            displayName: 'entra-credential-rotator-api',
            identifierUris: [OPERATOR_API_URI],
            // As the deployed registration (infra/scripts/operator-api.sh): v2.0 tokens, audience = client id.
            requestedAccessTokenVersion: 2,
            appRoles: [
                {
                    value: 'Rotation.Read',
                    displayName: 'Read rotations and the credential inventory',
                    allowedMemberTypes: ['User', 'Application'],
                },
                {
                    value: 'Rotation.Write',
                    displayName: 'Start rotations',
                    allowedMemberTypes: ['User', 'Application'],
                },
                {
                    value: 'Rotation.Admin',
                    displayName: 'Enroll and unenroll credentials',
                    allowedMemberTypes: ['User', 'Application'],
                },
            ],
            // The dashboard signs users in to this same registration (its SPA redirect URI is set at start).
            scopes: ['user_impersonation'],
            spaRedirectUris: [],
            password: false,
        },
    ]);
    const [rotator, operator, reader] = await seed(emu, [
        {
            displayName: 'entra-credential-rotator',
            roles: [
                { resource: GRAPH, role: 'Application.ReadWrite.OwnedBy' },
                { resource: GRAPH, role: 'AuditLog.Read.All' },
                // The sign-in list also needs it (the documented known issue); the emulator enforces both.
                { resource: GRAPH, role: 'Directory.Read.All' },
            ],
        },
        {
            displayName: 'rotator-operator',
            roles: [
                { resource: OPERATOR_API_URI, role: 'Rotation.Read' },
                { resource: OPERATOR_API_URI, role: 'Rotation.Write' },
                { resource: OPERATOR_API_URI, role: 'Rotation.Admin' },
            ],
        },
        { displayName: 'consumer-secret-reader' },
    ]);
    if (!api || !rotator?.clientSecret || !operator?.clientSecret || !reader?.clientSecret) {
        throw new Error('seeding the principals failed');
    }
    const seededUsers = await emu.expectOk(
        emu.call<{ users: { id: string; userPrincipalName: string }[] }>('POST', '/_emulator/entra/seed', {
            users: [
                {
                    displayName: 'Sandbox Operator',
                    userPrincipalName: SANDBOX_OPERATOR_UPN,
                    roles: [
                        { resource: OPERATOR_API_URI, role: 'Rotation.Read' },
                        { resource: OPERATOR_API_URI, role: 'Rotation.Write' },
                        // Enroll and unenroll from the dashboard.
                        { resource: OPERATOR_API_URI, role: 'Rotation.Admin' },
                    ],
                },
            ],
        }),
        'seeding the operator user',
    );
    const user = seededUsers.users[0];
    if (!user) throw new Error('seeding the operator user failed');
    await emu.expectOk(
        emu.call('POST', '/_emulator/keyVault/roleAssignments', {
            principalId: reader.servicePrincipalId,
            role: 'Key Vault Secrets User',
        }),
        'granting the consumers Key Vault Secrets User',
    );
    await emu.expectOk(
        emu.call('POST', '/_emulator/keyVault/roleAssignments', {
            principalId: rotator.servicePrincipalId,
            role: 'Key Vault Secrets Officer',
        }),
        'granting the rotator Key Vault Secrets Officer',
    );

    const now = await emu.now();
    const created = await seed(
        emu,
        apps.map((spec) => ({
            displayName: spec.displayName,
            owners: spec.secretName ? [rotator.servicePrincipalId] : [],
            password: {
                displayName: 'initial',
                endDateTime: new Date(now.getTime() + spec.expiresInDays * 86_400_000).toISOString(),
            },
        })),
    );
    const vaultToken = await emu.adminToken(VAULT_SCOPE);
    const seeded: SeededApp[] = [];
    for (const [index, spec] of apps.entries()) {
        const app = created[index];
        if (!app?.clientSecret || !app.keyId) throw new Error(`seeding ${spec.displayName} failed`);
        const endDateTime = new Date(now.getTime() + spec.expiresInDays * 86_400_000).toISOString();
        for (let extra = 0; extra < (spec.extraPasswords ?? 0); extra++) {
            await addPasswordAsAdmin(emu, app.id, `extra-${extra}`, endDateTime);
        }
        if (spec.secretName) {
            await emu.expectOk(
                emu.call(
                    'PUT',
                    `/secrets/${spec.secretName}?api-version=7.5`,
                    {
                        value: app.clientSecret,
                        contentType: 'application/vnd.entra.client-secret',
                        attributes: { exp: Math.floor(Date.parse(endDateTime) / 1000) },
                        tags: { 'entra-app-id': app.appId, 'entra-key-id': app.keyId, ...(spec.tags ?? {}) },
                    },
                    { authorization: `Bearer ${vaultToken}` },
                ),
                `storing ${spec.secretName}`,
            );
        }
        seeded.push({
            displayName: spec.displayName,
            appId: app.appId,
            objectId: app.id,
            keyId: app.keyId,
            servicePrincipalId: app.servicePrincipalId,
            secretName: spec.secretName,
            endDateTime,
            clientSecret: app.clientSecret,
        });
    }
    return {
        rotator: {
            clientId: rotator.appId,
            clientSecret: rotator.clientSecret,
            servicePrincipalId: rotator.servicePrincipalId,
        },
        operator: {
            clientId: operator.appId,
            clientSecret: operator.clientSecret,
            scope: `${OPERATOR_API_URI}/.default`,
        },
        api: { appId: api.appId, identifierUri: OPERATOR_API_URI, objectId: api.id },
        user,
        reader: { clientId: reader.appId, clientSecret: reader.clientSecret },
        apps: seeded,
    };
}

/**
 * Points the dashboard's sign-in at where the app runs now: the operator API registration's single-page-app
 * redirect URI is the dashboard URL (its port may differ between runs), set through Graph as an admin would.
 */
export async function registerDashboardRedirect(
    emu: EmulatorClient,
    tenant: SeededTenant,
    dashboardUrl: string,
): Promise<void> {
    if (!tenant.api.objectId) return;
    const token = await emu.adminToken(`${GRAPH}/.default`);
    await emu.expectOk(
        emu.call(
            'PATCH',
            `/v1.0/applications/${tenant.api.objectId}`,
            // Both loopback spellings, so the page works whichever one the browser was given.
            {
                spa: {
                    redirectUris: [...new Set([dashboardUrl, dashboardUrl.replace('//localhost:', '//127.0.0.1:')])],
                },
            },
            { authorization: `Bearer ${token}` },
        ),
        'registering the dashboard redirect URI',
    );
}

async function addPasswordAsAdmin(
    emu: EmulatorClient,
    objectId: string,
    displayName: string,
    endDateTime: string,
): Promise<void> {
    const token = await emu.adminToken(`${GRAPH}/.default`);
    await emu.expectOk(
        emu.call(
            'POST',
            `/v1.0/applications/${objectId}/addPassword`,
            { passwordCredential: { displayName, endDateTime } },
            { authorization: `Bearer ${token}` },
        ),
        'adding an extra password',
    );
}
