import { ClientSecretCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ArmAppService } from '../../shared/adapters/armAppService';
import { auditPinnedReferences, formatPinnedAudit } from '../../shared/audit/pinnedReferences';
import { SUBSCRIPTION_ID } from '../emulator/arm';
import { type LiveEmulator, startLiveEmulator } from '../emulator/keyvault/liveEmulator';

/** The App Service audit against the emulator's Resource Manager, through the real ARM client. */
describe('audit: version-pinned Key Vault references (App Service mode)', () => {
    let live: LiveEmulator;
    const adapter = (clientId: string, clientSecret: string) =>
        new ArmAppService(
            new ClientSecretCredential(live.emulator.tenantId, clientId, clientSecret, {
                authorityHost: live.emulator.authorityHost,
                disableInstanceDiscovery: true,
                ...live.clientOptions,
            }),
            {
                endpoint: live.emulator.baseUrl,
                scope: 'https://management.azure.com/.default',
                additionalPolicies: live.clientOptions.additionalPolicies,
            },
        );
    const admin = () => adapter(live.emulator.principals.admin.clientId, live.emulator.principals.admin.clientSecret);
    const sub = `/subscriptions/${SUBSCRIPTION_ID}`;

    beforeAll(async () => {
        live = await startLiveEmulator();
        const site = (name: string, resourceGroup: string, appSettings: object, slots?: object) =>
            live.control('/resourceManager/sites', { name, resourceGroup, appSettings, slots });
        await site('ghent-agent', 'rg-a', {
            GRAPH: '@Microsoft.KeyVault(SecretUri=https://kv-ghent.vault.azure.net/secrets/graph-client-secret/9c4fe2a1)',
            FINE: '@Microsoft.KeyVault(SecretUri=https://kv-ghent.vault.azure.net/secrets/other/)',
        });
        await site(
            'billing',
            'rg-b',
            { PLAIN: 'x' },
            {
                staging: { DB: '@Microsoft.KeyVault(VaultName=kv-x;SecretName=db;SecretVersion=abc)' },
            },
        );
    });
    afterAll(async () => {
        await live?.close();
    });

    it('lists every pin in any vault, slots included, and counts the ARM calls', async () => {
        const result = await auditPinnedReferences(admin(), [sub]);
        expect(result.failures).toEqual([]);
        expect(result.sites).toBe(3);
        expect(result.references).toBe(3);
        expect(
            result.pinned.map((p) => [p.site.split('/providers/')[1], p.setting, p.vaultName, p.secretVersion]),
        ).toEqual([
            ['Microsoft.Web/sites/ghent-agent', 'GRAPH', 'kv-ghent', '9c4fe2a1'],
            ['Microsoft.Web/sites/billing/slots/staging', 'DB', 'kv-x', 'abc'],
        ]);
        // 1 site list, 2 slot lists, 3 reference reads.
        expect(result.armCalls).toBe(6);
        expect(formatPinnedAudit(result)).toContain('2 pin a secret version');
    });

    it('a scope it may not read is a failure (the list is incomplete), not a clean result', async () => {
        const seeded = await live.control<{
            applications: { appId: string; clientSecret: string; servicePrincipalId: string }[];
        }>('/entra/seed', { applications: [{ displayName: 'auditor' }] });
        const auditor = seeded.applications[0]!;
        await live.control('/resourceManager/roleAssignments', {
            principalId: auditor.servicePrincipalId,
            role: 'Reader',
            scope: `${sub}/resourceGroups/rg-a`,
        });
        const result = await auditPinnedReferences(adapter(auditor.appId, auditor.clientSecret), [
            `${sub}/resourceGroups/rg-a`,
            `${sub}/resourceGroups/rg-b`,
        ]);
        // Reader (*/read) on rg-a only: rg-a's pin is listed, rg-b is forbidden and said so.
        expect(result.pinned.map((p) => p.setting)).toEqual(['GRAPH']);
        expect(result.failures).toEqual([{ where: `${sub}/resourceGroups/rg-b`, code: 'forbidden' }]);
        expect(formatPinnedAudit(result)).toContain('Could not read (the list above is incomplete)');
    });
});
