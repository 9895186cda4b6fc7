import { WebSiteManagementClient } from '@azure/arm-appservice';
import { ClientSecretCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type LiveEmulator, startLiveEmulator } from '../keyvault/liveEmulator';
import { SUBSCRIPTION_ID } from './index';

/** Conformance: the real @azure/arm-appservice client against the emulator's Resource Manager surface. */
describe('Resource Manager (App Service) with the real @azure/arm-appservice client', () => {
    let live: LiveEmulator;
    let reader: { appId: string; servicePrincipalId: string; clientSecret: string };
    const rg = 'rg-agents';
    const versions: string[] = [];
    let vaultToken = '';
    let armToken = '';

    const clientFor = (clientId: string, clientSecret: string, maxRetries = 0) =>
        new WebSiteManagementClient(
            new ClientSecretCredential(live.emulator.tenantId, clientId, clientSecret, {
                authorityHost: live.emulator.authorityHost,
                disableInstanceDiscovery: true,
                ...live.clientOptions,
            }),
            SUBSCRIPTION_ID,
            {
                endpoint: live.emulator.baseUrl,
                credentials: { scopes: ['https://management.azure.com/.default'] },
                retryOptions: { maxRetries },
                ...live.clientOptions,
            },
        );
    const admin = () => clientFor(live.emulator.principals.admin.clientId, live.emulator.principals.admin.clientSecret);
    const setSecret = async (value: string) => {
        const response = await live.raw('PUT', '/secrets/graph-secret?api-version=7.4', {
            headers: { authorization: `Bearer ${vaultToken}` },
            body: { value },
        });
        expect(response.status).toBe(200);
        const version =
            String((response.json as { id: string }).id)
                .split('/')
                .pop() ?? '';
        versions.push(version);
        return version;
    };
    const reference = (version = '') =>
        `@Microsoft.KeyVault(SecretUri=${live.emulator.vaultUrl}/secrets/graph-secret/${version})`;
    // Tokens are checked on the emulator clock, which some tests move by a day: a fresh one per call.
    const rawArm = async (method: string, path: string, token?: string) =>
        live.raw(method, `${path}${path.includes('?') ? '&' : '?'}api-version=2025-05-01`, {
            headers: {
                authorization: `Bearer ${token ?? (await live.adminToken('https://management.azure.com/.default'))}`,
            },
        });
    const site = (name: string) =>
        `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${rg}/providers/Microsoft.Web/sites/${name}`;

    beforeAll(async () => {
        live = await startLiveEmulator();
        vaultToken = await live.adminToken('https://vault.azure.net/.default');
        armToken = await live.adminToken('https://management.azure.com/.default');
        const seeded = await live.control<{ applications: (typeof reader)[] }>('/entra/seed', {
            applications: [{ displayName: 'arm-reader' }],
        });
        reader = seeded.applications[0]!;
        await setSecret('first');
        await setSecret('second');
        await live.control('/resourceManager/sites', {
            name: 'teams-agent',
            resourceGroup: rg,
            appSettings: { GRAPH_SECRET: reference(versions[0]), PLAIN: 'x' },
        });
        await live.control('/resourceManager/sites', {
            name: 'payroll-agent',
            resourceGroup: rg,
            appSettings: { GRAPH_SECRET: reference() },
            slots: { staging: { GRAPH_SECRET: reference() } },
        });
    });
    afterAll(async () => {
        await live?.close();
    });

    it('lists the references with status, vault, secret and the pinned version (versionless: none, activeVersion null)', async () => {
        const refs = [];
        for await (const r of admin().webApps.listAppSettingsKeyVaultReferences(rg, 'teams-agent')) refs.push(r);
        expect(refs).toHaveLength(1);
        expect(refs[0]).toMatchObject({
            name: 'GRAPH_SECRET',
            status: 'Resolved',
            vaultName: 'localhost',
            secretName: 'graph-secret',
            secretVersion: versions[0],
            source: 'KeyVault',
            reference: reference(versions[0]),
        });
        const unpinned = [];
        for await (const r of admin().webApps.listAppSettingsKeyVaultReferencesSlot(rg, 'payroll-agent', 'staging')) {
            unpinned.push(r);
        }
        expect(unpinned[0]).toMatchObject({ status: 'Resolved', secretName: 'graph-secret' });
        expect(unpinned[0]?.secretVersion).toBeUndefined();
        expect(unpinned[0]?.activeVersion ?? null).toBeNull();
    });

    it('lists sites by subscription and resource group, and reads and updates app settings', async () => {
        const all = [];
        for await (const s of admin().webApps.list()) all.push(s.name);
        expect(all.sort()).toEqual(['payroll-agent', 'teams-agent']);
        const inGroup = [];
        for await (const s of admin().webApps.listByResourceGroup(rg)) inGroup.push(s.id);
        expect(inGroup).toContain(site('teams-agent'));
        const settings = await admin().webApps.listApplicationSettings(rg, 'teams-agent');
        expect(settings.properties).toEqual({ GRAPH_SECRET: reference(versions[0]), PLAIN: 'x' });
        await admin().webApps.updateApplicationSettings(rg, 'teams-agent', {
            properties: { ...settings.properties, GRAPH_SECRET: reference() },
        });
        const after = await admin().webApps.getAppSettingKeyVaultReference(rg, 'teams-agent', 'GRAPH_SECRET');
        expect(after.secretVersion).toBeUndefined();
        const state = await live.control<{ sites: { id: string; slots: { production: { restarts: number } } }[] }>(
            '/resourceManager/sites',
        );
        // A configuration change restarts the app (documented), which is why the rotator prefers the refresh.
        expect(state.sites.find((s) => s.id === site('teams-agent'))?.slots.production.restarts).toBe(1);
    });

    it('caches references for 24 h: a new version shows after the refresh action, a restart, or a day', async () => {
        await live.control('/resourceManager/settings', { reportActiveVersion: true });
        const active = async () =>
            (await admin().webApps.getAppSettingKeyVaultReference(rg, 'payroll-agent', 'GRAPH_SECRET')).activeVersion;
        expect(await active()).toBe(versions[1]);
        const third = await setSecret('third');
        expect(await active()).toBe(versions[1]);
        const refreshed = await rawArm('POST', `${site('payroll-agent')}/config/configreferences/appsettings/refresh`);
        expect(refreshed.status).toBe(200);
        expect((refreshed.json as { value: { properties: { status: string } }[] }).value[0]?.properties.status).toBe(
            'Resolved',
        );
        expect(await active()).toBe(third);
        const fourth = await setSecret('fourth');
        await admin().webApps.restart(rg, 'payroll-agent', { softRestart: true });
        expect(await active()).toBe(fourth);
        const fifth = await setSecret('fifth');
        await live.control('/clock', { advanceSeconds: 24 * 3600 });
        expect(await active()).toBe(fifth);
        await live.control('/resourceManager/settings', { reportActiveVersion: false });
    });

    it('a pinned version that no longer exists and a missing secret are reported as such', async () => {
        await live.control('/resourceManager/sites', {
            name: 'broken',
            resourceGroup: rg,
            appSettings: {
                A: `@Microsoft.KeyVault(SecretUri=${live.emulator.vaultUrl}/secrets/graph-secret/0000000000000000)`,
                B: `@Microsoft.KeyVault(VaultName=localhost;SecretName=missing)`,
                C: `@Microsoft.KeyVault(SecretUri=https://other.vault.azure.net/secrets/x/)`,
            },
        });
        const refs = [];
        for await (const r of admin().webApps.listAppSettingsKeyVaultReferences(rg, 'broken')) refs.push(r);
        expect(Object.fromEntries(refs.map((r) => [r.name, r.status]))).toEqual({
            A: 'SecretVersionNotFound',
            B: 'SecretNotFound',
            C: 'VaultNotFound',
        });
    });

    it('RBAC: a principal without a role gets 403 AuthorizationFailed naming the action; a role at the group grants it', async () => {
        const client = clientFor(reader.appId, reader.clientSecret);
        const denied = await client.webApps
            .getAppSettingKeyVaultReference(rg, 'teams-agent', 'GRAPH_SECRET')
            .catch((e: unknown) => e);
        expect(denied).toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' });
        expect(String((denied as Error).message)).toContain('Microsoft.Web/sites/config/read');
        await live.control('/resourceManager/roleDefinitions', {
            name: 'Reference Reader',
            actions: ['Microsoft.Web/sites/read', 'Microsoft.Web/sites/config/read'],
        });
        await live.control('/resourceManager/roleAssignments', {
            principalId: reader.servicePrincipalId,
            role: 'Reference Reader',
            scope: `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${rg}`,
        });
        const allowed = await client.webApps.getAppSettingKeyVaultReference(rg, 'teams-agent', 'GRAPH_SECRET');
        expect(allowed.status).toBe('Resolved');
        // Reading references does not grant reading values or changing anything.
        await expect(client.webApps.listApplicationSettings(rg, 'teams-agent')).rejects.toMatchObject({
            statusCode: 403,
            code: 'AuthorizationFailed',
        });
        await expect(client.webApps.restart(rg, 'teams-agent')).rejects.toMatchObject({ statusCode: 403 });
        // ARM checks access before existence: a group the role does not cover answers 403, not 404.
        await expect(client.webApps.getAppSettingKeyVaultReference('rg-other', 'x', 'y')).rejects.toMatchObject({
            statusCode: 403,
        });
    });

    it('errors: ResourceNotFound, ResourceGroupNotFound, wrong audience, missing token, missing api-version', async () => {
        await expect(admin().webApps.listApplicationSettings(rg, 'nope')).rejects.toMatchObject({
            statusCode: 404,
            code: 'ResourceNotFound',
        });
        await expect(admin().webApps.listApplicationSettings('rg-nope', 'nope')).rejects.toMatchObject({
            statusCode: 404,
            code: 'ResourceGroupNotFound',
        });
        const graphToken = await live.adminToken('https://graph.microsoft.com/.default');
        const wrongAudience = await rawArm('GET', site('teams-agent'), graphToken);
        expect(wrongAudience.status).toBe(401);
        expect(wrongAudience.json).toMatchObject({ error: { code: 'InvalidAuthenticationTokenAudience' } });
        const anonymous = await live.raw('GET', `${site('teams-agent')}?api-version=2025-05-01`);
        expect(anonymous.status).toBe(401);
        expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer authorization_uri=/);
        armToken = await live.adminToken('https://management.azure.com/.default');
        const noVersion = await live.raw('GET', site('teams-agent'), {
            headers: { authorization: `Bearer ${armToken}` },
        });
        expect(noVersion.json).toMatchObject({ error: { code: 'MissingApiVersionParameter' } });
    });

    it('throttling: remaining-reads header counts down; an empty bucket answers 429 with Retry-After, and the SDK waits and succeeds', async () => {
        await live.control('/faults', { resourceManager: { limits: true, limitScale: 0.02 } }); // 5 reads, 0.5/s
        const first = await rawArm('GET', site('teams-agent'));
        const second = await rawArm('GET', site('teams-agent'));
        expect(Number(first.headers['x-ms-ratelimit-remaining-subscription-reads'])).toBe(
            Number(second.headers['x-ms-ratelimit-remaining-subscription-reads']) + 1,
        );
        for (let i = 0; i < 3; i++) await rawArm('GET', site('teams-agent'));
        const throttled = await rawArm('GET', site('teams-agent'));
        expect(throttled.status).toBe(429);
        expect(throttled.json).toMatchObject({ error: { code: 'SubscriptionRequestsThrottled' } });
        expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        await expect(admin().webApps.get(rg, 'teams-agent')).rejects.toMatchObject({ statusCode: 429 });
        // With retries on, the SDK honours Retry-After (the emulator clock refills the bucket meanwhile).
        const advance = setInterval(
            () => void live.control('/clock', { advanceSeconds: 5 }).catch(() => undefined),
            200,
        );
        try {
            const patient = clientFor(
                live.emulator.principals.admin.clientId,
                live.emulator.principals.admin.clientSecret,
                3,
            );
            await expect(patient.webApps.get(rg, 'teams-agent')).resolves.toMatchObject({ name: 'teams-agent' });
        } finally {
            clearInterval(advance);
            await live.control('/faults', { reset: true });
        }
    });
});
