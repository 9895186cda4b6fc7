/**
 * The deployment contract: what the COMPILED templates would create (evaluated like Resource Manager would)
 * checked against what the code needs. Bicep text is never read here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { CLOUD_NAMES, cloudEndpoints } from '../../../shared/config/clouds';
import { loadConfig } from '../../../shared/config/loadConfig';
import { SETTING_NAMES } from '../../../shared/config/schema';
import {
    DEPLOYMENT_CONTEXT,
    type EvaluatedDeployment,
    type EvaluatedResource,
    evaluateTemplate,
    type Json,
} from './armTemplate';
import { COMPILE_TIMEOUT_MS, SAMPLE_PARAMETERS, skipReason, template } from './compiledInfra';
import { repoRoot } from './repoFiles';
import { SecretClient } from '@azure/keyvault-secrets';
import { BlobClient, BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { EventGridPublisherClient } from '@azure/eventgrid';

import {
    DATA_ACTION_OPERATIONS,
    ROLE_DATA_ACTIONS,
    grants,
    operationsTable,
    readmeOperationsTable,
    unmappedSdkCalls,
} from './operations';

const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');

/** Settings Flex Consumption rejects or ignores (it takes the runtime and content from functionAppConfig). */
const FLEX_REJECTED = [
    'FUNCTIONS_WORKER_RUNTIME',
    'FUNCTIONS_EXTENSION_VERSION',
    'FUNCTIONS_WORKER_RUNTIME_VERSION',
    'FUNCTIONS_MAX_HTTP_CONCURRENCY',
    'FUNCTIONS_WORKER_PROCESS_COUNT',
    'FUNCTIONS_WORKER_DYNAMIC_CONCURRENCY_ENABLED',
    'SCM_DO_BUILD_DURING_DEPLOYMENT',
    'ENABLE_ORYX_BUILD',
    'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
    'WEBSITE_CONTENTSHARE',
    'WEBSITE_CONTENTOVERVNET',
    'WEBSITE_DNS_SERVER',
    'WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT',
    'WEBSITE_NODE_DEFAULT_VERSION',
    'WEBSITE_RUN_FROM_PACKAGE',
    'WEBSITE_SKIP_CONTENTSHARE_VALIDATION',
    'WEBSITE_VNET_ROUTE_ALL',
    'AzureWebJobsStorage', // a connection string (account key); identity-based settings use the __ form
];
/** siteConfig properties Flex Consumption rejects. */
const FLEX_REJECTED_SITE_CONFIG = [
    'alwaysOn',
    'linuxFxVersion',
    'ftpsState',
    'use32BitWorkerProcess',
    'numberOfWorkers',
];

function deploy(parameters: Record<string, Json> = {}): EvaluatedDeployment {
    return evaluateTemplate(template('infra/main.bicep'), { ...SAMPLE_PARAMETERS, ...parameters });
}

const only = (d: EvaluatedDeployment, type: string): EvaluatedResource => {
    const found = d.resources.filter((r) => r.type === type);
    expect(
        found.map((r) => r.name),
        type,
    ).toHaveLength(1);
    return found[0]!;
};

function appSettings(d: EvaluatedDeployment): Record<string, string> {
    const site = only(d, 'Microsoft.Web/sites');
    const list = (site.properties['siteConfig'] as { appSettings: { name: string; value: string }[] }).appSettings;
    const names = list.map((s) => s.name);
    expect(new Set(names).size, 'duplicate app setting').toBe(names.length);
    return Object.fromEntries(list.map((s) => [s.name, s.value]));
}

const KV_REFERENCE = /^@Microsoft\.KeyVault\((.*)\)$/i;

describe.skipIf(skipReason !== undefined)('compiled infra: the deployment contract', () => {
    let d: EvaluatedDeployment;
    let settings: Record<string, string>;
    let identity: EvaluatedResource;
    let storage: EvaluatedResource;
    beforeAll(() => {
        d = deploy();
        settings = appSettings(d);
        identity = only(d, 'Microsoft.ManagedIdentity/userAssignedIdentities');
        storage = only(d, 'Microsoft.Storage/storageAccounts');
    }, COMPILE_TIMEOUT_MS);
    const clientIdOf = (_identity: EvaluatedResource) => d.outputs['ROTATOR_IDENTITY_CLIENT_ID'] as string;

    describe('app settings against shared/config/schema.ts', () => {
        it('sets every setting the schema declares', () => {
            expect(SETTING_NAMES.filter((name) => !(name in settings))).toEqual([]);
        });

        it('the deployed settings load with the real config loader, once the platform resolves the Key Vault reference', () => {
            const reference = KV_REFERENCE.exec(settings['CONSUMER_WEBHOOK_SIGNING_KEY'] ?? '');
            expect(reference, 'the signing key is a Key Vault reference').not.toBeNull();
            const config = loadConfig({
                ...settings,
                CONSUMER_WEBHOOK_SIGNING_KEY: 'resolved-by-app-service-0123456789',
            });
            expect(config.identity).toEqual({ mode: 'managed-identity', clientId: clientIdOf(identity) });
            expect(config.localEndpoints).toBe(false);
            expect(config.tenantId).toBe(DEPLOYMENT_CONTEXT.tenantId);
            expect(config.keyVault.defaultVaultUrl).toBe(
                (d.outputs['AZURE_KEY_VAULT_ENDPOINT'] as string).replace(/\/$/, ''),
            );
            expect(config.stateStoreLocation).toMatch(/^https:\/\/st\w+\.blob\.core\.windows\.net\/rotator-state$/);
            expect(config.eventGrid.topicKey).toBeUndefined();
            const topic = only(d, 'Microsoft.EventGrid/topics').name;
            expect(config.eventGrid.topicEndpoint).toBe(`https://${topic}.westeurope-1.eventgrid.azure.net/api/events`);
            expect(config.paused).toBe(true);
        });

        it.each(CLOUD_NAMES)("in %s, Graph, Entra and Key Vault endpoints and scopes are that cloud's", (cloud) => {
            const s = appSettings(deploy({ cloud }));
            const config = loadConfig({ ...s, CONSUMER_WEBHOOK_SIGNING_KEY: 'resolved-by-app-service-0123456789' });
            const expected = cloudEndpoints(cloud);
            expect(config.cloud.name).toBe(cloud);
            expect(config.graphBaseUrl).toBe(expected.graph);
            expect(config.authorityHost).toBe(expected.authorityHost);
            expect(config.resourceManager.endpoint).toBe(expected.resourceManager);
            expect(config.resourceManager.scope).toBe(`${expected.resourceManager}/.default`);
            expect(config.scopes).toEqual({
                graph: `${expected.graph}/.default`,
                keyVault: `${expected.keyVault}/.default`,
            });
        });

        it('the public cloud uses Microsoft Graph, not the retired Azure AD Graph', () => {
            expect(settings['GRAPH_BASE_URL']).toBe('https://graph.microsoft.com');
            expect(Object.values(settings).join('\n')).not.toContain('graph.windows.net');
        });

        it('the operator API audiences match the token versions the app registration issues', () => {
            // The registration asks for v2.0 tokens (aud = client id); v1.0 tokens carry the identifier URI.
            expect(settings['OPERATOR_API_CLIENT_ID']).toBe(SAMPLE_PARAMETERS.operatorApiAppId);
            expect(settings['OPERATOR_API_AUDIENCE']).toBe(`api://${SAMPLE_PARAMETERS.operatorApiAppId}`);
            // The dashboard signs in with the same registration (its SPA redirect URI and scope come from the hooks).
            expect(settings['DASHBOARD_CLIENT_ID']).toBe(SAMPLE_PARAMETERS.operatorApiAppId);
            const script = read('infra/scripts/operator-api.sh');
            expect(script).toMatch(/requestedAccessTokenVersion[^\n]*2/);
            expect(script).toContain('api://$app_id');
        });

        it('no setting holds a storage key or a versioned Key Vault reference', () => {
            for (const [name, value] of Object.entries(settings)) {
                expect(value, name).not.toMatch(/AccountKey=|SharedAccessSignature=|sig=/i);
                const ref = KV_REFERENCE.exec(value);
                if (ref) {
                    expect(ref[1], name).not.toMatch(/SecretVersion=/i);
                    const uri = /SecretUri=([^;]+)/i.exec(ref[1]!)?.[1];
                    if (uri) expect(new URL(uri).pathname.split('/').filter(Boolean), name).toHaveLength(2);
                }
            }
            expect(JSON.stringify(template('infra/main.bicep'))).not.toMatch(/listKeys|listAccountSas|listServiceSas/);
        });
    });

    describe('Flex Consumption and Durable Functions', () => {
        it('host storage is identity-based and complete', () => {
            const endpoints = {
                blob: `https://${storage.name}.blob.core.windows.net/`,
                queue: `https://${storage.name}.queue.core.windows.net/`,
                table: `https://${storage.name}.table.core.windows.net/`,
            };
            expect(settings).toMatchObject({
                AzureWebJobsStorage__credential: 'managedidentity',
                AzureWebJobsStorage__clientId: clientIdOf(identity),
                AzureWebJobsStorage__blobServiceUri: endpoints.blob,
                AzureWebJobsStorage__queueServiceUri: endpoints.queue,
                AzureWebJobsStorage__tableServiceUri: endpoints.table,
                APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `ClientId=${clientIdOf(identity)};Authorization=AAD`,
            });
        });

        it('no setting or site property Flex rejects is present', () => {
            expect(FLEX_REJECTED.filter((name) => name in settings)).toEqual([]);
            const site = only(d, 'Microsoft.Web/sites');
            const siteConfig = site.properties['siteConfig'] as Record<string, unknown>;
            expect(FLEX_REJECTED_SITE_CONFIG.filter((p) => p in siteConfig)).toEqual([]);
        });

        it('the site runs on a Flex plan as the rotator identity, deploying from its container with that identity', () => {
            const site = only(d, 'Microsoft.Web/sites');
            const plan = only(d, 'Microsoft.Web/serverfarms');
            expect(plan.raw['sku']).toEqual({ name: 'FC1', tier: 'FlexConsumption' });
            expect(site.properties['serverFarmId']).toBe(plan.id);
            expect(site.identity).toEqual({ type: 'UserAssigned', userAssignedIdentities: { [identity.id]: {} } });
            expect(site.properties['keyVaultReferenceIdentity']).toBe(identity.id);
            const cfg = site.properties['functionAppConfig'] as {
                deployment: { storage: { type: string; value: string; authentication: Record<string, string> } };
                runtime: { name: string; version: string };
            };
            expect(cfg.runtime.name).toBe('node');
            expect(cfg.deployment.storage.authentication).toEqual({
                type: 'UserAssignedIdentity',
                userAssignedIdentityResourceId: identity.id,
            });
            const container = cfg.deployment.storage.value.split('/').pop()!;
            expect(d.resources.some((r) => r.type.endsWith('/containers') && r.name.endsWith(`/${container}`))).toBe(
                true,
            );
            // azd finds the app to deploy to by this tag and the service name in azure.yaml.
            expect(site.tags['azd-service-name']).toBe('rotator');
            expect(read('azure.yaml')).toMatch(/^services:\n {2}rotator:$/m);
        });

        it('the Durable task hub name in host.json is the TASKHUB_NAME setting the template sets', () => {
            const host = JSON.parse(read('host.json')) as { extensions: { durableTask: { hubName: string } } };
            expect(host.extensions.durableTask.hubName).toBe('%TASKHUB_NAME%');
            expect(loadConfig({ ...settings, CONSUMER_WEBHOOK_SIGNING_KEY: 'x'.repeat(32) }).taskHubName).toBe(
                settings['TASKHUB_NAME'],
            );
        });
    });

    describe('hardening', () => {
        it('storage: no account keys, no public blobs, no cross-tenant replication, TLS 1.2', () => {
            expect(storage.properties).toMatchObject({
                allowSharedKeyAccess: false,
                allowBlobPublicAccess: false,
                allowCrossTenantReplication: false,
                minimumTlsVersion: 'TLS1_2',
                supportsHttpsTrafficOnly: true,
            });
        });

        it('Key Vault: RBAC, purge protection, and no ARM/VM/disk access to its secrets', () => {
            const vault = only(d, 'Microsoft.KeyVault/vaults');
            expect(vault.properties).toMatchObject({
                enableRbacAuthorization: true,
                enablePurgeProtection: true,
                enabledForDeployment: false,
                enabledForTemplateDeployment: false,
                enabledForDiskEncryption: false,
            });
        });

        it('the vault name changes with the per-environment suffix, so a redeploy after azd down does not hit the purge-protected name', () => {
            const a = only(deploy({ vaultSuffix: 'aaaaa' }), 'Microsoft.KeyVault/vaults').name;
            const b = only(deploy({ vaultSuffix: 'bbbbb' }), 'Microsoft.KeyVault/vaults').name;
            expect(a).not.toBe(b);
            for (const name of [a, b]) expect(name).toMatch(/^[a-z][a-z0-9-]{1,22}[a-z0-9]$/); // vault name rules, 3-24
        });

        it('the notification topic takes CloudEvents (what the notifier sends) and refuses keys', () => {
            const topic = only(d, 'Microsoft.EventGrid/topics');
            expect(read('shared/adapters/eventGridNotifier.ts')).toContain("EventGridPublisherClient<'CloudEvent'>");
            expect(topic.properties).toMatchObject({ inputSchema: 'CloudEventSchemaV1_0', disableLocalAuth: true });
            expect(only(d, 'Microsoft.Insights/components').properties['DisableLocalAuth']).toBe(true);
        });
    });

    describe('least privilege: every data-plane operation of the adapters has a role, nothing broader', () => {
        const assignments = () =>
            d.resources
                .filter((r) => r.type === 'Microsoft.Authorization/roleAssignments')
                .map((r) => ({
                    scope: r.scope!,
                    principalId: r.properties['principalId'] as string,
                    role: (r.properties['roleDefinitionId'] as string).split('/').pop()!,
                }));

        it('only the rotator identity and the system topic identity get roles (no standing deployer access)', () => {
            const rotator = d.outputs['ROTATOR_IDENTITY_PRINCIPAL_ID'];
            const others = assignments().filter((a) => a.principalId !== rotator);
            const topic = only(d, 'Microsoft.EventGrid/systemTopics');
            expect(others).toEqual([
                expect.objectContaining({
                    scope: `${storage.id}/blobServices/default/containers/eventgrid-deadletter`,
                }),
            ]);
            expect(topic.identity).toEqual({ type: 'SystemAssigned' });
        });

        it('each operation in the table is granted to the rotator on the resource it acts on', () => {
            const rotator = d.outputs['ROTATOR_IDENTITY_PRINCIPAL_ID'];
            const resourceIds: Record<string, string> = {
                storage: storage.id,
                vault: only(d, 'Microsoft.KeyVault/vaults').id,
                topic: only(d, 'Microsoft.EventGrid/topics').id,
                appInsights: only(d, 'Microsoft.Insights/components').id,
            };
            const mine = assignments().filter((a) => a.principalId === rotator);
            const missing = operationsTable().filter(
                (op) => !mine.some((a) => a.scope === resourceIds[op.resource] && grants(a.role, op.dataAction)),
            );
            expect(missing).toEqual([]);
            // Nothing broader: every assignment is on one of those resources (never a group or subscription) and
            // is needed by at least one operation.
            for (const a of mine) {
                expect(Object.values(resourceIds), a.role).toContain(a.scope);
                const needed = operationsTable().some(
                    (op) => resourceIds[op.resource] === a.scope && grants(a.role, op.dataAction),
                );
                expect(needed, `role ${a.role} on ${a.scope} serves no operation`).toBe(true);
            }
        });

        it('infra/README.md lists the same operation -> role -> scope table', () => {
            const fromReadme = readmeOperationsTable(read('infra/README.md'));
            expect(fromReadme).toEqual(
                operationsTable().map((op) => ({ operation: op.operation, role: op.roleName, scope: op.scopeLabel })),
            );
        });

        it('the role table knows every role the template assigns', () => {
            for (const a of assignments()) expect(Object.keys(ROLE_DATA_ACTIONS), a.role).toContain(a.role);
            expect(Object.keys(DATA_ACTION_OPERATIONS).length).toBeGreaterThan(0);
        });
    });

    it("every value an azd hook requires is one azd has: a main.bicep output, a value a hook sets, or azd's own", () => {
        // azd passes its environment (its own values and the template's outputs) to hooks; nothing else exists.
        const azdOwn = ['AZURE_ENV_NAME', 'AZURE_SUBSCRIPTION_ID', 'AZURE_PRINCIPAL_ID', 'AZURE_PRINCIPAL_TYPE'];
        const scripts = [
            'preprovision',
            'postprovision',
            'postdeploy',
            'postdown',
            'dashboard-sign-in',
            'grant-graph-permissions',
        ];
        const text = scripts.map((n) => read(`infra/scripts/${n}.sh`)).join('\n');
        const setByHooks = [...text.matchAll(/azd env set (\w+)/g)].map((m) => m[1]!);
        const required = [...text.replace(/\\\n\s*/g, ' ').matchAll(/^require_env ([\w ]+)$/gm)].flatMap((m) =>
            m[1]!.trim().split(/\s+/),
        );
        expect(required).toContain('AZURE_FUNCTION_APP_HOSTNAME');
        for (const name of required) {
            expect([...Object.keys(d.outputs), ...setByHooks, ...azdOwn], name).toContain(name);
        }
        expect(d.outputs['AZURE_FUNCTION_APP_HOSTNAME']).toMatch(
            /^func-rotator-[a-z0-9]+-[0-9a-f]{8}\.westeurope-01\.azurewebsites\.net$/,
        );
    });

    describe('Key Vault events reach the function the app registers, after the code exists', () => {
        it('main.bicep creates no event subscription (the function does not exist before the code deploy)', () => {
            expect(d.resources.filter((r) => r.type.toLowerCase().includes('eventsubscriptions'))).toEqual([]);
        });

        it('the postdeploy template targets the Event Grid function registered in functions/', () => {
            const sub = evaluateTemplate(
                template('infra/app/keyVaultEvents.bicep'),
                {
                    systemTopicName: d.outputs['KEY_VAULT_SYSTEM_TOPIC_NAME']!,
                    functionAppName: d.outputs['AZURE_FUNCTION_APP_NAME']!,
                    storageAccountName: d.outputs['AZURE_STORAGE_ACCOUNT_NAME']!,
                    deadLetterContainerName: d.outputs['DEAD_LETTER_CONTAINER_NAME']!,
                },
                { subscriptionId: DEPLOYMENT_CONTEXT.subscriptionId, resourceGroup: 'rg-dev', location: 'westeurope' },
            );
            const subscription = only(sub, 'Microsoft.EventGrid/systemTopics/eventSubscriptions');
            const destination = subscription.properties['destination'] as {
                endpointType: string;
                properties: { resourceId: string };
            };
            const site = only(d, 'Microsoft.Web/sites');
            const match = /^(.*)\/functions\/([^/]+)$/.exec(destination.properties.resourceId);
            expect(match?.[1]).toBe(site.id);
            const registered = [
                ...read(`functions/${match?.[2]}.ts`).matchAll(/app(?:\.client)?\.eventGrid\(\s*'([^']+)'/g),
            ].map((m) => m[1]);
            expect(registered).toEqual([match?.[2]]);
            expect(subscription.properties['filter']).toMatchObject({
                includedEventTypes: ['Microsoft.KeyVault.SecretNearExpiry', 'Microsoft.KeyVault.SecretExpired'],
            });
        });

        it('azd deploys it from the postdeploy hook, every time', () => {
            const hook = read('infra/scripts/postdeploy.sh');
            expect(hook).toContain('app/keyVaultEvents.bicep');
            expect(hook).not.toMatch(/ROTATOR_WIRE_KEY_VAULT_EVENTS/);
        });
    });
});

describe('the operations table covers every SDK call of the adapters', () => {
    const methodsOf = (...classes: { prototype: object }[]) =>
        classes.flatMap((c) => {
            const names: string[] = [];
            for (
                let p: object | null = c.prototype;
                p && p !== Object.prototype;
                p = Object.getPrototypeOf(p) as object | null
            ) {
                names.push(...Object.getOwnPropertyNames(p).filter((n) => n !== 'constructor'));
            }
            return names;
        });
    const blob = methodsOf(BlockBlobClient, BlobClient, ContainerClient).filter((n) => !/^get\w*Client$/.test(n));
    it.each([
        ['shared/adapters/keyVaultSecrets.ts', methodsOf(SecretClient)],
        ['shared/adapters/keyVaultManagedIndex.ts', methodsOf(SecretClient)],
        ['shared/adapters/blobStateStore.ts', blob],
        ['shared/adapters/blobText.ts', blob],
        ['shared/adapters/eventGridNotifier.ts', methodsOf(EventGridPublisherClient)],
    ])('%s', (file, sdk) => {
        expect(sdk.length).toBeGreaterThan(0);
        expect(unmappedSdkCalls(file, sdk)).toEqual([]);
    });

    it('every module that talks to a data-plane SDK is scanned', () => {
        const sdk = /from '@azure\/(storage-blob|storage-queue|data-tables|keyvault-secrets|eventgrid)'/;
        const scanned = new Set([...Object.keys(DATA_ACTION_OPERATIONS), 'shared/adapters/secretClients.ts']);
        const users = ['shared', 'functions'].flatMap((dir) =>
            readdirSync(join(repoRoot, dir), { recursive: true, encoding: 'utf8' })
                .filter((f) => f.endsWith('.ts'))
                .map((f) => `${dir}/${f}`)
                .filter((f) => sdk.test(read(f))),
        );
        expect(users.filter((f) => !scanned.has(f))).toEqual([]);
    });

    it('an unmapped call is reported', () => {
        expect(
            unmappedSdkCalls('shared/adapters/keyVaultSecrets.ts', ['getSecret', 'beginDeleteSecret', 'notCalled']),
        ).toEqual([]);
        expect(unmappedSdkCalls('shared/adapters/eventGridNotifier.ts', ['send', 'map'])).toEqual(['map']);
    });
});
