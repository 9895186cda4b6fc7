import { ManagedIdentityCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Json, type TestEmulator, startTestEmulator } from './support/harness';

let t: TestEmulator;
const saved = { endpoint: process.env['IDENTITY_ENDPOINT'], header: process.env['IDENTITY_HEADER'] };

beforeAll(async () => {
    t = await startTestEmulator();
    // Exactly what App Service / Functions put in the app's environment.
    process.env['IDENTITY_ENDPOINT'] = t.emulator.managedIdentity.endpoint;
    process.env['IDENTITY_HEADER'] = t.emulator.managedIdentity.header;
});
afterAll(async () => {
    for (const [name, value] of [
        ['IDENTITY_ENDPOINT', saved.endpoint],
        ['IDENTITY_HEADER', saved.header],
    ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
    }
    await t?.close();
});

const claimsOf = (token: string): Json =>
    JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));

async function miGet(query: Record<string, string>, header: string | null = t.emulator.managedIdentity.header) {
    const url = new URL(t.emulator.managedIdentity.endpoint);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    const response = await fetch(url, { headers: header === null ? {} : { 'X-IDENTITY-HEADER': header } });
    return { status: response.status, json: (await response.json()) as Json };
}

describe('App Service managed identity endpoint (IDENTITY_ENDPOINT + IDENTITY_HEADER)', () => {
    it('is plain http on loopback at /msi/token, like the platform endpoint', () => {
        expect(t.emulator.managedIdentity.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/msi\/token$/);
        expect(t.emulator.managedIdentity.header.length).toBeGreaterThanOrEqual(32);
    });

    it('the real ManagedIdentityCredential (user-assigned, by client id) gets RS256 app tokens for every audience the rotator uses', async () => {
        const admin = t.emulator.principals.admin;
        const credential = new ManagedIdentityCredential({ clientId: admin.clientId });
        const audiences = [
            'https://graph.microsoft.com',
            'https://vault.azure.net',
            'https://eventgrid.azure.net',
            'https://management.azure.com',
        ];
        for (const audience of audiences) {
            const token = await credential.getToken(`${audience}/.default`);
            expect(token.token.split('.')).toHaveLength(3);
            expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now() + 30 * 60_000);
            const header = JSON.parse(Buffer.from(token.token.split('.')[0] ?? '', 'base64url').toString('utf8'));
            expect(header.alg).toBe('RS256');
            const claims = claimsOf(token.token);
            // The same principal and app roles as the client-secret token of that identity.
            const viaSecret = claimsOf(await t.token(admin.clientId, admin.clientSecret, `${audience}/.default`));
            expect(claims).toMatchObject({ appid: admin.clientId, oid: viaSecret.oid, aud: viaSecret.aud });
            expect([...(claims.roles ?? [])].sort()).toEqual([...(viaSecret.roles ?? [])].sort());
            expect(claims.appidacr).toBe('2');
        }
        // Graph accepts it, and the emulator records which grant issued the tokens it accepted.
        const graphToken = await credential.getToken('https://graph.microsoft.com/.default');
        const apps = await t.raw('GET', '/v1.0/applications?$top=1', {
            headers: { authorization: `Bearer ${graphToken.token}` },
        });
        expect(apps.status).toBe(200);
        const state = (await t.raw('GET', '/_emulator/state')).json;
        expect(
            state.services.entra.tokenUse[admin.clientId]['https://graph.microsoft.com'].managed_identity,
        ).toBeGreaterThanOrEqual(1);
    });

    it('request shape: api-version 2019-08-01, resource, client_id → access_token, expires_on (epoch seconds string), resource, token_type, client_id', async () => {
        const admin = t.emulator.principals.admin;
        const ok = await miGet({
            'api-version': '2019-08-01',
            resource: 'https://vault.azure.net',
            client_id: admin.clientId,
        });
        expect(ok.status).toBe(200);
        expect(Object.keys(ok.json).sort()).toEqual([
            'access_token',
            'client_id',
            'expires_on',
            'resource',
            'token_type',
        ]);
        expect(ok.json).toMatchObject({
            resource: 'https://vault.azure.net',
            token_type: 'Bearer',
            client_id: admin.clientId,
        });
        expect(ok.json.expires_on).toMatch(/^\d{10}$/);
    });

    it('a missing header is 400, a wrong one 401, an unknown identity 400 with an error body; nothing is issued', async () => {
        const query = {
            'api-version': '2019-08-01',
            resource: 'https://graph.microsoft.com',
            client_id: t.emulator.principals.admin.clientId,
        };
        const missing = await miGet(query, null);
        expect(missing.status).toBe(400);
        const wrong = await miGet(query, 'not-the-header');
        expect(wrong.status).toBe(401);
        const unknown = await miGet({ ...query, client_id: '00000000-0000-0000-0000-0000000000aa' });
        expect(unknown.status).toBe(400);
        expect(unknown.json.message).toMatch(
            /No User Assigned or Delegated Managed Identity found for specified ClientId\/ResourceId\/PrincipalId/,
        );
        const oldVersion = await miGet({ ...query, 'api-version': '2017-09-01' });
        expect(oldVersion.status).toBe(400);
        for (const response of [missing, wrong, unknown, oldVersion])
            expect(response.json.access_token).toBeUndefined();
    });

    it('the real credential surfaces an unknown identity as an error, not a token', async () => {
        const credential = new ManagedIdentityCredential({ clientId: '00000000-0000-0000-0000-0000000000bb' });
        await expect(credential.getToken('https://graph.microsoft.com/.default')).rejects.toThrow();
    });
});
