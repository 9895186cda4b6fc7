import { beforeEach, describe, expect, it } from 'vitest';

import { type EmuResponse, type ServiceModule } from '../core/contract';
import { createKeyVaultModule } from './index';
import { ADMIN, emuRequest, fakeContext, ORIGIN, TENANT_ID, type FakeContext, type RequestOptions } from './testing';

const API = 'api%2Dversion=2026-04-01';

interface Bundle {
    value?: string;
    id: string;
    contentType?: string;
    tags?: Record<string, string>;
    attributes: {
        enabled: boolean;
        nbf?: number;
        exp?: number;
        created: number;
        updated: number;
        recoveryLevel: string;
    };
}

describe('Key Vault secrets data plane (module level)', () => {
    let kv: ServiceModule;
    let ctx: FakeContext;
    let admin: string;
    const published: Record<string, unknown>[] = [];

    const call = (method: string, path: string, options: RequestOptions = {}): Promise<EmuResponse> =>
        kv.handle(emuRequest(method, path, { token: admin, ...options }), ctx);
    const body = <T = Record<string, unknown>>(response: EmuResponse): T => response.body as T;
    const errorOf = (response: EmuResponse) =>
        body<{ error: { code: string; message: string; innererror?: { code: string } } }>(response).error;

    beforeEach(() => {
        published.length = 0;
        kv = createKeyVaultModule({ publishSystemEvent: (event) => published.push(event as Record<string, unknown>) });
        ctx = fakeContext();
        kv.reset(ctx);
        admin = ctx.issueToken({ oid: ADMIN.servicePrincipalId, appid: ADMIN.clientId });
    });

    it('§4.3 unauthenticated request (no body, json content-type) → 401 challenge before body validation', async () => {
        const response = await kv.handle(
            emuRequest('PUT', `/secrets/app-secret?${API}`, { headers: { 'content-type': 'application/json' } }),
            ctx,
        );
        expect(response.status).toBe(401);
        expect(response.headers?.['www-authenticate']).toBe(
            `Bearer authorization="https://login.windows.net/${TENANT_ID}", resource="https://vault.azure.net"`,
        );
        expect(response.headers?.['content-type']).toBe('application/json; charset=utf-8');
        expect(response.body).toEqual({
            error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' },
        });
    });

    it('§4.3 token for another audience → 401 challenge naming the expected audience', async () => {
        const graphToken = ctx.issueToken({ oid: ADMIN.servicePrincipalId, aud: 'https://graph.microsoft.com' });
        const response = await call('GET', `/secrets/x/?${API}`, { token: graphToken });
        expect(response.status).toBe(401);
        expect(response.headers?.['www-authenticate']).toContain('resource="https://vault.azure.net"');
        expect(errorOf(response).message).toContain(
            'Expected https://vault.azure.net, found: https://graph.microsoft.com',
        );
    });

    it('§4.3 expired or unknown token → 401 challenge', async () => {
        const response = await call('GET', `/secrets/x/?${API}`, { token: 'forged' });
        expect(response.status).toBe(401);
        expect(response.headers?.['www-authenticate']).toMatch(/^Bearer authorization=/);
    });

    it('§4.3 a JWT already expired on the emulator clock → 401 with a CAE insufficient_claims challenge', async () => {
        const now = Math.floor(ctx.clock.now().getTime() / 1000);
        const jwt = (exp: number) => `h.${Buffer.from(JSON.stringify({ exp })).toString('base64url')}.s`;
        const expired = await call('GET', `/secrets/x/?${API}`, { token: jwt(now - 1) });
        expect(expired.status).toBe(401);
        const header = expired.headers?.['www-authenticate'] ?? '';
        expect(header).toContain(`authorization="https://login.windows.net/${TENANT_ID}"`);
        const claims = /error="insufficient_claims", claims="([^"]+)"/.exec(header)?.[1];
        expect(JSON.parse(Buffer.from(claims ?? '', 'base64').toString('utf8'))).toEqual({
            access_token: { nbf: { essential: true, value: String(now) } },
        });
        // Not expired but still unverifiable: the plain challenge, no claims.
        const forged = await call('GET', `/secrets/x/?${API}`, { token: jwt(now + 3600) });
        expect(forged.status).toBe(401);
        expect(forged.headers?.['www-authenticate']).not.toContain('insufficient_claims');
    });

    it('§4.1 set → SecretBundle with the value, an id on the emulator origin and Unix-second attributes', async () => {
        const exp = Math.floor(ctx.clock.now().getTime() / 1000) + 86_400;
        const response = await call('PUT', `/secrets/app-secret?${API}`, {
            body: { value: 'v1', tags: { keyId: 'abc' }, contentType: 'text/plain', attributes: { exp } },
        });
        expect(response.status).toBe(200);
        const bundle = body<Bundle>(response);
        expect(bundle.value).toBe('v1');
        expect(bundle.id).toMatch(new RegExp(`^${ORIGIN}/secrets/app-secret/[0-9a-f]{32}$`));
        expect(bundle.tags).toEqual({ keyId: 'abc' });
        expect(bundle.contentType).toBe('text/plain');
        const created = Math.floor(ctx.clock.now().getTime() / 1000);
        expect(bundle.attributes).toMatchObject({ enabled: true, exp, created, updated: created });
        expect(bundle.attributes.recoveryLevel).toBe('Recoverable+Purgeable');
    });

    it('§4.1 api-version is accepted percent-encoded and with any value; missing → 400', async () => {
        await call('PUT', `/secrets/s?${API}`, { body: { value: 'a' } });
        expect((await call('GET', '/secrets/s/?api-version=7.5')).status).toBe(200);
        expect((await call('GET', '/secrets/s/?api%2Dversion=2025-07-01')).status).toBe(200);
        const missing = await call('GET', '/secrets/s/');
        expect(missing.status).toBe(400);
        expect(errorOf(missing).code).toBe('BadParameter');
    });

    it('§4.1 get latest (trailing slash) and by version; an older version stays readable', async () => {
        const v1 = body<Bundle>(await call('PUT', `/secrets/s?${API}`, { body: { value: 'one' } }));
        const v2 = body<Bundle>(await call('PUT', `/secrets/s?${API}`, { body: { value: 'two' } }));
        expect(v1.id).not.toBe(v2.id);
        expect(body<Bundle>(await call('GET', `/secrets/s/?${API}`)).value).toBe('two');
        expect(body<Bundle>(await call('GET', `/secrets/s?${API}`)).value).toBe('two');
        const version1 = v1.id.split('/').pop();
        const old = await call('GET', `/secrets/s/${version1}?${API}`);
        expect(body<Bundle>(old)).toMatchObject({ value: 'one', id: v1.id });
        // Names are case-insensitive, as in Key Vault.
        expect(body<Bundle>(await call('GET', `/secrets/S/?${API}`)).value).toBe('two');
    });

    it('§4.2 missing secret or version → 404 SecretNotFound with the real message', async () => {
        const response = await call('GET', `/secrets/nope/?${API}`);
        expect(response.status).toBe(404);
        expect(errorOf(response)).toEqual({
            code: 'SecretNotFound',
            message: expect.stringMatching(/^A secret with \(name\/id\) nope was not found in this key vault\./),
        });
        await call('PUT', `/secrets/s?${API}`, { body: { value: 'a' } });
        const version = await call('GET', `/secrets/s/${'0'.repeat(32)}?${API}`);
        expect(version.status).toBe(404);
    });

    it('§4.1 list secrets and versions page at maxresults with nextLink on the emulator origin', async () => {
        for (const name of ['c', 'a', 'e', 'b', 'd'])
            await call('PUT', `/secrets/${name}?${API}`, { body: { value: name } });
        const names: string[] = [];
        let next: string | null = `/secrets?${API}&maxresults=2`;
        let pages = 0;
        while (next !== null) {
            const response: EmuResponse = await call('GET', next);
            const page = body<{ value: { id: string; value?: string }[]; nextLink: string | null }>(response);
            pages += 1;
            expect(page.value.length).toBeLessThanOrEqual(2);
            for (const item of page.value) {
                expect(item.value).toBeUndefined();
                names.push(item.id.replace(`${ORIGIN}/secrets/`, ''));
            }
            if (page.nextLink !== null) expect(page.nextLink.startsWith(`${ORIGIN}/secrets?`)).toBe(true);
            next = page.nextLink === null ? null : page.nextLink.slice(ORIGIN.length);
        }
        expect(pages).toBe(3);
        expect(names).toEqual(['a', 'b', 'c', 'd', 'e']);

        await call('PUT', `/secrets/a?${API}`, { body: { value: 'a2' } });
        const versions = body<{ value: { id: string }[] }>(await call('GET', `/secrets/a/versions?${API}`));
        expect(versions.value).toHaveLength(2);
        for (const item of versions.value) expect(item.id).toMatch(/\/secrets\/a\/[0-9a-f]{32}$/);

        const tooMany = await call('GET', `/secrets?${API}&maxresults=26`);
        expect(tooMany.status).toBe(400);
    });

    it('§4.1 update properties: tags, enabled, exp, nbf, contentType; no value in the response; value cannot change', async () => {
        const set = body<Bundle>(await call('PUT', `/secrets/s?${API}`, { body: { value: 'a' } }));
        const version = set.id.split('/').pop();
        await ctx.clock.advance(60);
        const patched = await call('PATCH', `/secrets/s/${version}?${API}`, {
            body: { contentType: 'x', tags: { t: '1' }, attributes: { enabled: true, nbf: 100, exp: 2_000_000_000 } },
        });
        expect(patched.status).toBe(200);
        const bundle = body<Bundle>(patched);
        expect(bundle.value).toBeUndefined();
        expect(bundle).toMatchObject({ id: set.id, contentType: 'x', tags: { t: '1' } });
        expect(bundle.attributes).toMatchObject({ nbf: 100, exp: 2_000_000_000, updated: set.attributes.created + 60 });
        const changeValue = await call('PATCH', `/secrets/s/${version}?${API}`, { body: { value: 'b' } });
        expect(changeValue.status).toBe(400);
        expect(body<Bundle>(await call('GET', `/secrets/s/?${API}`)).value).toBe('a');
    });

    it('§4.1 disabled secret → 403 SecretDisabled on get, still listed, readable again once enabled', async () => {
        const set = body<Bundle>(
            await call('PUT', `/secrets/s?${API}`, { body: { value: 'a', attributes: { enabled: false } } }),
        );
        const response = await call('GET', `/secrets/s/?${API}`);
        expect(response.status).toBe(403);
        expect(body(response)).toEqual({
            error: {
                code: 'Forbidden',
                message: 'Operation get is not allowed on a disabled secret.',
                innererror: { code: 'SecretDisabled' },
            },
        });
        const list = body<{ value: Bundle[] }>(await call('GET', `/secrets?${API}`));
        expect(list.value[0]?.attributes.enabled).toBe(false);
        await call('PATCH', `/secrets/s/${set.id.split('/').pop()}?${API}`, {
            body: { attributes: { enabled: true } },
        });
        expect((await call('GET', `/secrets/s/?${API}`)).status).toBe(200);
    });

    it('§4.1 nbf/exp are informational: an expired secret is still readable', async () => {
        const now = Math.floor(ctx.clock.now().getTime() / 1000);
        await call('PUT', `/secrets/s?${API}`, { body: { value: 'a', attributes: { exp: now - 10, nbf: now + 10 } } });
        expect((await call('GET', `/secrets/s/?${API}`)).status).toBe(200);
    });

    it('§4.1 soft delete → get 404, reuse 409, get deleted 200, recover, then purge 204', async () => {
        await call('PUT', `/secrets/s?${API}`, { body: { value: 'a' } });
        const deleted = await call('DELETE', `/secrets/s?${API}`);
        expect(deleted.status).toBe(200);
        const deletedBody = body<Bundle & { recoveryId: string; deletedDate: number; scheduledPurgeDate: number }>(
            deleted,
        );
        expect(deletedBody.recoveryId).toBe(`${ORIGIN}/deletedsecrets/s`);
        expect(deletedBody.scheduledPurgeDate - deletedBody.deletedDate).toBe(90 * 86_400);
        expect(deletedBody.value).toBeUndefined();
        expect((await call('GET', `/secrets/s/?${API}`)).status).toBe(404);

        const reuse = await call('PUT', `/secrets/s?${API}`, { body: { value: 'b' } });
        expect(reuse.status).toBe(409);
        expect(errorOf(reuse)).toMatchObject({
            code: 'Conflict',
            innererror: { code: 'ObjectIsDeletedButRecoverable' },
        });

        expect((await call('GET', `/deletedsecrets/s?${API}`)).status).toBe(200);
        const listed = body<{ value: { recoveryId: string }[] }>(await call('GET', `/deletedsecrets?${API}`));
        expect(listed.value.map((d) => d.recoveryId)).toEqual([`${ORIGIN}/deletedsecrets/s`]);

        const recovered = await call('POST', `/deletedsecrets/s/recover?${API}`);
        expect(recovered.status).toBe(200);
        expect(body<Bundle>(await call('GET', `/secrets/s/?${API}`)).value).toBe('a');

        await call('DELETE', `/secrets/s?${API}`);
        const purged = await call('DELETE', `/deletedsecrets/s?${API}`);
        expect(purged.status).toBe(204);
        expect(purged.body).toBeUndefined();
        expect((await call('GET', `/deletedsecrets/s?${API}`)).status).toBe(404);
        expect((await call('PUT', `/secrets/s?${API}`, { body: { value: 'c' } })).status).toBe(200);
    });

    it('deleted secrets are purged once the clock passes the scheduled purge date', async () => {
        await call('PUT', `/secrets/s?${API}`, { body: { value: 'a' } });
        await call('DELETE', `/secrets/s?${API}`);
        await ctx.clock.advance(89 * 86_400);
        admin = ctx.issueToken({ oid: ADMIN.servicePrincipalId }); // the old token expired on the emulator clock
        expect((await call('GET', `/deletedsecrets/s?${API}`)).status).toBe(200);
        await ctx.clock.advance(86_400);
        admin = ctx.issueToken({ oid: ADMIN.servicePrincipalId });
        expect((await call('GET', `/deletedsecrets/s?${API}`)).status).toBe(404);
    });

    it('§4.2 RBAC: no role → 403 ForbiddenByRbac naming the action; Secrets User reads but cannot write', async () => {
        const principal = 'b1b1b1b1-0000-4000-8000-000000000002';
        const token = ctx.issueToken({ oid: principal, appid: 'client-2' });
        await call('PUT', `/secrets/s?${API}`, { body: { value: 'a' } });

        const denied = await call('GET', `/secrets/s/?${API}`, { token });
        expect(denied.status).toBe(403);
        const error = errorOf(denied);
        expect(error.code).toBe('Forbidden');
        expect(error.innererror).toEqual({ code: 'ForbiddenByRbac' });
        expect(error.message).toContain("Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'");
        expect(error.message).toContain(
            `Caller: appid=client-2;oid=${principal};iss=https://sts.windows.net/${TENANT_ID}/`,
        );

        const assigned = await kv.control?.(
            '/roleAssignments',
            emuRequest('POST', '/_emulator/keyVault/roleAssignments', {
                body: { principalId: principal, role: 'Key Vault Secrets User' },
            }),
            ctx,
        );
        expect(assigned?.status).toBe(201);
        expect(body<Bundle>(await call('GET', `/secrets/s/?${API}`, { token })).value).toBe('a');
        expect((await call('GET', `/secrets?${API}`, { token })).status).toBe(200);
        const write = await call('PUT', `/secrets/s?${API}`, { token, body: { value: 'b' } });
        expect(write.status).toBe(403);
        expect(errorOf(write).message).toContain('secrets/setSecret/action');

        const listed = await kv.control?.(
            '/roleAssignments',
            emuRequest('GET', '/_emulator/keyVault/roleAssignments'),
            ctx,
        );
        expect(body<{ value: { principalId: string; role: string }[] }>(listed!).value).toEqual(
            expect.arrayContaining([
                expect.objectContaining({ principalId: ADMIN.servicePrincipalId, role: 'Key Vault Secrets Officer' }),
                expect.objectContaining({ principalId: principal, role: 'Key Vault Secrets User' }),
            ]),
        );
        const bad = await kv.control?.(
            '/roleAssignments',
            emuRequest('POST', '/_emulator/keyVault/roleAssignments', {
                body: { principalId: principal, role: 'Owner' },
            }),
            ctx,
        );
        expect(bad?.status).toBe(400);
    });

    it('RBAC is checked before existence, so a caller without a role cannot probe names', async () => {
        const token = ctx.issueToken({ oid: 'c1c1c1c1-0000-4000-8000-000000000003' });
        expect((await call('GET', `/secrets/does-not-exist/?${API}`, { token })).status).toBe(403);
    });

    it('bad input gets Key Vault error bodies: malformed JSON, bad name, oversized value, missing value', async () => {
        const cases: [string, RequestOptions][] = [
            ['/secrets/s', { body: '{not json', headers: { 'content-type': 'application/json' } }],
            ['/secrets/bad_name', { body: { value: 'a' } }],
            ['/secrets/s', { body: { value: 'x'.repeat(25 * 1024 + 1) } }],
            ['/secrets/s', { body: { contentType: 'text/plain' } }],
            [
                '/secrets/s',
                { body: { value: 'a', tags: Object.fromEntries([...Array(16).keys()].map((i) => [`t${i}`, 'v'])) } },
            ],
        ];
        for (const [path, options] of cases) {
            const response = await call('PUT', `${path}?${API}`, options);
            expect(response.status, path).toBe(400);
            expect(errorOf(response).code).toBe('BadParameter');
        }
        expect((await call('GET', `/secrets?${API}`)).body).toEqual({ value: [], nextLink: null });
    });

    it('unknown routes and methods answer with the Key Vault error shape', async () => {
        expect((await call('POST', `/secrets/s?${API}`)).status).toBe(405);
        const unknown = await call('GET', `/secrets/s/v/extra?${API}`);
        expect(unknown.status).toBe(404);
        expect(errorOf(unknown).code).toBeTypeOf('string');
    });

    it('stateView exposes metadata and a fingerprint, never the value; snapshot/restore round-trips', async () => {
        const value = 'super-secret-value-123';
        await call('PUT', `/secrets/s?${API}`, { body: { value, tags: { k: 'v' } } });
        const view = JSON.stringify(kv.stateView());
        expect(view).not.toContain(value);
        expect(view).toContain('"valueFingerprint"');
        expect(view).toContain('"name":"s"');

        const snapshot = JSON.parse(JSON.stringify(kv.snapshot()));
        const copy = createKeyVaultModule({ publishSystemEvent: () => undefined });
        copy.restore(snapshot, ctx);
        const response = await copy.handle(emuRequest('GET', `/secrets/s/?${API}`, { token: admin }), ctx);
        expect(body<Bundle>(response).value).toBe(value);

        kv.reset(ctx);
        expect((await call('GET', `/secrets/s/?${API}`)).status).toBe(404);
        expect((await call('PUT', `/secrets/s?${API}`, { body: { value } })).status).toBe(200);
    });

    it('mutations ask the core to persist', async () => {
        const before = ctx.dirtyCount;
        await call('PUT', `/secrets/s?${API}`, { body: { value: 'a' } });
        expect(ctx.dirtyCount).toBeGreaterThan(before);
    });
});
