import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type LiveEmulator, startLiveEmulator } from './liveEmulator';

/** Conformance: the real @azure/keyvault-secrets and @azure/identity against the running emulator. */
describe('Key Vault with the real SDK (SecretClient + ClientSecretCredential)', () => {
    let live: LiveEmulator;

    const credentialFor = (clientId: string, clientSecret: string) =>
        new ClientSecretCredential(live.emulator.tenantId, clientId, clientSecret, {
            authorityHost: live.emulator.authorityHost,
            disableInstanceDiscovery: true,
            ...live.clientOptions,
        });
    const clientFor = (clientId: string, clientSecret: string, verify = false) =>
        new SecretClient(live.emulator.vaultUrl, credentialFor(clientId, clientSecret), {
            disableChallengeResourceVerification: !verify,
            retryOptions: { maxRetries: 0 },
            ...live.clientOptions,
        });
    const adminClient = () =>
        clientFor(live.emulator.principals.admin.clientId, live.emulator.principals.admin.clientSecret);

    beforeAll(async () => {
        live = await startLiveEmulator();
    });
    afterAll(async () => {
        await live?.close();
    });

    it('§4.3 raw: the unauthenticated first request gets the 401 challenge with the tenant and vault resource', async () => {
        const response = await live.raw('PUT', '/secrets/app-secret?api%2Dversion=2026-04-01', {
            headers: { 'content-type': 'application/json' },
        });
        expect(response.status).toBe(401);
        expect(response.headers['www-authenticate']).toBe(
            `Bearer authorization="https://login.windows.net/${live.emulator.tenantId}", resource="https://vault.azure.net"`,
        );
        expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(response.json).toEqual({
            error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' },
        });
    });

    it('§4.3 the SDK follows the challenge: set and get with disableChallengeResourceVerification', async () => {
        const client = adminClient();
        const expiresOn = new Date(Date.now() + 90 * 86_400_000);
        const set = await client.setSecret('sdk-secret', 'value-1', {
            expiresOn,
            contentType: 'text/plain',
            tags: { keyId: 'k1' },
        });
        expect(set.value).toBe('value-1');
        expect(set.properties.vaultUrl).toBe(live.emulator.vaultUrl);
        expect(set.properties.version).toMatch(/^[0-9a-f]{32}$/);
        expect(set.properties.expiresOn?.getTime()).toBe(Math.floor(expiresOn.getTime() / 1000) * 1000);
        const got = await client.getSecret('sdk-secret');
        expect(got).toMatchObject({ value: 'value-1', name: 'sdk-secret' });
        expect(got.properties).toMatchObject({ contentType: 'text/plain', tags: { keyId: 'k1' }, enabled: true });
        const byVersion = await client.getSecret('sdk-secret', { version: set.properties.version! });
        expect(byVersion.value).toBe('value-1');
    });

    it('§4.3 without disableChallengeResourceVerification the SDK refuses the localhost vault', async () => {
        const { clientId, clientSecret } = live.emulator.principals.admin;
        await expect(clientFor(clientId, clientSecret, true).getSecret('sdk-secret')).rejects.toThrow(
            /does not match the requested domain/,
        );
    });

    it('§4.1 listPropertiesOfSecrets follows nextLink past the 25-item page', async () => {
        const client = adminClient();
        for (let i = 0; i < 27; i += 1) await client.setSecret(`page-${String(i).padStart(2, '0')}`, `v${i}`);
        const names: string[] = [];
        for await (const properties of client.listPropertiesOfSecrets()) names.push(properties.name);
        expect(names.filter((n) => n.startsWith('page-'))).toHaveLength(27);
        let pages = 0;
        for await (const page of client.listPropertiesOfSecrets().byPage({ maxPageSize: 10 })) {
            pages += 1;
            expect(page.length).toBeLessThanOrEqual(10);
        }
        expect(pages).toBeGreaterThanOrEqual(3);
        await client.setSecret('page-00', 'v0-b');
        const versions: string[] = [];
        for await (const v of client.listPropertiesOfSecretVersions('page-00')) versions.push(v.version!);
        expect(versions).toHaveLength(2);
    });

    it('§4.1 updateSecretProperties; a disabled secret → 403 SecretDisabled as RestError', async () => {
        const client = adminClient();
        const set = await client.setSecret('to-disable', 'x');
        const updated = await client.updateSecretProperties('to-disable', set.properties.version!, {
            enabled: false,
            tags: { state: 'off' },
        });
        expect(updated).toMatchObject({ enabled: false, tags: { state: 'off' } });
        await expect(client.getSecret('to-disable')).rejects.toMatchObject({
            statusCode: 403,
            code: 'Forbidden',
            message: 'Operation get is not allowed on a disabled secret.',
        });
    });

    it('§4.1 soft delete, recover and purge through the SDK pollers', async () => {
        const client = adminClient();
        await client.setSecret('deletable', 'd1');
        const deletePoller = await client.beginDeleteSecret('deletable', { intervalInMs: 50 });
        const deleted = await deletePoller.pollUntilDone();
        expect(deleted.recoveryId).toBe(`${live.emulator.vaultUrl}/deletedsecrets/deletable`);
        await expect(client.getSecret('deletable')).rejects.toMatchObject({ statusCode: 404, code: 'SecretNotFound' });
        await expect(client.setSecret('deletable', 'd2')).rejects.toMatchObject({ statusCode: 409 });
        const recoverPoller = await client.beginRecoverDeletedSecret('deletable', { intervalInMs: 50 });
        await recoverPoller.pollUntilDone();
        expect((await client.getSecret('deletable')).value).toBe('d1');
        await (await client.beginDeleteSecret('deletable', { intervalInMs: 50 })).pollUntilDone();
        await client.purgeDeletedSecret('deletable');
        await expect(client.getDeletedSecret('deletable')).rejects.toMatchObject({ statusCode: 404 });
    });

    it('§4.2 RBAC: a principal without a role gets 403 ForbiddenByRbac; Secrets User can read, not write', async () => {
        const seeded = await live.control<{
            applications: { servicePrincipalId: string; appId: string; clientSecret: string }[];
        }>('/entra/seed', { applications: [{ displayName: 'kv-reader' }] });
        const reader = seeded.applications[0]!;
        const client = clientFor(reader.appId, reader.clientSecret);
        await expect(client.getSecret('sdk-secret')).rejects.toMatchObject({ statusCode: 403, code: 'Forbidden' });
        await live.control('/keyVault/roleAssignments', {
            principalId: reader.servicePrincipalId,
            role: 'Key Vault Secrets User',
        });
        expect((await client.getSecret('sdk-secret')).value).toBe('value-1');
        await expect(client.setSecret('sdk-secret', 'nope')).rejects.toMatchObject({ statusCode: 403 });
        const assignments = await live.control<{ value: { principalId: string; role: string }[] }>(
            '/keyVault/roleAssignments',
        );
        expect(assignments.value).toContainEqual(
            expect.objectContaining({ principalId: reader.servicePrincipalId, role: 'Key Vault Secrets User' }),
        );
    });

    it('§4.3 a token expired on the emulator clock gets the CAE claims challenge; the same client recovers', async () => {
        const client = adminClient();
        await client.setSecret('long-lived', 'before');
        await live.control('/clock', { advanceSeconds: 2 * 86_400 });
        // The client's cached token is two emulator-days old; only a fresh one can succeed.
        expect((await client.getSecret('long-lived')).value).toBe('before');
        const token = await live.adminToken('https://vault.azure.net/.default');
        const [header, , signature] = token.split('.');
        const stale = `${header}.${Buffer.from(JSON.stringify({ exp: 1 })).toString('base64url')}.${signature}`;
        const raw = await live.raw('GET', '/secrets/long-lived/?api-version=7.6', {
            headers: { authorization: `Bearer ${stale}` },
        });
        expect(raw.status).toBe(401);
        expect(raw.headers['www-authenticate']).toMatch(/error="insufficient_claims", claims="[A-Za-z0-9+/=]+"$/);
    });

    it('GET /_emulator/state lists vault versions with metadata only', async () => {
        const state = await live.raw('GET', '/_emulator/state');
        expect(state.status).toBe(200);
        expect(state.text).toContain('"sdk-secret"');
        expect(state.text).not.toContain('value-1');
    });
});
