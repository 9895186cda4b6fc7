import { createPrivateKey, randomUUID } from 'node:crypto';

import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type ClientCertificate, makeClientCertificate } from './support/clientCert';
import { type TestEmulator, startTestEmulator } from './support/harness';

let t: TestEmulator;
let app: { id: string; appId: string; servicePrincipalId: string };
let cert: ClientCertificate;
let stranger: ClientCertificate;

beforeAll(async () => {
    t = await startTestEmulator();
    [cert, stranger] = await Promise.all([
        makeClientCertificate('rotator-cert'),
        makeClientCertificate('unknown-cert'),
    ]);
    const seeded = await t.control('/entra/seed', { applications: [{ displayName: 'cert-app', password: false }] });
    app = seeded.applications[0];
    const admin = await t.adminToken();
    const patch = await t.raw('PATCH', `/v1.0/applications/${app.id}`, {
        headers: { authorization: `Bearer ${admin}` },
        json: {
            keyCredentials: [
                { type: 'AsymmetricX509Cert', usage: 'Verify', key: cert.derBase64, displayName: 'CN=rotator-cert' },
            ],
        },
    });
    expect(patch.status).toBe(204);
});
afterAll(async () => {
    await t?.close();
});

function assertion(
    certificate: ClientCertificate,
    claims: Record<string, unknown>,
    header: Record<string, unknown>,
): string {
    const now = Math.floor(Date.now() / 1000);
    return jwt.sign(
        {
            aud: `${t.emulator.baseUrl}/${t.emulator.tenantId}/oauth2/v2.0/token`,
            iss: app.appId,
            sub: app.appId,
            jti: randomUUID(),
            nbf: now,
            iat: now,
            exp: now + 600,
            ...claims,
        },
        createPrivateKey(certificate.privateKeyPem),
        { algorithm: 'RS256', header: { alg: 'RS256', typ: 'JWT', ...header } },
    );
}

async function tokenWith(clientAssertion: string) {
    const form = new URLSearchParams({
        client_id: app.appId,
        grant_type: 'client_credentials',
        scope: 'https://graph.microsoft.com/.default',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: clientAssertion,
    });
    return t.raw('POST', `/${t.emulator.tenantId}/oauth2/v2.0/token`, {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
    });
}

const x5t = (hex: string) => Buffer.from(hex, 'hex').toString('base64url');

describe('Client assertions (api-fidelity §2.1, §2.4)', () => {
    it('§2.1 msal-node signs with x5t#S256 (PS256) and with legacy x5t (RS256); both are accepted, an unknown cert gets 700027', async () => {
        const base = {
            kind: 'msal',
            authorityHost: t.emulator.authorityHost,
            scope: 'https://graph.microsoft.com/.default',
            skipCache: true,
        };
        const principal = { tenantId: t.emulator.tenantId, clientId: app.appId, privateKeyPem: cert.privateKeyPem };
        const results = await t.sdk([
            { ...base, principal: { ...principal, thumbprintSha256: cert.sha256Hex } },
            { ...base, principal: { ...principal, thumbprintSha1: cert.sha1Hex } },
            {
                ...base,
                principal: {
                    ...principal,
                    privateKeyPem: stranger.privateKeyPem,
                    thumbprintSha256: stranger.sha256Hex,
                },
            },
        ]);
        expect(results[0][0]).toMatchObject({ ok: true });
        expect(results[0][0].claims).toMatchObject({ appid: app.appId, appidacr: '2', oid: app.servicePrincipalId });
        expect(results[1][0]).toMatchObject({ ok: true });
        expect(results[2][0]).toMatchObject({ ok: false, errorCode: 'invalid_client', errorNo: 700027, status: 401 });
        expect(results[2][0].message).toContain('The key was not found.');
    });

    it('§2.4 a valid assertion signed by the wrong key → 700027 signature mismatch', async () => {
        const forged = assertion(stranger, {}, { x5t: x5t(cert.sha1Hex) });
        const response = await tokenWith(forged);
        expect(response.status).toBe(401);
        expect(response.json.error_codes).toEqual([700027]);
        expect(response.json.error_description).toContain('did not match the expected signature value');
    });

    it('§2.1 audience must be the emulator token endpoint; iss/sub must be the client id', async () => {
        const wrongAud = await tokenWith(
            assertion(
                cert,
                { aud: 'https://login.microsoftonline.com/x/oauth2/v2.0/token' },
                { x5t: x5t(cert.sha1Hex) },
            ),
        );
        expect(wrongAud.status).toBe(401);
        expect(wrongAud.json.error).toBe('invalid_client');
        const wrongIss = await tokenWith(assertion(cert, { iss: randomUUID() }, { x5t: x5t(cert.sha1Hex) }));
        expect(wrongIss.json.error_codes).toEqual([700021]);
    });

    it('§2.4 an expired assertion → 700024 (time window on the emulator clock)', async () => {
        const now = Math.floor(Date.now() / 1000);
        const stale = await tokenWith(
            assertion(cert, { nbf: now - 7200, iat: now - 7200, exp: now - 3600 }, { 'x5t#S256': x5t(cert.sha256Hex) }),
        );
        expect(stale.json.error_codes).toEqual([700024]);
        expect((await tokenWith(assertion(cert, {}, { 'x5t#S256': x5t(cert.sha256Hex) }))).status).toBe(200);
    });

    it('§1.8 certificate sign-ins are logged with clientAssertion and the thumbprint', async () => {
        const admin = await t.adminToken();
        const filter = encodeURIComponent(
            `signInEventTypes/any(t: t eq 'servicePrincipal') and appId eq '${app.appId}' and status/errorCode eq 0`,
        );
        const log = await t.raw('GET', `/beta/auditLogs/signIns?$filter=${filter}`, {
            headers: { authorization: `Bearer ${admin}` },
        });
        expect(log.json.value.length).toBeGreaterThanOrEqual(1);
        expect(log.json.value[0]).toMatchObject({
            clientCredentialType: 'clientAssertion',
            servicePrincipalCredentialThumbprint: cert.sha1Hex,
        });
    });
});

describe('Certificate rollover with addKey/removeKey (api-fidelity §1.1)', () => {
    function proof(certificate: ClientCertificate, issuer: string): string {
        const now = Math.floor(Date.now() / 1000);
        return jwt.sign(
            { aud: '00000002-0000-0000-c000-000000000000', iss: issuer, nbf: now, exp: now + 300 },
            createPrivateKey(certificate.privateKeyPem),
            {
                algorithm: 'RS256',
                header: { alg: 'RS256', typ: 'JWT', x5t: x5t(certificate.sha1Hex) },
            },
        );
    }

    it('addKey needs a proof signed by a current certificate; the new key then authenticates; removeKey drops the old one', async () => {
        const admin = await t.adminToken();
        const next = await makeClientCertificate('rotator-cert-next');
        const forged = await t.raw('POST', `/v1.0/applications/${app.id}/addKey`, {
            headers: { authorization: `Bearer ${admin}` },
            json: {
                keyCredential: { type: 'AsymmetricX509Cert', usage: 'Verify', key: next.derBase64 },
                passwordCredential: null,
                proof: proof(stranger, app.id),
            },
        });
        expect(forged.status).toBe(400);
        const added = await t.raw('POST', `/v1.0/applications/${app.id}/addKey`, {
            headers: { authorization: `Bearer ${admin}` },
            json: {
                keyCredential: { type: 'AsymmetricX509Cert', usage: 'Verify', key: next.derBase64 },
                passwordCredential: null,
                proof: proof(cert, app.id),
            },
        });
        expect(added.status).toBe(200);
        expect(added.json).toMatchObject({
            type: 'AsymmetricX509Cert',
            usage: 'Verify',
            key: null,
            keyId: expect.any(String),
        });
        const withNext = await tokenWith(assertion(next, {}, { 'x5t#S256': x5t(next.sha256Hex) }));
        expect(withNext.status).toBe(200);

        const current = await t.raw('GET', `/v1.0/applications/${app.id}?$select=keyCredentials`, {
            headers: { authorization: `Bearer ${admin}` },
        });
        const oldKey = current.json.keyCredentials.find((key: { keyId: string }) => key.keyId !== added.json.keyId);
        expect(current.json.keyCredentials[0].key).toEqual(expect.any(String));
        const removed = await t.raw('POST', `/v1.0/applications/${app.id}/removeKey`, {
            headers: { authorization: `Bearer ${admin}` },
            json: { keyId: oldKey.keyId, proof: proof(next, app.id) },
        });
        expect(removed.status).toBe(204);
        const withOld = await tokenWith(assertion(cert, {}, { 'x5t#S256': x5t(cert.sha256Hex) }));
        expect(withOld.json.error_codes).toEqual([700027]);
    });
});
