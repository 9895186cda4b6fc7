import { type ChildProcess } from 'node:child_process';
import { createWriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { ensurePrivateDir, writePrivateFile } from '../emulator/core/ownerOnly';
import { vaultResourceId } from '../emulator/keyvault/vault';
import { REPO_ROOT, spawnTrustingEmulator, stopChild } from './childProcess';
import { type PublishedKeys } from '../host/src/http/keys';
import { type EmulatorClient } from './emulatorClient';
import { type SeededTenant } from './seedTenant';

export const WEBHOOK_SIGNING_KEY_FOR_SANDBOX = 'sandbox-webhook-signing-key-0123456789';

export interface AppHostOptions {
    readonly emulator: EmulatorClient;
    readonly tenant: SeededTenant;
    /** Everything the app and the local host persist: durable state, app state, logs, settings. */
    readonly hostStateDir: string;
    readonly port?: number;
    /** The consumer refresh configuration (written to a file the app reads). */
    readonly consumers?: object;
    /** Overrides of app settings. */
    readonly settings?: Readonly<Record<string, string>>;
}

export interface AppHost {
    readonly baseUrl: string;
    /** The host's master and system keys (from its ready line; also in `<hostStateDir>/durable/secrets/host.json`). */
    readonly keys: PublishedKeys;
    readonly process: ChildProcess;
    readonly logFile: string;
    readonly settings: Readonly<Record<string, string>>;
    close(): Promise<void>;
}

/** App settings for running the product against the tenant emulator. */
export function sandboxSettings(options: AppHostOptions): Record<string, string> {
    const d = options.emulator.descriptor;
    const consumersFile = join(options.hostStateDir, 'consumers.json');
    return {
        FUNCTIONS_WORKER_RUNTIME: 'node',
        TASKHUB_NAME: 'EntraRotatorSandbox',
        ENTRA_TENANT_ID: d.tenantId,
        ENTRA_AUTHORITY_HOST: d.authorityHost,
        GRAPH_BASE_URL: d.graphBaseUrl,
        // As in Azure: the rotator signs in as its user-assigned managed identity through the App Service
        // identity endpoint (the emulator serves it); the app holds no secret of its own.
        ROTATOR_AUTH_MODE: 'managed-identity',
        AZURE_CLIENT_ID: options.tenant.rotator.clientId,
        IDENTITY_ENDPOINT: d.managedIdentity.endpoint,
        IDENTITY_HEADER: d.managedIdentity.header,
        ALLOW_LOCAL_ENDPOINTS: 'true',
        KEY_VAULT_URL: d.vaultUrl,
        KEY_VAULT_EVENT_TOPICS: vaultResourceId(d.baseUrl),
        EVENT_GRID_TOPIC_ENDPOINT: d.eventGrid.topicEndpoint,
        EVENT_GRID_TOPIC_KEY: d.eventGrid.topicKey,
        OPERATOR_API_AUDIENCE: options.tenant.api.identifierUri,
        // The emulator serves Resource Manager too; the audience stays the public cloud's.
        RESOURCE_MANAGER_URL: d.baseUrl,
        OPERATOR_API_CLIENT_ID: options.tenant.api.appId,
        // The dashboard signs the sandbox operator user in to the operator API registration itself.
        ...(options.tenant.user ? { DASHBOARD_CLIENT_ID: options.tenant.api.appId } : {}),
        // Scans run when asked (POST /admin/functions/scanCredentials); a fast virtual clock would otherwise fire
        // the daily schedule every few seconds.
        SCAN_SCHEDULE: '0 0 0 1 1 *',
        STATE_STORE_LOCATION: join(options.hostStateDir, 'app-state'),
        CLOCK_SOURCE_URL: `${d.baseUrl}/_emulator/clock`,
        CONSUMERS_CONFIG_LOCATION: consumersFile,
        CONSUMER_WEBHOOK_SIGNING_KEY: WEBHOOK_SIGNING_KEY_FOR_SANDBOX,
        ...(options.settings ?? {}),
    };
}

/**
 * Starts the local Functions host running this app in a child process (it must start with
 * NODE_EXTRA_CA_CERTS to trust the emulator), following the emulator's virtual clock. Resolves on the
 * host's ready line; its output goes to `<hostStateDir>/host.log`.
 */
export async function startAppHost(options: AppHostOptions): Promise<AppHost> {
    ensurePrivateDir(options.hostStateDir);
    const settings = sandboxSettings(options);
    writeFileSync(
        join(options.hostStateDir, 'consumers.json'),
        JSON.stringify(options.consumers ?? { consumers: [] }, null, 2),
    );
    const settingsFile = join(options.hostStateDir, 'local.settings.json');
    // The rotator's own client secret and the topic key: owner-only, like the emulator's state.
    writePrivateFile(settingsFile, JSON.stringify({ IsEncrypted: false, Values: settings }, null, 2));
    const logFile = join(options.hostStateDir, 'host.log');
    const log = createWriteStream(logFile, { flags: 'a' });
    const child = spawnTrustingEmulator(
        'test/host/cli.ts',
        [
            '--settings',
            settingsFile,
            '--app',
            REPO_ROOT,
            '--entry',
            'functions/index.ts',
            '--port',
            String(options.port ?? 0),
            '--state',
            join(options.hostStateDir, 'durable'),
            '--clock-url',
            `${options.emulator.descriptor.baseUrl}/_emulator/clock`,
        ],
        options.emulator.descriptor.caCertPath,
        ['ignore', 'pipe', 'pipe'],
    );
    child.stderr?.pipe(log);
    const { baseUrl, keys } = await new Promise<{ baseUrl: string; keys: PublishedKeys }>((resolveReady, reject) => {
        const timer = setTimeout(() => reject(new Error(`host not ready in 60 s; see ${logFile}`)), 60_000);
        const lines = createInterface({ input: child.stdout! });
        lines.on('line', (line) => {
            try {
                const parsed = JSON.parse(line) as { ready?: boolean; baseUrl?: string } & Partial<PublishedKeys>;
                if (parsed.ready && parsed.baseUrl && parsed.masterKey && parsed.systemKeys) {
                    clearTimeout(timer);
                    // The keys stay out of the log.
                    log.write(`${JSON.stringify({ ready: true, baseUrl: parsed.baseUrl })}\n`);
                    resolveReady({
                        baseUrl: parsed.baseUrl,
                        keys: { masterKey: parsed.masterKey, systemKeys: parsed.systemKeys },
                    });
                    return;
                }
            } catch {
                // not the ready line
            }
            log.write(`${line}\n`);
        });
        child.once('exit', (code) => {
            clearTimeout(timer);
            reject(new Error(`host exited with ${code} before it was ready; see ${logFile}`));
        });
    });
    return {
        baseUrl,
        keys,
        process: child,
        logFile,
        settings,
        close: () => stopChild(child, log, 5_000),
    };
}
