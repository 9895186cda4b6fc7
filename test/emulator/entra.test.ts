import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Json, type TestEmulator, startTestEmulator } from './support/harness';

let t: TestEmulator;
let tenantId: string;
let admin: { clientId: string; clientSecret: string };

const form = (fields: Record<string, string>) => ({
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
});

beforeAll(async () => {
    t = await startTestEmulator();
    tenantId = t.emulator.tenantId;
    admin = t.emulator.principals.admin;
});
afterAll(async () => {
    await t?.close();
});

async function seedApp(extra: object = {}) {
    const seeded = await t.control('/entra/seed', {
        applications: [{ displayName: `app-${Math.random()}`, ...extra }],
    });
    return seeded.applications[0] as {
        id: string;
        appId: string;
        servicePrincipalId: string;
        clientSecret: string;
        keyId: string;
    };
}

describe('Entra STS over raw HTTP (api-fidelity §2)', () => {
    it('§2.5 discovery: issuer on the emulator origin, all four fields msal requires', async () => {
        const response = await t.raw('GET', `/${tenantId}/v2.0/.well-known/openid-configuration`);
        expect(response.status).toBe(200);
        expect(response.json.issuer).toBe(`${t.emulator.baseUrl}/${tenantId}/v2.0`);
        expect(response.json.token_endpoint).toBe(`${t.emulator.baseUrl}/${tenantId}/oauth2/v2.0/token`);
        expect(response.json.authorization_endpoint).toMatch(/^https:\/\/localhost:\d+\//);
        const keys = await t.raw('GET', new URL(response.json.jwks_uri).pathname);
        expect(keys.json.keys[0]).toMatchObject({ kty: 'RSA', use: 'sig' });
    });

    it('§2.2 client_secret in the form body → 200 Bearer token with real-shaped fields', async () => {
        const response = await t.raw(
            'POST',
            `/${tenantId}/oauth2/v2.0/token`,
            form({
                client_id: admin.clientId,
                client_secret: admin.clientSecret,
                grant_type: 'client_credentials',
                scope: 'https://graph.microsoft.com/.default',
            }),
        );
        expect(response.status).toBe(200);
        expect(response.headers['cache-control']).toBe('no-store, no-cache');
        expect(response.json).toMatchObject({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599 });
        const claims = JSON.parse(Buffer.from(response.json.access_token.split('.')[1], 'base64url').toString());
        expect(claims).toMatchObject({
            aud: 'https://graph.microsoft.com',
            tid: tenantId,
            appid: admin.clientId,
            idtyp: 'app',
        });
        expect(claims.roles).toEqual(expect.arrayContaining(['Application.ReadWrite.All', 'AuditLog.Read.All']));
    });

    it('§2.1 client_secret via HTTP Basic auth is accepted', async () => {
        const basic = Buffer.from(
            `${encodeURIComponent(admin.clientId)}:${encodeURIComponent(admin.clientSecret)}`,
        ).toString('base64');
        const response = await t.raw('POST', `/${tenantId}/oauth2/v2.0/token`, {
            headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
            body: 'grant_type=client_credentials&scope=https%3A%2F%2Fvault.azure.net%2F.default',
        });
        expect(response.status).toBe(200);
    });

    it('§2.3 invalid secret → 401 invalid_client with AADSTS7000215 body, correlation id echoed', async () => {
        const response = await t.raw(
            'POST',
            `/${tenantId}/oauth2/v2.0/token?client-request-id=11111111-2222-3333-4444-555555555555`,
            form({
                client_id: admin.clientId,
                client_secret: 'wrong',
                grant_type: 'client_credentials',
                scope: 'https://graph.microsoft.com/.default',
                'client-request-id': '11111111-2222-3333-4444-555555555555',
            }),
        );
        expect(response.status).toBe(401);
        expect(response.json.error).toBe('invalid_client');
        expect(response.json.error_codes).toEqual([7000215]);
        expect(response.json.error_description).toMatch(/^AADSTS7000215: Invalid client secret provided\./);
        expect(response.json.error_description).toMatch(
            /\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: 11111111-2222-3333-4444-555555555555\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/,
        );
        expect(response.json.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
        expect(response.json.correlation_id).toBe('11111111-2222-3333-4444-555555555555');
    });

    it('§2.4 expired secret → 401 AADSTS7000222', async () => {
        const app = await seedApp({ password: { endDateTime: '2000-01-01T00:00:00Z' } });
        const response = await t.raw(
            'POST',
            `/${tenantId}/oauth2/v2.0/token`,
            form({
                client_id: app.appId,
                client_secret: app.clientSecret,
                grant_type: 'client_credentials',
                scope: 'https://graph.microsoft.com/.default',
            }),
        );
        expect(response.status).toBe(401);
        expect(response.json.error_codes).toEqual([7000222]);
    });

    it('§2.4 unknown app → 400 unauthorized_client AADSTS700016', async () => {
        const response = await t.raw(
            'POST',
            `/${tenantId}/oauth2/v2.0/token`,
            form({
                client_id: '0b5e1c1e-0000-4000-8000-000000000000',
                client_secret: 'x',
                grant_type: 'client_credentials',
                scope: 'https://graph.microsoft.com/.default',
            }),
        );
        expect(response.status).toBe(400);
        expect(response.json).toMatchObject({ error: 'unauthorized_client', error_codes: [700016] });
    });

    it('§1.10/§2.4 disabled service principal → AADSTS7000112', async () => {
        const app = await seedApp();
        const token = await t.adminToken();
        const patch = await t.raw('PATCH', `/v1.0/servicePrincipals/${app.servicePrincipalId}`, {
            headers: { authorization: `Bearer ${token}` },
            json: { accountEnabled: false },
        });
        expect(patch.status).toBe(204);
        const response = await t.raw(
            'POST',
            `/${tenantId}/oauth2/v2.0/token`,
            form({
                client_id: app.appId,
                client_secret: app.clientSecret,
                grant_type: 'client_credentials',
                scope: 'https://graph.microsoft.com/.default',
            }),
        );
        expect(response.json).toMatchObject({ error: 'unauthorized_client', error_codes: [7000112] });
    });

    it('§2.4 unknown tenant → 400 invalid_request AADSTS90002', async () => {
        const response = await t.raw(
            'POST',
            '/00000000-1111-2222-3333-444444444444/oauth2/v2.0/token',
            form({
                client_id: admin.clientId,
                client_secret: admin.clientSecret,
                grant_type: 'client_credentials',
                scope: 'https://graph.microsoft.com/.default',
            }),
        );
        expect(response.status).toBe(400);
        expect(response.json).toMatchObject({ error: 'invalid_request', error_codes: [90002] });
    });

    it('§2.1 scope without /.default → 400 invalid_scope AADSTS1002012', async () => {
        const response = await t.raw(
            'POST',
            `/${tenantId}/oauth2/v2.0/token`,
            form({
                client_id: admin.clientId,
                client_secret: admin.clientSecret,
                grant_type: 'client_credentials',
                scope: 'https://graph.microsoft.com/Application.Read.All',
            }),
        );
        expect(response.status).toBe(400);
        expect(response.json).toMatchObject({ error: 'invalid_scope', error_codes: [1002012] });
    });

    it('§2.1 unknown params (x-client-*, claims) are ignored; a JSON body carries no parameters', async () => {
        const ok = await t.raw(
            'POST',
            `/${tenantId}/oauth2/v2.0/token`,
            form({
                client_id: admin.clientId,
                client_secret: admin.clientSecret,
                grant_type: 'client_credentials',
                scope: 'https://vault.azure.net/.default',
                'x-client-SKU': 'msal.js.node',
                claims: '{"access_token":{"xms_cc":{"values":["cp1"]}}}',
            }),
        );
        expect(ok.status).toBe(200);
        const json = await t.raw('POST', `/${tenantId}/oauth2/v2.0/token`, {
            json: { grant_type: 'client_credentials' },
        });
        expect(json.status).toBe(400);
        expect(json.json.error_codes).toEqual([900144]);
    });

    it('tokens for a tenant app exposing appRoles + identifierUris carry its assigned roles', async () => {
        const api = await seedApp({
            identifierUris: ['api://rotator-operator'],
            appRoles: [{ value: 'Rotation.Operate' }],
        });
        const client = await seedApp({ roles: [{ resource: 'api://rotator-operator', role: 'Rotation.Operate' }] });
        const token = await t.token(client.appId, client.clientSecret, 'api://rotator-operator/.default');
        const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
        expect(claims.aud).toBe('api://rotator-operator');
        expect(claims.roles).toEqual(['Rotation.Operate']);
        expect(claims.oid).toBe(client.servicePrincipalId);
        expect(api.appId).not.toBe(client.appId);
    });
});

describe('Entra with the real SDKs (api-fidelity §3)', () => {
    // One child process for all SDK calls: SDK start-up dominates, and the calls are independent.
    let results: Json[];
    beforeAll(async () => {
        const base = { authorityHost: t.emulator.authorityHost };
        results = await t.sdk([
            {
                ...base,
                kind: 'msal',
                principal: { tenantId, ...admin },
                scope: 'https://graph.microsoft.com/.default',
                repeat: 2,
            },
            {
                ...base,
                kind: 'msal',
                principal: { tenantId, clientId: admin.clientId, clientSecret: 'not-the-secret' },
                scope: 'https://graph.microsoft.com/.default',
            },
            { ...base, kind: 'identity', principal: { tenantId, ...admin }, scope: 'https://vault.azure.net/.default' },
            {
                ...base,
                kind: 'identity',
                principal: { tenantId, clientId: admin.clientId, clientSecret: 'nope' },
                scope: 'https://vault.azure.net/.default',
            },
        ]);
    });

    it('§3.1 msal-node ConfidentialClientApplication with knownAuthorities gets a token, then serves it from cache', () => {
        const [first, second] = results[0];
        expect(first).toMatchObject({ ok: true, fromCache: false, tokenType: 'Bearer' });
        expect(first.claims.roles).toContain('Application.ReadWrite.All');
        expect(second).toMatchObject({ ok: true, fromCache: true });
    });

    it('§2.3 msal-node surfaces a wrong secret as ServerError invalid_client / 7000215 / 401', () => {
        expect(results[1][0]).toMatchObject({ ok: false, errorCode: 'invalid_client', errorNo: 7000215, status: 401 });
    });

    it('§3.1 @azure/identity ClientSecretCredential with authorityHost + disableInstanceDiscovery', () => {
        expect(results[2]).toMatchObject({ ok: true });
        expect(results[3].ok).toBe(false);
        // §2.3: match the AADSTS number inside the message, not the error class.
        expect(results[3].message).toMatch(/7000215/);
    });
});
