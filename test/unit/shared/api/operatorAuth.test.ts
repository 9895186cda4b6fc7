import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';

import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createOperatorAuth, type OperatorAuthOptions } from '../../../../shared/api/operatorAuth';
import { cloudEndpoints } from '../../../../shared/config/clouds';

/**
 * Token version matrix of the operator API (access-token claims reference): a v1.0 token carries
 * `iss = https://sts.windows.net/{tid}/` and `aud` = the resource as requested (identifier URI or client id); a
 * v2.0 token carries `iss = https://login.microsoftonline.com/{tid}/v2.0` and `aud` = always the client id.
 * Keys are served over HTTP like Entra's JWKS endpoint; tokens are signed like Entra signs them.
 */
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT_ID = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const URI = `api://${CLIENT_ID}`;
const PUBLIC = cloudEndpoints('AzureCloud');

let server: Server;
let authority: string;
let sign: (claims: JWTPayload) => Promise<string>;

beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', use: 'sig', alg: 'RS256' };
    server = createServer((req, res) => {
        if (req.url === `/${TENANT}/discovery/v2.0/keys`) {
            res.setHeader('content-type', 'application/json');
            res.end(JSON.stringify({ keys: [jwk] }));
        } else {
            res.statusCode = 404;
            res.end();
        }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    authority = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    sign = (claims) =>
        new SignJWT({ tid: TENANT, roles: ['Rotation.Read'], ...claims })
            .setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'JWT' })
            .setIssuedAt()
            .setExpirationTime('1h')
            .sign(privateKey);
});

afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
});

function auth(overrides: Partial<OperatorAuthOptions> = {}) {
    return createOperatorAuth({
        tenantId: TENANT,
        authorityHost: authority,
        issuerHosts: { v1: PUBLIC.issuerV1Host, v2: PUBLIC.issuerV2Host },
        identifierUri: URI,
        clientId: CLIENT_ID,
        ...overrides,
    });
}

const v1 = (extra: JWTPayload = {}) =>
    sign({ ver: '1.0', iss: `https://sts.windows.net/${TENANT}/`, aud: URI, appid: 'caller', ...extra });
const v2 = (extra: JWTPayload = {}) =>
    sign({
        ver: '2.0',
        iss: `https://login.microsoftonline.com/${TENANT}/v2.0`,
        aud: CLIENT_ID,
        azp: 'caller',
        ...extra,
    });

async function check(token: string, options: Partial<OperatorAuthOptions> = {}) {
    return auth(options)(`Bearer ${token}`, 'Rotation.Read');
}

describe('operator API tokens: both versions an Entra API app can issue', () => {
    it('accepts a v2.0 token (aud = client id, v2.0 issuer), as the deployed registration issues', async () => {
        expect(await check(await v2())).toMatchObject({ ok: true, caller: { appId: 'caller' } });
    });

    it('accepts a v1.0 token for the identifier URI or the client id, with the v1.0 issuer', async () => {
        expect(await check(await v1())).toMatchObject({ ok: true, caller: { appId: 'caller' } });
        expect((await check(await v1({ aud: CLIENT_ID }))).ok).toBe(true);
    });

    it('refuses mixed forms: v2.0 with the identifier URI or a v1.0 issuer, v1.0 with a v2.0 issuer', async () => {
        for (const token of [
            await v2({ aud: URI }),
            await v2({ iss: `https://sts.windows.net/${TENANT}/` }),
            await v1({ iss: `https://login.microsoftonline.com/${TENANT}/v2.0` }),
            await v1({ aud: 'https://graph.microsoft.com' }),
        ]) {
            expect(await check(token)).toMatchObject({ ok: false, status: 401 });
        }
    });

    it('refuses v2.0 tokens with a clear reason when the client id is not configured', async () => {
        const result = await check(await v2(), { clientId: undefined });
        expect(result).toMatchObject({ ok: false, status: 401 });
        expect(!result.ok && result.message).toContain('OPERATOR_API_CLIENT_ID');
        expect((await check(await v1(), { clientId: undefined })).ok).toBe(true);
    });

    it('takes the issuer hosts of the configured cloud, not the public cloud', async () => {
        const china = cloudEndpoints('AzureChinaCloud');
        const hosts = { issuerHosts: { v1: china.issuerV1Host, v2: china.issuerV2Host } };
        expect((await check(await v1({ iss: `https://sts.chinacloudapi.cn/${TENANT}/` }), hosts)).ok).toBe(true);
        expect((await check(await v2({ iss: `${china.issuerV2Host}/${TENANT}/v2.0` }), hosts)).ok).toBe(true);
        expect((await check(await v1(), hosts)).ok).toBe(false);
        expect((await check(await v2(), hosts)).ok).toBe(false);
    });

    it("accepts the authority host's own issuer forms (a local emulator)", async () => {
        expect((await check(await v1({ iss: `${authority}/${TENANT}/` }))).ok).toBe(true);
        expect((await check(await v2({ iss: `${authority}/${TENANT}/v2.0` }))).ok).toBe(true);
    });

    it('still checks tenant and role after the token verifies', async () => {
        expect(await check(await v2({ tid: '00000000-0000-0000-0000-000000000000' }))).toMatchObject({ ok: false });
        const noRole = await auth()(`Bearer ${await v2({ roles: [] })}`, 'Rotation.Read');
        expect(noRole).toMatchObject({ ok: false, status: 403 });
    });
});
