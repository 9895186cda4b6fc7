import { createHash, randomBytes } from 'node:crypto';

import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type TestEmulator, startTestEmulator } from './support/harness';

/**
 * Interactive sign-in for single-page apps (authorization code + PKCE), as msal-browser drives it against Entra:
 * the authorize page, the one-time code, its redemption as a cross-origin request with CORS for SPA redirect URIs,
 * and refresh tokens.
 */
let t: TestEmulator;
let tenantId: string;
let api: { appId: string };
let user: { id: string; userPrincipalName: string };
const REDIRECT = 'http://localhost:7071/api/dashboard';
const ORIGIN = 'http://localhost:7071';
const SCOPE = 'api://rotator-test/user_impersonation';

beforeAll(async () => {
    t = await startTestEmulator();
    tenantId = t.emulator.tenantId;
    const seeded = await t.control('/entra/seed', {
        applications: [
            {
                displayName: 'operator-api',
                identifierUris: ['api://rotator-test'],
                appRoles: [{ value: 'Rotation.Read', allowedMemberTypes: ['User', 'Application'] }],
                scopes: ['user_impersonation'],
                spaRedirectUris: [REDIRECT],
                password: false,
            },
        ],
        users: [
            {
                displayName: 'Ana Operator',
                userPrincipalName: 'ana@contoso.example',
                roles: [{ resource: 'api://rotator-test', role: 'Rotation.Read' }],
            },
        ],
    });
    api = seeded.applications[0];
    user = seeded.users[0];
});
afterAll(async () => {
    await t?.close();
});

function pkce(): { verifier: string; challenge: string } {
    const verifier = randomBytes(32).toString('base64url');
    return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** What msal-browser sends to /authorize (its default response_mode is fragment). */
function authorizeParams(challenge: string, extra: Record<string, string> = {}): URLSearchParams {
    return new URLSearchParams({
        client_id: api.appId,
        scope: `${SCOPE} openid profile offline_access`,
        redirect_uri: REDIRECT,
        'client-request-id': randomBytes(8).toString('hex'),
        response_mode: 'fragment',
        response_type: 'code',
        client_info: '1',
        nonce: 'nonce-123',
        state: 'state-abc',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        ...extra,
    });
}

/** The page's form post for the chosen user; resolves with the redirect's fragment parameters. */
async function signIn(challenge: string): Promise<URLSearchParams> {
    const params = authorizeParams(challenge);
    params.set('login_user', user.id);
    const res = await t.raw('POST', `/${tenantId}/oauth2/v2.0/authorize`, {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: params.toString(),
    });
    expect(res.status).toBe(302);
    const location = String(res.headers.location);
    expect(location.startsWith(`${REDIRECT}#`)).toBe(true);
    return new URLSearchParams(location.slice(location.indexOf('#') + 1));
}

function redeem(fields: Record<string, string>, origin: string | null = ORIGIN) {
    return t.raw('POST', `/${tenantId}/oauth2/v2.0/token`, {
        headers: {
            'content-type': 'application/x-www-form-urlencoded;charset=utf-8',
            ...(origin ? { origin } : {}),
        },
        body: new URLSearchParams(fields).toString(),
    });
}

describe('SPA sign-in: authorization code + PKCE (msal-browser against Entra)', () => {
    it('discovery and keys answer cross-origin reads (MSAL fetches them from the page)', async () => {
        const res = await t.raw('GET', `/${tenantId}/v2.0/.well-known/openid-configuration`);
        expect(res.headers['access-control-allow-origin']).toBe('*');
        expect(res.json.authorization_endpoint).toBe(`${t.emulator.baseUrl}/${tenantId}/oauth2/v2.0/authorize`);
    });

    it('the authorize page lists the users and carries the request through its form', async () => {
        const res = await t.raw('GET', `/${tenantId}/oauth2/v2.0/authorize?${authorizeParams(pkce().challenge).toString()}`);
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toMatch(/^text\/html/);
        expect(res.text).toContain('ana@contoso.example');
        expect(res.text).toContain('name="code_challenge"');
        expect(String(res.headers['content-security-policy'])).toContain(`form-action 'self' ${ORIGIN}`);
    });

    it('a code redeemed cross-origin with its verifier gives user tokens; CORS is allowed for the SPA origin', async () => {
        const { verifier, challenge } = pkce();
        const back = await signIn(challenge);
        expect(back.get('state')).toBe('state-abc');
        expect(JSON.parse(Buffer.from(back.get('client_info') ?? '', 'base64url').toString())).toEqual({
            uid: user.id,
            utid: tenantId,
        });
        const res = await redeem({
            client_id: api.appId,
            redirect_uri: REDIRECT,
            scope: `${SCOPE} openid profile offline_access`,
            code: back.get('code') ?? '',
            grant_type: 'authorization_code',
            code_verifier: verifier,
            client_info: '1',
        });
        expect(res.status).toBe(200);
        expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
        expect(res.json).toMatchObject({ token_type: 'Bearer', scope: SCOPE, expires_in: 3599 });
        expect(res.json.refresh_token_expires_in).toBe(86400);
        const access = decodeJwt(res.json.access_token as string);
        expect(access).toMatchObject({
            aud: 'api://rotator-test',
            iss: `${t.emulator.baseUrl}/${tenantId}/`,
            oid: user.id,
            scp: 'user_impersonation',
            roles: ['Rotation.Read'],
            appid: api.appId,
            upn: 'ana@contoso.example',
            ver: '1.0',
        });
        const id = decodeJwt(res.json.id_token as string);
        expect(id).toMatchObject({ aud: api.appId, nonce: 'nonce-123', preferred_username: 'ana@contoso.example' });
        expect(id.iss).toBe(`${t.emulator.baseUrl}/${tenantId}/v2.0`);

        // One use only.
        const again = await redeem({
            client_id: api.appId,
            redirect_uri: REDIRECT,
            code: back.get('code') ?? '',
            grant_type: 'authorization_code',
            code_verifier: verifier,
        });
        expect(again.status).toBe(400);
        expect(again.json.error_codes).toEqual([54005]);

        // The refresh token works (cross-origin only) and keeps its original 24-hour end.
        const refreshed = await redeem({
            client_id: api.appId,
            grant_type: 'refresh_token',
            refresh_token: res.json.refresh_token as string,
            scope: `${SCOPE} openid profile offline_access`,
        });
        expect(refreshed.status).toBe(200);
        expect(decodeJwt(refreshed.json.access_token as string).oid).toBe(user.id);
        expect(refreshed.json.refresh_token_expires_in).toBeLessThanOrEqual(86400);
        const noOrigin = await redeem(
            { client_id: api.appId, grant_type: 'refresh_token', refresh_token: res.json.refresh_token as string },
            null,
        );
        expect(noOrigin.json.error_codes).toEqual([9002327]);
        const forged = await redeem({
            client_id: api.appId,
            grant_type: 'refresh_token',
            refresh_token: `${(res.json.refresh_token as string).split('.')[0]}.AAAA`,
        });
        expect(forged.json.error).toBe('invalid_grant');
    });

    it('a wrong code_verifier, or a redemption that is not cross-origin, is refused as Entra refuses it', async () => {
        const first = pkce();
        const back = await signIn(first.challenge);
        const wrong = await redeem({
            client_id: api.appId,
            redirect_uri: REDIRECT,
            code: back.get('code') ?? '',
            grant_type: 'authorization_code',
            code_verifier: pkce().verifier,
        });
        expect(wrong.status).toBe(400);
        expect(wrong.json.error_codes).toEqual([501481]);

        const second = pkce();
        const other = await signIn(second.challenge);
        const serverSide = await redeem(
            {
                client_id: api.appId,
                redirect_uri: REDIRECT,
                code: other.get('code') ?? '',
                grant_type: 'authorization_code',
                code_verifier: second.verifier,
            },
            null,
        );
        expect(serverSide.json.error_codes).toEqual([9002327]);
        expect(serverSide.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('an unregistered redirect URI gets an error page, never a redirect; prompt=none answers login_required', async () => {
        const bad = authorizeParams(pkce().challenge, { redirect_uri: 'https://evil.example/cb' });
        const res = await t.raw('GET', `/${tenantId}/oauth2/v2.0/authorize?${bad.toString()}`);
        expect(res.status).toBe(400);
        expect(res.headers.location).toBeUndefined();
        expect(res.text).toContain('AADSTS50011');

        const silent = authorizeParams(pkce().challenge, { prompt: 'none' });
        const none = await t.raw('GET', `/${tenantId}/oauth2/v2.0/authorize?${silent.toString()}`);
        expect(none.status).toBe(302);
        expect(String(none.headers.location)).toMatch(/#error=login_required&.*state=state-abc/);

        const unknownScope = authorizeParams(pkce().challenge, { scope: 'api://rotator-test/everything openid' });
        const scoped = await t.raw('GET', `/${tenantId}/oauth2/v2.0/authorize?${unknownScope.toString()}`);
        expect(String(scoped.headers.location)).toContain('error=invalid_scope');

        const noPkce = authorizeParams('', {});
        noPkce.delete('code_challenge');
        const plain = await t.raw('GET', `/${tenantId}/oauth2/v2.0/authorize?${noPkce.toString()}`);
        expect(String(plain.headers.location)).toContain('AADSTS9002325');
    });

    it('answers the CORS preflight MSAL causes with its X-AnchorMailbox header', async () => {
        const res = await t.raw('OPTIONS', `/${tenantId}/oauth2/v2.0/token`, {
            headers: {
                origin: ORIGIN,
                'access-control-request-method': 'POST',
                'access-control-request-headers': 'content-type,x-anchormailbox',
            },
        });
        expect(res.status).toBe(200);
        expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
        expect(res.headers['access-control-allow-headers']).toBe('content-type,x-anchormailbox');
    });
});
