import { APP_SERVICE_REFERENCE_ACTIONS, APP_SERVICE_REFERENCE_ROLE } from '../../shared/appService/roleActions';
import { SUBSCRIPTION_ID } from '../emulator/arm';
import { type EmulatorClient } from './emulatorClient';
import { type SeededTenant } from './seedTenant';

export const SANDBOX_RESOURCE_GROUP = 'rg-agents';

export const siteResourceId = (name: string): string =>
    `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${SANDBOX_RESOURCE_GROUP}/providers/Microsoft.Web/sites/${name}`;

/**
 * The sandbox's App Service apps, as seed 000 had them: teams-agent's app setting pins a Key Vault secret version,
 * payroll-agent's follows the latest. The rotator holds only the custom reference role, on this resource group.
 * Created once; a restart keeps them (the emulator persists its Resource Manager state).
 */
export async function ensureAppServiceSites(
    emu: EmulatorClient,
    tenant: SeededTenant,
    vaultUrl: string,
    sites: readonly { readonly name: string; readonly secretName: string; readonly pinnedVersion?: string }[],
): Promise<void> {
    const existing = await emu.expectOk(
        emu.call<{ sites: { id: string }[] }>('GET', '/_emulator/resourceManager/sites'),
        'reading the App Service apps',
    );
    await emu.expectOk(
        emu.call('POST', '/_emulator/resourceManager/roleDefinitions', {
            name: APP_SERVICE_REFERENCE_ROLE,
            actions: APP_SERVICE_REFERENCE_ACTIONS,
        }),
        'defining the rotator App Service role',
    );
    await emu.expectOk(
        emu.call('POST', '/_emulator/resourceManager/roleAssignments', {
            principalId: tenant.rotator.servicePrincipalId,
            role: APP_SERVICE_REFERENCE_ROLE,
            scope: `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${SANDBOX_RESOURCE_GROUP}`,
        }),
        'assigning the rotator its App Service role',
    );
    for (const site of sites) {
        if (existing.sites.some((s) => s.id.toLowerCase() === siteResourceId(site.name).toLowerCase())) continue;
        await emu.expectOk(
            emu.call('POST', '/_emulator/resourceManager/sites', {
                name: site.name,
                resourceGroup: SANDBOX_RESOURCE_GROUP,
                appSettings: {
                    GRAPH_CLIENT_SECRET: `@Microsoft.KeyVault(SecretUri=${vaultUrl}/secrets/${site.secretName}/${site.pinnedVersion ?? ''})`,
                    WEBSITE_RUN_FROM_PACKAGE: '1',
                },
            }),
            `creating App Service app ${site.name}`,
        );
    }
}
