import { inspect } from 'node:util';

import { afterEach, describe, expect, it, vi } from 'vitest';

import {
    getConfig,
    loadConfig,
    resetConfigForTesting,
    SENSITIVE_SETTINGS,
    SETTING_NAMES,
} from '../../../../shared/config';
import { DEFAULT_POLICY } from '../../../../shared/domain/policy';
import { isRotatorError } from '../../../../shared/errors/RotatorError';
import { isSecret } from '../../../../shared/security/Secret';

const CANARY = 'CANARY-s3cr3t-value';
const TENANT = '11111111-1111-1111-1111-111111111111';
const CLIENT = '22222222-2222-2222-2222-222222222222';

const MINIMAL = Object.freeze({
    ENTRA_TENANT_ID: TENANT,
    KEY_VAULT_URL: 'https://kv-rotator.vault.azure.net/',
    EVENT_GRID_TOPIC_ENDPOINT: 'https://rotator.westeurope-1.eventgrid.azure.net/api/events',
    OPERATOR_API_AUDIENCE: 'api://entra-rotator',
});

type Env = Record<string, string | undefined>;

function configErrorOf(env: Env): Error {
    try {
        loadConfig(env);
    } catch (error) {
        expect(isRotatorError(error)).toBe(true);
        return error as Error;
    }
    throw new Error('expected loadConfig to throw');
}

describe('loadConfig: a valid minimal environment', () => {
    it('fills every default', () => {
        const config = loadConfig(MINIMAL);
        expect(config).toEqual({
            tenantId: TENANT,
            cloud: {
                name: 'AzureCloud',
                authorityHost: 'https://login.microsoftonline.com',
                graph: 'https://graph.microsoft.com',
                keyVault: 'https://vault.azure.net',
                issuerV1Host: 'https://sts.windows.net',
                issuerV2Host: 'https://login.microsoftonline.com',
                resourceManager: 'https://management.azure.com',
            },
            authorityHost: 'https://login.microsoftonline.com',
            graphBaseUrl: 'https://graph.microsoft.com',
            scopes: { graph: 'https://graph.microsoft.com/.default', keyVault: 'https://vault.azure.net/.default' },
            identity: { mode: 'managed-identity', clientId: undefined },
            localEndpoints: false,
            keyVault: {
                defaultVaultUrl: 'https://kv-rotator.vault.azure.net',
                vaultUrls: ['https://kv-rotator.vault.azure.net'],
                eventTopics: [],
            },
            resourceManager: {
                endpoint: 'https://management.azure.com',
                scope: 'https://management.azure.com/.default',
                discoveryScopes: [],
            },
            eventGrid: {
                topicEndpoint: 'https://rotator.westeurope-1.eventgrid.azure.net/api/events',
                topicKey: undefined,
            },
            operatorApi: { audience: 'api://entra-rotator', clientId: undefined },
            scanSchedule: '0 0 2 * * *',
            policy: DEFAULT_POLICY,
            verification: { propagationTimeoutSeconds: 300 },
            usageGate: { signInLogLatencyMinutes: 30, tokenLifetimeMinutes: 90, recheckHours: 24, maxChecks: 3 },
            history: { days: 400, dryRunDays: 30 },
            consumers: { configLocation: undefined, webhookSigningKey: undefined },
            quotaShare: 1,
            paused: false,
            taskHubName: 'EntraRotator',
            stateStoreLocation: '.state/rotator',
            clockSourceUrl: undefined,
        });
        expect(Object.isFrozen(config)).toBe(true);
        expect(Object.isFrozen(config.policy)).toBe(true);
    });

    it('derives hosts, token scopes and issuers from AZURE_CLOUD; the host settings override only the hosts', () => {
        const gov = loadConfig({ ...MINIMAL, AZURE_CLOUD: 'AzureUSGovernment' });
        expect(gov.graphBaseUrl).toBe('https://graph.microsoft.us');
        expect(gov.authorityHost).toBe('https://login.microsoftonline.us');
        expect(gov.scopes).toEqual({
            graph: 'https://graph.microsoft.us/.default',
            keyVault: 'https://vault.usgovcloudapi.net/.default',
        });
        const china = loadConfig({ ...MINIMAL, AZURE_CLOUD: 'AzureChinaCloud' });
        expect(china.graphBaseUrl).toBe('https://microsoftgraph.chinacloudapi.cn');
        expect(china.cloud.issuerV1Host).toBe('https://sts.chinacloudapi.cn');
        expect(china.resourceManager.endpoint).toBe('https://management.chinacloudapi.cn');
        expect(gov.resourceManager.scope).toBe('https://management.usgovcloudapi.net/.default');
        // An emulator replaces the hosts; the scopes stay those of the cloud it impersonates.
        const local = loadConfig({ ...MINIMAL, GRAPH_BASE_URL: 'https://graph.example.net' });
        expect(local.graphBaseUrl).toBe('https://graph.example.net');
        expect(local.scopes.graph).toBe('https://graph.microsoft.com/.default');
        expect(() => loadConfig({ ...MINIMAL, AZURE_CLOUD: 'AzureGermanCloud' })).toThrow(/AZURE_CLOUD/);
        expect(loadConfig({ ...MINIMAL, OPERATOR_API_CLIENT_ID: TENANT }).operatorApi.clientId).toBe(TENANT);
        expect(() => loadConfig({ ...MINIMAL, OPERATOR_API_CLIENT_ID: 'api://x' })).toThrow(/OPERATOR_API_CLIENT_ID/);
    });

    it('ignores settings it does not know', () => {
        expect(() => loadConfig({ ...MINIMAL, PATH: '/usr/bin', FUNCTIONS_WORKER_RUNTIME: 'node' })).not.toThrow();
    });

    it('reads every setting when given', () => {
        const config = loadConfig({
            ...MINIMAL,
            ENTRA_AUTHORITY_HOST: 'https://login.microsoftonline.us/',
            GRAPH_BASE_URL: 'https://graph.microsoft.us',
            ROTATOR_AUTH_MODE: 'managed-identity',
            AZURE_CLIENT_ID: CLIENT,
            ADDITIONAL_KEY_VAULT_URLS: ' https://kv-two.vault.azure.net/ , https://kv-rotator.vault.azure.net/,',
            KEY_VAULT_EVENT_TOPICS: 'topic-a, topic-b',
            SCAN_SCHEDULE: '0 30 1 * * MON-FRI',
            ROTATE_BEFORE_DAYS: '21',
            ALERT_THRESHOLD_DAYS: '7, 21, 14',
            GRACE_PERIOD_DAYS: '0',
            NEW_CREDENTIAL_LIFETIME_DAYS: '365',
            MAX_CREDENTIAL_LIFETIME_DAYS: '90',
            MAX_CREDENTIALS_PER_APP: '2',
            PROPAGATION_TIMEOUT_SECONDS: '0',
            SIGNIN_LOG_LATENCY_MINUTES: '60',
            TOKEN_LIFETIME_MINUTES: '5',
            USAGE_GATE_RECHECK_HOURS: '720',
            USAGE_GATE_MAX_CHECKS: '1',
            HISTORY_RETENTION_DAYS: '730',
            HISTORY_DRY_RUN_RETENTION_DAYS: '7',
            CONSUMERS_CONFIG_LOCATION: 'https://kv-rotator.vault.azure.net/secrets/consumers',
            ROTATION_PAUSED: '1',
            TASKHUB_NAME: 'RotatorHub2',
            STATE_STORE_LOCATION: 'https://strotator.blob.core.windows.net/state',
        });
        expect(config).toMatchObject({
            authorityHost: 'https://login.microsoftonline.us',
            graphBaseUrl: 'https://graph.microsoft.us',
            identity: { mode: 'managed-identity', clientId: CLIENT },
            keyVault: {
                vaultUrls: ['https://kv-rotator.vault.azure.net', 'https://kv-two.vault.azure.net'],
                eventTopics: ['topic-a', 'topic-b'],
            },
            scanSchedule: '0 30 1 * * MON-FRI',
            policy: {
                rotateBeforeDays: 21,
                alertThresholdDays: [21, 14, 7],
                gracePeriodDays: 0,
                newCredentialLifetimeDays: 365,
                maxCredentialLifetimeDays: 90,
                maxCredentialsPerApp: 2,
            },
            verification: { propagationTimeoutSeconds: 0 },
            usageGate: { signInLogLatencyMinutes: 60, tokenLifetimeMinutes: 5, recheckHours: 720, maxChecks: 1 },
            history: { days: 730, dryRunDays: 7 },
            consumers: { configLocation: 'https://kv-rotator.vault.azure.net/secrets/consumers' },
            paused: true,
            taskHubName: 'RotatorHub2',
            stateStoreLocation: 'https://strotator.blob.core.windows.net/state',
            clockSourceUrl: undefined,
        });
    });

    it('reads CLOCK_SOURCE_URL only in a local sandbox', () => {
        const url = 'http://127.0.0.1:7777/_emulator/clock';
        const error = configErrorOf({ ...MINIMAL, CLOCK_SOURCE_URL: url });
        expect(error.message).toContain('CLOCK_SOURCE_URL');
        expect(error.message).not.toContain('7777');
        expect(loadConfig({ ...MINIMAL, CLOCK_SOURCE_URL: url, ALLOW_LOCAL_ENDPOINTS: 'true' }).clockSourceUrl).toBe(
            url,
        );
    });

    it.each<[string, boolean]>([
        ['true', true],
        ['1', true],
        ['false', false],
        ['0', false],
    ])('ROTATION_PAUSED=%s → %s', (raw, expected) => {
        expect(loadConfig({ ...MINIMAL, ROTATION_PAUSED: raw }).paused).toBe(expected);
    });
});

describe('loadConfig: empty strings mean unset', () => {
    it('uses defaults for empty or blank optional settings', () => {
        const config = loadConfig({
            ...MINIMAL,
            ENTRA_AUTHORITY_HOST: '',
            ROTATE_BEFORE_DAYS: '   ',
            SCAN_SCHEDULE: '',
            EVENT_GRID_TOPIC_KEY: '',
            CONSUMER_WEBHOOK_SIGNING_KEY: ' ',
            AZURE_CLIENT_ID: '',
            MAX_CREDENTIAL_LIFETIME_DAYS: '',
            UNRELATED: undefined,
        });
        expect(config.authorityHost).toBe('https://login.microsoftonline.com');
        expect(config.policy.rotateBeforeDays).toBe(30);
        expect(config.policy.maxCredentialLifetimeDays).toBeUndefined();
        expect(config.scanSchedule).toBe('0 0 2 * * *');
        expect(config.eventGrid.topicKey).toBeUndefined();
        expect(config.consumers.webhookSigningKey).toBeUndefined();
        expect(config.identity).toEqual({ mode: 'managed-identity', clientId: undefined });
    });

    it('reports empty required settings as required', () => {
        const error = configErrorOf({ ...MINIMAL, ENTRA_TENANT_ID: '', OPERATOR_API_AUDIENCE: '  ' });
        expect(error.message).toContain('ENTRA_TENANT_ID: required');
        expect(error.message).toContain('OPERATOR_API_AUDIENCE: required');
    });
});

describe('loadConfig: errors', () => {
    it('names every missing required setting', () => {
        const error = configErrorOf({});
        for (const name of ['ENTRA_TENANT_ID', 'KEY_VAULT_URL', 'EVENT_GRID_TOPIC_ENDPOINT', 'OPERATOR_API_AUDIENCE']) {
            expect(error.message).toContain(`${name}: required`);
        }
        expect(error.message.startsWith('config_invalid: invalid or missing settings: ')).toBe(true);
    });

    const BAD: Env = {
        ENTRA_TENANT_ID: `${CANARY}-not-a-guid`,
        KEY_VAULT_URL: `http://${CANARY}.vault.azure.net`,
        GRAPH_BASE_URL: `not a url ${CANARY}`,
        ADDITIONAL_KEY_VAULT_URLS: `https://ok.vault.azure.net, ${CANARY}`,
        ROTATOR_AUTH_MODE: CANARY,
        ALLOW_LOCAL_ENDPOINTS: CANARY,
        CONSUMER_WEBHOOK_SIGNING_KEY: 'CANARY-s3cr3t', // sensitive, and too short
        SCAN_SCHEDULE: '*/5 * * * *',
        ROTATE_BEFORE_DAYS: CANARY,
        ALERT_THRESHOLD_DAYS: `30,${CANARY}`,
        GRACE_PERIOD_DAYS: '366',
        MAX_CREDENTIALS_PER_APP: '1',
        TOKEN_LIFETIME_MINUTES: '4',
        TASKHUB_NAME: `1${CANARY}`,
        ROTATION_PAUSED: 'yes',
        CLOCK_SOURCE_URL: `ftp://${CANARY}/clock`,
    };

    it('lists every bad setting name and never a value', () => {
        const error = configErrorOf({ ...MINIMAL, ...BAD });
        for (const name of Object.keys(BAD)) expect(error.message).toContain(`${name}: `);
        expect(error.message).not.toContain('CANARY');
        expect(error.message).not.toContain('s3cr3t');
        expect(JSON.stringify(error)).not.toContain('CANARY');
        expect(inspect(error)).not.toContain('CANARY');
    });

    it.each(Object.entries(BAD))('names %s on its own', (name, value) => {
        const error = configErrorOf({ ...MINIMAL, [name]: value });
        expect(error.message).toMatch(new RegExp(`^config_invalid: invalid or missing settings: ${name} \\(${name}: `));
        expect(error.message).not.toContain('CANARY');
    });

    it.each([
        ['5 fields', '*/5 * * * *'],
        ['7 fields', '0 0 2 * * * 2026'],
        ['hour 25', '0 0 25 * * *'],
        ['words', 'every day at two'],
    ])('SCAN_SCHEDULE must be 6-field NCRONTAB: %s', (_name, schedule) => {
        expect(configErrorOf({ ...MINIMAL, SCAN_SCHEDULE: schedule }).message).toContain(
            'SCAN_SCHEDULE: must be a six-field NCRONTAB expression',
        );
    });

    it.each(['0 */5 * * * *', '0 0 2 * * *', '0 0 2 * * MON-FRI', ' 0 0 2 * * * '])(
        'accepts schedule %j',
        (schedule) => {
            expect(loadConfig({ ...MINIMAL, SCAN_SCHEDULE: schedule }).scanSchedule).toBe(schedule.trim());
        },
    );
});

describe('loadConfig: identity', () => {
    it('client-secret mode requires AZURE_CLIENT_ID and AZURE_CLIENT_SECRET', () => {
        const error = configErrorOf({ ...MINIMAL, ROTATOR_AUTH_MODE: 'client-secret' });
        expect(error.message).toContain('AZURE_CLIENT_ID: required when ROTATOR_AUTH_MODE is client-secret');
        expect(error.message).toContain('AZURE_CLIENT_SECRET: required when ROTATOR_AUTH_MODE is client-secret');
    });

    it('client-secret mode names only what is missing', () => {
        const error = configErrorOf({ ...MINIMAL, ROTATOR_AUTH_MODE: 'client-secret', AZURE_CLIENT_SECRET: CANARY });
        expect(error.message).toContain('AZURE_CLIENT_ID');
        expect(error.message).not.toContain('AZURE_CLIENT_SECRET');
        expect(error.message).not.toContain('CANARY');
    });

    it('client-secret mode wraps the secret', () => {
        const config = loadConfig({
            ...MINIMAL,
            ROTATOR_AUTH_MODE: 'client-secret',
            AZURE_CLIENT_ID: CLIENT,
            AZURE_CLIENT_SECRET: CANARY,
        });
        if (config.identity.mode !== 'client-secret') throw new Error('expected client-secret mode');
        expect(config.identity.clientId).toBe(CLIENT);
        expect(isSecret(config.identity.clientSecret)).toBe(true);
        expect(config.identity.clientSecret.reveal()).toBe(CANARY);
    });

    it('managed identity ignores a stray client secret', () => {
        const config = loadConfig({ ...MINIMAL, AZURE_CLIENT_SECRET: CANARY });
        expect(config.identity).toEqual({ mode: 'managed-identity', clientId: undefined });
        expect(JSON.stringify(config)).not.toContain('CANARY');
    });
});

describe('loadConfig: secrets never print', () => {
    const env: Env = {
        ...MINIMAL,
        ROTATOR_AUTH_MODE: 'client-secret',
        AZURE_CLIENT_ID: CLIENT,
        AZURE_CLIENT_SECRET: `${CANARY}-client`,
        EVENT_GRID_TOPIC_KEY: `${CANARY}-topic`,
        CONSUMER_WEBHOOK_SIGNING_KEY: `${CANARY}-signing-key`,
    };

    it.each([...SENSITIVE_SETTINGS])('refuses an unresolved Key Vault reference in %s without echoing it', (name) => {
        const reference = `@Microsoft.KeyVault(SecretUri=https://kv-rotator.vault.azure.net/secrets/${CANARY}/)`;
        const error = configErrorOf({ ...env, [name]: reference });
        expect(error.message).toMatch(new RegExp(`^config_invalid: invalid or missing settings: ${name} \\(`));
        expect(error.message).not.toContain('CANARY');
        expect(error.message).not.toContain('SecretUri');
    });

    it('wraps every sensitive setting in a Secret', () => {
        const config = loadConfig(env);
        expect(config.identity.mode === 'client-secret' && isSecret(config.identity.clientSecret)).toBe(true);
        expect(isSecret(config.eventGrid.topicKey)).toBe(true);
        expect(config.eventGrid.topicKey?.reveal()).toBe(`${CANARY}-topic`);
        expect(isSecret(config.consumers.webhookSigningKey)).toBe(true);
        expect(config.consumers.webhookSigningKey?.reveal()).toBe(`${CANARY}-signing-key`);
    });

    it('JSON.stringify, util.inspect and string conversion of the config show none of them', () => {
        const config = loadConfig(env);
        const secrets =
            config.identity.mode === 'client-secret'
                ? [config.identity.clientSecret, config.eventGrid.topicKey, config.consumers.webhookSigningKey]
                : [];
        expect(secrets).toHaveLength(3);
        const texts = [
            JSON.stringify(config),
            inspect(config, { depth: 10, showHidden: true }),
            secrets.map((secret) => String(secret)).join(' '),
        ];
        for (const text of texts) {
            expect(text).not.toContain('CANARY');
            expect(text).toContain('[REDACTED]');
        }
        // Exactly one redaction per secret in the serialised form: nothing else was mistaken for one.
        expect(JSON.stringify(config).split('[REDACTED]')).toHaveLength(4);
    });

    it('the sensitive list names real settings', () => {
        expect(SENSITIVE_SETTINGS.size).toBe(3);
        for (const name of SENSITIVE_SETTINGS) expect(SETTING_NAMES).toContain(name);
        expect(SETTING_NAMES).toContain('ENTRA_TENANT_ID');
        expect(new Set(SETTING_NAMES).size).toBe(SETTING_NAMES.length);
    });
});

describe('loadConfig: Resource Manager', () => {
    it('takes the endpoint and audience of the cloud (the token scope is the audience + /.default)', () => {
        const config = loadConfig({
            ...MINIMAL,
            RESOURCE_MANAGER_URL: 'https://management.usgovcloudapi.net/',
            RESOURCE_MANAGER_AUDIENCE: 'https://management.core.usgovcloudapi.net/',
            APP_SERVICE_DISCOVERY_SCOPES: `/subscriptions/${TENANT}, /subscriptions/${CLIENT}/resourceGroups/rg-agents`,
        });
        expect(config.resourceManager).toEqual({
            endpoint: 'https://management.usgovcloudapi.net',
            scope: 'https://management.core.usgovcloudapi.net/.default',
            discoveryScopes: [`/subscriptions/${TENANT}`, `/subscriptions/${CLIENT}/resourceGroups/rg-agents`],
        });
    });

    it.each(['subscriptions/x', `/subscriptions/${TENANT}/providers/Microsoft.Web/sites/a`, '/tenants/x'])(
        'refuses the discovery scope %s',
        (scope) => {
            expect(configErrorOf({ ...MINIMAL, APP_SERVICE_DISCOVERY_SCOPES: scope }).message).toContain(
                'APP_SERVICE_DISCOVERY_SCOPES',
            );
        },
    );
});

describe('loadConfig: loopback endpoints', () => {
    it.each<[string, string]>([
        ['KEY_VAULT_URL', 'https://localhost:8443'],
        ['ENTRA_AUTHORITY_HOST', 'https://127.0.0.1:8443'],
        ['GRAPH_BASE_URL', 'https://[::1]:8443'],
        ['EVENT_GRID_TOPIC_ENDPOINT', 'https://LOCALHOST:9000/api/events'],
        ['KEY_VAULT_URL', 'https://localhost.:8443'],
        ['KEY_VAULT_URL', 'https://kv.localhost:8443'],
        ['KEY_VAULT_URL', 'https://127.1:8443'],
        ['KEY_VAULT_URL', 'https://2130706433:8443'],
        ['KEY_VAULT_URL', 'https://0.0.0.0:8443'],
        ['KEY_VAULT_URL', 'https://[::ffff:127.0.0.1]:8443'],
        ['ADDITIONAL_KEY_VAULT_URLS', 'https://kv-two.vault.azure.net,https://localhost:8444'],
        ['RESOURCE_MANAGER_URL', 'https://localhost:8443'],
    ])('refuses %s=%s unless ALLOW_LOCAL_ENDPOINTS=true', (name, url) => {
        const error = configErrorOf({ ...MINIMAL, [name]: url });
        expect(error.message).toContain(name);
        expect(error.message).toContain('ALLOW_LOCAL_ENDPOINTS=true');
        expect(configErrorOf({ ...MINIMAL, [name]: url, ALLOW_LOCAL_ENDPOINTS: 'false' }).message).toContain(name);

        const config = loadConfig({ ...MINIMAL, [name]: url, ALLOW_LOCAL_ENDPOINTS: 'true' });
        expect(config.localEndpoints).toBe(true);
    });

    it('names every loopback setting at once', () => {
        const error = configErrorOf({
            ...MINIMAL,
            KEY_VAULT_URL: 'https://localhost:1',
            GRAPH_BASE_URL: 'https://localhost:2',
        });
        expect(error.message).toContain('invalid or missing settings: GRAPH_BASE_URL, KEY_VAULT_URL (');
    });

    it.each(['https://localhost-kv.vault.azure.net', 'https://127.0.0.1.example.com', 'https://mylocalhost.example'])(
        'does not mistake %s for loopback',
        (url) => {
            expect(loadConfig({ ...MINIMAL, KEY_VAULT_URL: url }).localEndpoints).toBe(false);
        },
    );

    it('ALLOW_LOCAL_ENDPOINTS alone does not mark remote endpoints as local', () => {
        expect(loadConfig({ ...MINIMAL, ALLOW_LOCAL_ENDPOINTS: 'true' }).localEndpoints).toBe(false);
    });
});

describe('loadConfig: policy consistency', () => {
    it.each<[string, Env]>([
        ['lifetime inside the rotate window', { NEW_CREDENTIAL_LIFETIME_DAYS: '20' }],
        ['lifetime equal to the rotate window', { NEW_CREDENTIAL_LIFETIME_DAYS: '30' }],
        ['a tenant maximum that clamps into the window', { MAX_CREDENTIAL_LIFETIME_DAYS: '30' }],
        ['a rotate window longer than the lifetime', { ROTATE_BEFORE_DAYS: '200' }],
    ])('names the settings involved: %s', (_name, extra) => {
        const error = configErrorOf({ ...MINIMAL, ...extra });
        expect(error.message).toContain(
            'invalid or missing settings: NEW_CREDENTIAL_LIFETIME_DAYS, MAX_CREDENTIAL_LIFETIME_DAYS, ROTATE_BEFORE_DAYS',
        );
        expect(error.message).toContain('must exceed rotateBeforeDays');
    });

    it('accepts a clamped lifetime one day longer than the window', () => {
        const config = loadConfig({ ...MINIMAL, MAX_CREDENTIAL_LIFETIME_DAYS: '31' });
        expect(config.policy.maxCredentialLifetimeDays).toBe(31);
    });
});

describe('getConfig', () => {
    afterEach(() => {
        vi.unstubAllEnvs();
        resetConfigForTesting();
    });

    it('parses process.env once and caches until reset', () => {
        for (const [name, value] of Object.entries(MINIMAL)) vi.stubEnv(name, value);
        vi.stubEnv('ROTATE_BEFORE_DAYS', '10');
        resetConfigForTesting();
        const first = getConfig();
        expect(first.policy.rotateBeforeDays).toBe(10);

        vi.stubEnv('ROTATE_BEFORE_DAYS', '12');
        expect(getConfig()).toBe(first);

        resetConfigForTesting();
        expect(getConfig().policy.rotateBeforeDays).toBe(12);
    });
});
