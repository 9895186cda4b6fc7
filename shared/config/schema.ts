import { Cron } from 'croner';
import { z } from 'zod';

import { CLOUD_NAMES } from './clouds';

/**
 * Every app setting the rotator reads, in one schema. `local.settings.sample.json` and the Bicep must list
 * each name (a test checks). `sensitive` settings are never echoed, not even in validation errors.
 */
const trimmed = z.preprocess((v) => (typeof v === 'string' ? v.trim() : v), z.string());
const httpsUrl = trimmed.pipe(z.url({ protocol: /^https$/ })).transform((v) => v.replace(/\/+$/, ''));
const guid = trimmed.pipe(z.guid());
const intIn = (min: number, max: number) =>
    trimmed.pipe(z.string().regex(/^\d+$/)).transform(Number).pipe(z.number().int().min(min).max(max));
const bool = trimmed.pipe(z.enum(['true', 'false', '1', '0'])).transform((v) => v === 'true' || v === '1');
const list = <T extends z.ZodType<unknown, string>>(item: T) =>
    trimmed
        .transform((v) =>
            v
                .split(',')
                .map((s) => s.trim())
                .filter((s) => s.length > 0),
        )
        .pipe(z.array(item));
const ncrontab = trimmed.refine((v) => v.split(/\s+/).length === 6 && isCron(v), {
    message: 'must be a six-field NCRONTAB expression (second minute hour day month weekday)',
});

function isCron(pattern: string): boolean {
    try {
        new Cron(pattern, { paused: true, timezone: 'UTC' }).stop();
        return true;
    } catch {
        return false;
    }
}

const SettingsObject = z.object({
    // Identity and endpoints.
    ENTRA_TENANT_ID: guid,
    // One cloud setting selects the Entra, Graph and Key Vault endpoints (clouds.json); the two hosts below
    // override it only for a local emulator.
    AZURE_CLOUD: trimmed.pipe(z.enum(CLOUD_NAMES)).default('AzureCloud'),
    ENTRA_AUTHORITY_HOST: httpsUrl.optional(),
    GRAPH_BASE_URL: httpsUrl.optional(),
    ROTATOR_AUTH_MODE: trimmed.pipe(z.enum(['managed-identity', 'client-secret'])).default('managed-identity'),
    AZURE_CLIENT_ID: guid.optional(),
    AZURE_CLIENT_SECRET: trimmed.pipe(z.string().min(1)).optional(),
    ALLOW_LOCAL_ENDPOINTS: bool.default(false),
    // Key Vault.
    KEY_VAULT_URL: httpsUrl,
    ADDITIONAL_KEY_VAULT_URLS: list(z.url({ protocol: /^https$/ })).default([]),
    KEY_VAULT_EVENT_TOPICS: list(z.string().min(1)).default([]),
    // Azure Resource Manager (App Service consumers): endpoint and token audience; default: AZURE_CLOUD's.
    RESOURCE_MANAGER_URL: httpsUrl.optional(),
    RESOURCE_MANAGER_AUDIENCE: trimmed.pipe(z.url({ protocol: /^https$/ })).optional(),
    /** Optional discovery: `/subscriptions/<id>` or `/subscriptions/<id>/resourceGroups/<name>`, comma-separated. */
    APP_SERVICE_DISCOVERY_SCOPES: list(
        z.string().regex(/^\/subscriptions\/[0-9a-fA-F-]{36}(\/resourceGroups\/[-\w._()]{1,90})?$/, {
            message: 'each scope must be /subscriptions/<id> or /subscriptions/<id>/resourceGroups/<name>',
        }),
    ).default([]),
    // Notifications.
    EVENT_GRID_TOPIC_ENDPOINT: httpsUrl,
    EVENT_GRID_TOPIC_KEY: trimmed.pipe(z.string().min(1)).optional(),
    // Operator API.
    // Identifier URI (the audience of v1.0 tokens) and client id (the audience of v2.0 tokens) of the API app.
    OPERATOR_API_AUDIENCE: trimmed.pipe(z.string().min(1)),
    OPERATOR_API_CLIENT_ID: guid.optional(),
    // The dashboard's sign-in (a single-page-app redirect URI on this app registration); empty: paste a token.
    DASHBOARD_CLIENT_ID: guid.optional(),
    // Schedule and policy.
    SCAN_SCHEDULE: ncrontab.default('0 0 2 * * *'),
    ROTATE_BEFORE_DAYS: intIn(1, 365).default(30),
    ALERT_THRESHOLD_DAYS: list(
        z.string().regex(/^\d+$/).transform(Number).pipe(z.number().int().min(1).max(365)),
    ).default([30, 7]),
    GRACE_PERIOD_DAYS: intIn(0, 365).default(7),
    NEW_CREDENTIAL_LIFETIME_DAYS: intIn(1, 3650).default(180),
    MAX_CREDENTIAL_LIFETIME_DAYS: intIn(1, 3650).optional(),
    MAX_CREDENTIALS_PER_APP: intIn(2, 100).default(5),
    // Verification and the usage gate.
    PROPAGATION_TIMEOUT_SECONDS: intIn(0, 3600).default(300),
    SIGNIN_LOG_LATENCY_MINUTES: intIn(0, 1440).default(30),
    TOKEN_LIFETIME_MINUTES: intIn(5, 1440).default(90),
    USAGE_GATE_RECHECK_HOURS: intIn(1, 720).default(24),
    USAGE_GATE_MAX_CHECKS: intIn(1, 100).default(3),
    // Pacing: the share of each documented quota (Graph writes, sign-in reads, vault writes) rotations may use.
    QUOTA_SHARE_PERCENT: intIn(1, 100).default(100),
    // Consumers.
    CONSUMERS_CONFIG_LOCATION: trimmed.pipe(z.string().min(1)).optional(),
    CONSUMER_WEBHOOK_SIGNING_KEY: trimmed.pipe(z.string().min(16)).optional(),
    // History: how long finished rotations' records are kept (an auditor's year and then some; dry runs less).
    HISTORY_RETENTION_DAYS: intIn(30, 3650).default(400),
    HISTORY_DRY_RUN_RETENTION_DAYS: intIn(1, 3650).default(30),
    // Operations.
    STATE_STORE_LOCATION: trimmed.pipe(z.string().min(1)).default('.state/rotator'),
    CLOCK_SOURCE_URL: trimmed.pipe(z.url({ protocol: /^https?$/ })).optional(),
    ROTATION_PAUSED: bool.default(false),
    TASKHUB_NAME: trimmed.pipe(z.string().regex(/^[A-Za-z][A-Za-z0-9]{2,44}$/)).default('EntraRotator'),
});

export const SettingsSchema = SettingsObject.superRefine((s, ctx) => {
    if (s.ROTATOR_AUTH_MODE === 'client-secret') {
        for (const name of ['AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET'] as const) {
            if (s[name] === undefined) {
                ctx.addIssue({
                    code: 'custom',
                    path: [name],
                    message: 'required when ROTATOR_AUTH_MODE is client-secret',
                });
            }
        }
    }
});

export type Settings = z.output<typeof SettingsSchema>;
export type SettingName = keyof z.input<typeof SettingsSchema>;

/** Settings whose values must never be printed. */
export const SENSITIVE_SETTINGS: ReadonlySet<SettingName> = new Set<SettingName>([
    'AZURE_CLIENT_SECRET',
    'EVENT_GRID_TOPIC_KEY',
    'CONSUMER_WEBHOOK_SIGNING_KEY',
]);

/** Every setting name, for the sample-settings and Bicep consistency tests. */
export const SETTING_NAMES: readonly SettingName[] = Object.keys(SettingsObject.shape) as SettingName[];
