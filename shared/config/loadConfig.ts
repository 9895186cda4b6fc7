import { configError } from '../errors/RotatorError';
import { createPolicy, type RotationPolicy } from '../domain/policy';
import { Secret } from '../security/Secret';
import { type CloudEndpoints, type CloudName, cloudEndpoints } from './clouds';
import { SENSITIVE_SETTINGS, type SettingName, type Settings, SettingsSchema } from './schema';

export interface AppConfig {
    readonly tenantId: string;
    /** The cloud whose endpoints, token scopes and token issuers apply (AZURE_CLOUD). */
    readonly cloud: { readonly name: CloudName } & CloudEndpoints;
    /** Entra authority host: the cloud's, or ENTRA_AUTHORITY_HOST (a local emulator). */
    readonly authorityHost: string;
    /** Microsoft Graph host: the cloud's, or GRAPH_BASE_URL (a local emulator). */
    readonly graphBaseUrl: string;
    /** Token scopes of the resources the rotator calls, from the cloud (an emulator answers the real ones). */
    readonly scopes: { readonly graph: string; readonly keyVault: string };
    readonly identity:
        | { readonly mode: 'managed-identity'; readonly clientId: string | undefined }
        | { readonly mode: 'client-secret'; readonly clientId: string; readonly clientSecret: Secret };
    /** Endpoints on loopback are allowed (sandbox and tests only): enables the SDK options they need. */
    readonly localEndpoints: boolean;
    readonly keyVault: {
        readonly defaultVaultUrl: string;
        readonly vaultUrls: readonly string[];
        readonly eventTopics: readonly string[];
    };
    /** Resource Manager (App Service consumers and discovery): endpoint, token scope, discovery scopes. */
    readonly resourceManager: {
        readonly endpoint: string;
        readonly scope: string;
        readonly discoveryScopes: readonly string[];
    };
    readonly eventGrid: { readonly topicEndpoint: string; readonly topicKey: Secret | undefined };
    /**
     * Identifier URI (v1.0 token audience) and client id (v2.0 token audience) of the operator API app, and the
     * client id the dashboard signs in with (unset: the dashboard asks for a pasted token).
     */
    readonly operatorApi: {
        readonly audience: string;
        readonly clientId: string | undefined;
        readonly dashboardClientId: string | undefined;
    };
    readonly scanSchedule: string;
    readonly policy: RotationPolicy;
    readonly verification: { readonly propagationTimeoutSeconds: number };
    /** Retention of finished rotations' history records, in days (dry runs apart). */
    readonly history: { readonly days: number; readonly dryRunDays: number };
    readonly usageGate: {
        readonly signInLogLatencyMinutes: number;
        readonly tokenLifetimeMinutes: number;
        readonly recheckHours: number;
        readonly maxChecks: number;
    };
    readonly consumers: { readonly configLocation: string | undefined; readonly webhookSigningKey: Secret | undefined };
    /** Fraction (0–1] of each documented quota this deployment paces itself to. */
    readonly quotaShare: number;
    readonly paused: boolean;
    readonly taskHubName: string;
    /** A directory (local host, sandbox) or an https blob container URL (Azure). */
    readonly stateStoreLocation: string;
    /** Sandbox only: follow the tenant emulator's virtual clock instead of the system clock. */
    readonly clockSourceUrl: string | undefined;
}

/**
 * Hostnames as `new URL` normalises them (`127.1` → `127.0.0.1`, `[::ffff:127.0.0.1]` → `[::ffff:7f00:1]`):
 * localhost and its subdomains (RFC 6761, with or without the root dot), 127/8, the unspecified addresses
 * (which connect locally) and IPv6 loopback, plain or IPv4-mapped.
 */
const LOOPBACK =
    /^(?:(?:[a-z0-9-]+\.)*localhost\.?|127(?:\.\d{1,3}){3}|0\.0\.0\.0|\[::1?\]|\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\])$/i;
const ENDPOINT_SETTINGS = [
    'ENTRA_AUTHORITY_HOST',
    'GRAPH_BASE_URL',
    'KEY_VAULT_URL',
    'EVENT_GRID_TOPIC_ENDPOINT',
    'RESOURCE_MANAGER_URL',
] as const;

/**
 * Parses and validates every setting at once. Errors name each bad setting and what is wrong with it, and
 * never echo a value: some settings are secrets, and a typo'd value can be one too.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): AppConfig {
    const parsed = SettingsSchema.safeParse(withoutEmptyStrings(env));
    if (!parsed.success) {
        const names = new Set<string>();
        const details: string[] = [];
        for (const issue of parsed.error.issues) {
            const name = String(issue.path[0] ?? '(settings)');
            names.add(name);
            details.push(`${name}: ${describeIssue(issue.code, issue.message)}`);
        }
        throw configError([...names], details);
    }
    const s = parsed.data;
    const loopback: string[] = ENDPOINT_SETTINGS.filter((name) => {
        const value = s[name];
        return value !== undefined && LOOPBACK.test(new URL(value).hostname);
    });
    if (s.ADDITIONAL_KEY_VAULT_URLS.some((url) => LOOPBACK.test(new URL(url).hostname))) {
        loopback.push('ADDITIONAL_KEY_VAULT_URLS');
    }
    // An unresolved App Service Key Vault reference arrives as its own text: refuse it instead of using it as a key.
    const unresolved = [...SENSITIVE_SETTINGS].filter((name) => /^@Microsoft\.KeyVault\(/i.test(String(s[name] ?? '')));
    if (unresolved.length > 0) {
        throw configError(unresolved, [
            'is an unresolved Key Vault reference; check the app identity can read the secret',
        ]);
    }
    if (s.CLOCK_SOURCE_URL !== undefined && !s.ALLOW_LOCAL_ENDPOINTS) {
        throw configError(['CLOCK_SOURCE_URL'], ['is for local sandboxes only and needs ALLOW_LOCAL_ENDPOINTS=true']);
    }
    if (loopback.length > 0 && !s.ALLOW_LOCAL_ENDPOINTS) {
        throw configError(loopback, [
            'points at a loopback address; set ALLOW_LOCAL_ENDPOINTS=true only for local sandboxes',
        ]);
    }
    return Object.freeze(toAppConfig(s, loopback.length > 0));
}

function toAppConfig(s: Settings, localEndpoints: boolean): AppConfig {
    let policy: RotationPolicy;
    try {
        policy = createPolicy({
            rotateBeforeDays: s.ROTATE_BEFORE_DAYS,
            alertThresholdDays: s.ALERT_THRESHOLD_DAYS,
            gracePeriodDays: s.GRACE_PERIOD_DAYS,
            newCredentialLifetimeDays: s.NEW_CREDENTIAL_LIFETIME_DAYS,
            maxCredentialLifetimeDays: s.MAX_CREDENTIAL_LIFETIME_DAYS,
            maxCredentialsPerApp: s.MAX_CREDENTIALS_PER_APP,
        });
    } catch (error) {
        const names: SettingName[] = [
            'NEW_CREDENTIAL_LIFETIME_DAYS',
            'MAX_CREDENTIAL_LIFETIME_DAYS',
            'ROTATE_BEFORE_DAYS',
        ];
        throw configError(names, [error instanceof Error ? error.message : 'inconsistent policy']);
    }
    const identity: AppConfig['identity'] =
        s.ROTATOR_AUTH_MODE === 'client-secret' &&
        s.AZURE_CLIENT_ID !== undefined &&
        s.AZURE_CLIENT_SECRET !== undefined
            ? { mode: 'client-secret', clientId: s.AZURE_CLIENT_ID, clientSecret: new Secret(s.AZURE_CLIENT_SECRET) }
            : { mode: 'managed-identity', clientId: s.AZURE_CLIENT_ID };
    const vaultUrls = [...new Set([s.KEY_VAULT_URL, ...s.ADDITIONAL_KEY_VAULT_URLS.map((u) => u.replace(/\/+$/, ''))])];
    const cloud = { name: s.AZURE_CLOUD, ...cloudEndpoints(s.AZURE_CLOUD) };
    return {
        tenantId: s.ENTRA_TENANT_ID,
        cloud,
        authorityHost: s.ENTRA_AUTHORITY_HOST ?? cloud.authorityHost,
        graphBaseUrl: s.GRAPH_BASE_URL ?? cloud.graph,
        scopes: { graph: `${cloud.graph}/.default`, keyVault: `${cloud.keyVault}/.default` },
        identity,
        localEndpoints,
        keyVault: { defaultVaultUrl: s.KEY_VAULT_URL, vaultUrls, eventTopics: s.KEY_VAULT_EVENT_TOPICS },
        resourceManager: {
            endpoint: s.RESOURCE_MANAGER_URL ?? cloud.resourceManager,
            scope: `${(s.RESOURCE_MANAGER_AUDIENCE ?? cloud.resourceManager).replace(/\/+$/, '')}/.default`,
            discoveryScopes: s.APP_SERVICE_DISCOVERY_SCOPES,
        },
        eventGrid: { topicEndpoint: s.EVENT_GRID_TOPIC_ENDPOINT, topicKey: optionalSecret(s.EVENT_GRID_TOPIC_KEY) },
        operatorApi: {
            audience: s.OPERATOR_API_AUDIENCE,
            clientId: s.OPERATOR_API_CLIENT_ID,
            dashboardClientId: s.DASHBOARD_CLIENT_ID,
        },
        scanSchedule: s.SCAN_SCHEDULE,
        policy,
        verification: { propagationTimeoutSeconds: s.PROPAGATION_TIMEOUT_SECONDS },
        usageGate: {
            signInLogLatencyMinutes: s.SIGNIN_LOG_LATENCY_MINUTES,
            tokenLifetimeMinutes: s.TOKEN_LIFETIME_MINUTES,
            recheckHours: s.USAGE_GATE_RECHECK_HOURS,
            maxChecks: s.USAGE_GATE_MAX_CHECKS,
        },
        history: { days: s.HISTORY_RETENTION_DAYS, dryRunDays: s.HISTORY_DRY_RUN_RETENTION_DAYS },
        quotaShare: s.QUOTA_SHARE_PERCENT / 100,
        consumers: {
            configLocation: s.CONSUMERS_CONFIG_LOCATION,
            webhookSigningKey: optionalSecret(s.CONSUMER_WEBHOOK_SIGNING_KEY),
        },
        paused: s.ROTATION_PAUSED,
        taskHubName: s.TASKHUB_NAME,
        stateStoreLocation: s.STATE_STORE_LOCATION,
        clockSourceUrl: s.CLOCK_SOURCE_URL,
    };
}

function optionalSecret(value: string | undefined): Secret | undefined {
    return value === undefined ? undefined : new Secret(value);
}

/** Empty strings mean "not set" (the way Functions app settings are usually cleared). */
function withoutEmptyStrings(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(env)) {
        if (value !== undefined && value.trim() !== '') out[key] = value;
    }
    return out;
}

/** Zod messages describe the rule; the few that could quote input are replaced by their code. */
function describeIssue(code: string, message: string): string {
    if (code === 'invalid_type' && /received undefined/.test(message)) return 'required';
    if (code === 'invalid_type') return 'wrong type';
    if (code === 'invalid_value') return 'not one of the allowed values';
    return message.replace(/received .*/i, '').trim() || code;
}
