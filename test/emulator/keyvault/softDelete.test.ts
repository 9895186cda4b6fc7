import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { KeyVaultSecrets } from '../../../shared/adapters/keyVaultSecrets';
import { SecretClients } from '../../../shared/adapters/secretClients';
import { pendingSecretName } from '../../../shared/rotation/markers';
import { STASH_FOR_TAG, stashNameTakenBy, writeStash } from '../../../shared/rotation/stash';
import { Secret } from '../../../shared/security/Secret';
import { type LiveEmulator, startLiveEmulator } from './liveEmulator';

/**
 * Soft delete as the real service runs it (emulator-fidelity.md gaps 1, 2, 6): operations take seconds to
 * finish, a purged name refuses writes for a while, and a purge-protected vault (the deployed one) refuses
 * purges. The product adapter must complete its writes in every one of these states.
 */
describe('Key Vault soft delete, purge and purge protection', () => {
    let live: LiveEmulator;
    let client: SecretClient;
    let adapter: KeyVaultSecrets;

    beforeAll(async () => {
        live = await startLiveEmulator();
        const { admin } = live.emulator.principals;
        const credential = new ClientSecretCredential(live.emulator.tenantId, admin.clientId, admin.clientSecret, {
            authorityHost: live.emulator.authorityHost,
            disableInstanceDiscovery: true,
            ...live.clientOptions,
        });
        client = new SecretClient(live.emulator.vaultUrl, credential, {
            disableChallengeResourceVerification: true,
            ...live.clientOptions,
        });
        // The product's adapter over a client that trusts the emulator CA in-process (the app uses NODE_EXTRA_CA_CERTS).
        const clients = new (class extends SecretClients {
            override for(): SecretClient {
                return client;
            }
        })(credential, true);
        adapter = new KeyVaultSecrets(clients);
    });
    afterAll(async () => {
        await live?.close();
    });
    beforeEach(async () => {
        await live.control('/reset', {});
    });

    const vault = (profile: object) => live.control('/keyVault/vault', profile);
    const write = { tags: { purpose: 'test' }, contentType: 'text/plain', expiresOn: undefined };
    const path = (p: string) => `${p}?api-version=2025-07-01`;
    async function raw(method: string, p: string, body?: unknown) {
        const token = await live.adminToken('https://vault.azure.net/.default');
        return live.raw(method, path(p), { headers: { authorization: `Bearer ${token}` }, body });
    }

    it('delete and recover take a while to show: GET deleted and GET secret answer 404 meanwhile', async () => {
        await vault({ deleteLatencyMs: 1500, recoverLatencyMs: 1000 });
        await client.setSecret('lag', 'v1');
        expect((await raw('DELETE', '/secrets/lag')).status).toBe(200);
        expect((await raw('GET', '/deletedsecrets/lag')).status).toBe(404);
        const put = await raw('PUT', '/secrets/lag', { value: 'v2' });
        expect(put.status).toBe(409);
        expect(put.json).toMatchObject({ error: { code: 'Conflict', innererror: { code: 'ObjectIsBeingDeleted' } } });
        await new Promise((r) => setTimeout(r, 1600));
        expect((await raw('GET', '/deletedsecrets/lag')).status).toBe(200);
        expect((await raw('POST', '/deletedsecrets/lag/recover')).status).toBe(200);
        expect((await raw('GET', '/secrets/lag/')).status).toBe(404);
        await new Promise((r) => setTimeout(r, 1100));
        expect((await raw('GET', '/secrets/lag/')).status).toBe(200);
    });

    it('a purged name answers writes with 409 ObjectIsBeingDeleted for a while, then accepts them', async () => {
        await vault({ purgeLatencyMs: 1500 });
        await client.setSecret('purged', 'v1');
        await (await client.beginDeleteSecret('purged')).pollUntilDone();
        expect((await raw('DELETE', '/deletedsecrets/purged')).status).toBe(204);
        const put = await raw('PUT', '/secrets/purged', { value: 'v2' });
        expect(put.status).toBe(409);
        expect(put.json).toEqual({
            error: {
                code: 'Conflict',
                message: 'Secret purged is currently being deleted and cannot be re-created; retry later.',
                innererror: { code: 'ObjectIsBeingDeleted' },
            },
        });
        expect((await raw('GET', '/deletedsecrets/purged')).status).toBe(404);
        expect((await raw('POST', '/deletedsecrets/purged/recover')).status).toBe(404);
        await new Promise((r) => setTimeout(r, 1600));
        expect((await raw('PUT', '/secrets/purged', { value: 'v3' })).status).toBe(200);
    });

    it('a purge-protected vault refuses purges with 403 and reports recoveryLevel Recoverable', async () => {
        const profile = await vault({ purgeProtection: true, recoverableDays: 90 });
        expect(profile).toMatchObject({ purgeProtection: true });
        const set = await raw('PUT', '/secrets/kept', { value: 'v1' });
        expect(set.json).toMatchObject({ attributes: { recoveryLevel: 'Recoverable', recoverableDays: 90 } });
        await (await client.beginDeleteSecret('kept')).pollUntilDone();
        const purge = await raw('DELETE', '/deletedsecrets/kept');
        expect(purge.status).toBe(403);
        expect(purge.json).toMatchObject({
            error: { code: 'Forbidden', message: expect.stringContaining('purge protection is enabled') },
        });
        expect((await raw('GET', '/deletedsecrets/kept')).status).toBe(200);
    });

    it('rejects an invalid vault profile and changes nothing', async () => {
        const before = await live.control('/keyVault/vault');
        const bad = await live.raw('POST', '/_emulator/keyVault/vault', { body: { recoverableDays: 3 } });
        expect(bad.status).toBe(400);
        expect(await live.control('/keyVault/vault')).toEqual(before);
    });

    it('adapter: two consecutive stash cycles complete against a purge-protected vault with real timings', async () => {
        await vault({ purgeProtection: true, deleteLatencyMs: 800, recoverLatencyMs: 800 });
        const versions: string[] = [];
        for (let cycle = 1; cycle <= 2; cycle++) {
            const stored = await adapter.setSecret(
                live.emulator.vaultUrl,
                'app--rotation-pending',
                new Secret(`s${cycle}`),
                write,
            );
            versions.push(stored.version);
            await adapter.deleteSecret(live.emulator.vaultUrl, 'app--rotation-pending');
        }
        expect(new Set(versions).size).toBe(2);
        // The name stays soft-deleted (purge refused), holding both versions: recovered, not re-created.
        const state = (
            await live.control<{
                services: { keyVault: { deletedSecrets: { name: string; versionCount: number }[] } };
            }>('/state')
        ).services.keyVault;
        expect(state.deletedSecrets).toEqual([
            expect.objectContaining({ name: 'app--rotation-pending', versionCount: 2 }),
        ]);
    });

    it('adapter: a write right after a purge waits out ObjectIsBeingDeleted instead of failing with not_found', async () => {
        await vault({ purgeLatencyMs: 2500 });
        await adapter.setSecret(live.emulator.vaultUrl, 'fresh--rotation-pending', new Secret('a'), write);
        await adapter.deleteSecret(live.emulator.vaultUrl, 'fresh--rotation-pending'); // deletes and purges
        const started = Date.now();
        const stored = await adapter.setSecret(
            live.emulator.vaultUrl,
            'fresh--rotation-pending',
            new Secret('b'),
            write,
        );
        expect(stored.version).toMatch(/^[0-9a-f]{32}$/);
        expect(Date.now() - started).toBeGreaterThan(1000);
        expect((await client.getSecret('fresh--rotation-pending')).value).toBe('b');
    });

    // Issue 13 gap: the write's recover-on-409 brought back whatever was soft-deleted under the stash name, so a
    // foreign secret was recovered, overwritten, then deleted (and purged where allowed) by the rotation.
    describe('a soft-deleted secret under the stash name (purge-protected vault)', () => {
        const managed = 'orders-api-secret';
        const stashName = pendingSecretName(managed);
        const stashWrite = { tags: { 'entra-key-id': 'k' }, contentType: 'text/plain', expiresOn: undefined };

        async function softDeleted(tags: Record<string, string>): Promise<void> {
            await vault({ purgeProtection: true });
            await client.setSecret(stashName, 'somebody-elses-value', { tags });
            await (await client.beginDeleteSecret(stashName, { intervalInMs: 100 })).pollUntilDone();
        }

        it('not ours: refused before and at the write, and left deleted, unchanged', async () => {
            await softDeleted({ owner: 'another-team' });
            const url = live.emulator.vaultUrl;
            expect(await stashNameTakenBy(adapter, url, managed)).toMatch(/deleted secret .* did not create/);
            await expect(
                writeStash(adapter, url, managed, 'rot-1', new Secret('new-value'), stashWrite),
            ).rejects.toMatchObject({ code: 'conflict', retryable: false });
            // Still soft-deleted, with its own single version and tags: never recovered, never written.
            expect((await raw('GET', `/secrets/${stashName}/`)).status).toBe(404);
            const deleted = await client.getDeletedSecret(stashName);
            expect(deleted.properties.tags).toEqual({ owner: 'another-team' });
            const versions: string[] = [];
            const state = await live.control<{
                services: { keyVault: { deletedSecrets: { name: string; versionCount: number }[] } };
            }>('/state');
            for (const d of state.services.keyVault.deletedSecrets)
                if (d.name === stashName) versions.push(String(d.versionCount));
            expect(versions).toEqual(['1']);
        });

        it('ours (an earlier stash): recovered and written as before', async () => {
            await softDeleted({ [STASH_FOR_TAG]: managed, 'rotation-id': 'rot-0' });
            const url = live.emulator.vaultUrl;
            expect(await stashNameTakenBy(adapter, url, managed)).toBeUndefined();
            await writeStash(adapter, url, managed, 'rot-1', new Secret('new-value'), stashWrite);
            const current = await client.getSecret(stashName);
            expect(current.value).toBe('new-value');
            expect(current.properties.tags).toMatchObject({ [STASH_FOR_TAG]: managed, 'rotation-id': 'rot-1' });
        });
    });
});
