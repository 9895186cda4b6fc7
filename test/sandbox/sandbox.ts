import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { dirname, join, resolve } from 'node:path';

import { randomSeed, REALISTIC_DELAYS } from '../emulator/core/delays';
import { productionVaultProfile } from '../emulator/keyvault/model';
import { startEmulator } from '../emulator/core/server';
import { type AppHost, startAppHost, WEBHOOK_SIGNING_KEY_FOR_SANDBOX } from './appHost';
import { ensureAppServiceSites, siteResourceId } from './appServiceSites';
import { type RunningConsumer, startConsumer } from './consumerProcess';
import { EmulatorClient } from './emulatorClient';
import { enrollSeeded } from './enroll';
import { registerDashboardRedirect, type SeededTenant, seedTenant } from './seedTenant';
import { SANDBOX_APPS } from './tenantSpec';
import { secretsFile } from '../host/src/http/keys';
import { startAzurite } from '../support/azurite';

export interface SandboxOptions {
    /** Everything the sandbox keeps; reused across restarts unless `reset`. */
    readonly stateDir: string;
    readonly reset?: boolean;
    readonly seed?: boolean;
    /** Virtual seconds per real second (3600 = one hour per second). */
    readonly clockRate?: number;
    readonly hostPort?: number;
    /**
     * Where the app keeps its state: a folder (default) or, as in Azure, a blob container, here on Azurite
     * (Microsoft's storage emulator) reached with the app's managed identity token.
     */
    readonly stateStore?: 'file' | 'azurite';
    /** Seed of the emulator's random delays (default: a fresh one, printed and in the ready line). */
    readonly delaySeed?: number;
    /** Progress lines for humans (stderr in --json mode). */
    readonly log?: (line: string) => void;
}

export interface Sandbox {
    readonly emulator: Awaited<ReturnType<typeof startEmulator>>;
    readonly emu: EmulatorClient;
    readonly tenant: SeededTenant;
    readonly host: AppHost;
    readonly consumers: readonly RunningConsumer[];
    readonly stateDir: string;
    readonly hostStateDir: string;
    /** The contract object of `npm start -- --json`. */
    readonly readyLine: Record<string, unknown>;
    stop(): Promise<void>;
}

const CLOCK_TICK_MS = 250;

/**
 * The whole product on one machine: tenant emulator (persistent), the app on the local Functions host, two
 * consumers in the style of seed 000's Teams agent (one reads the latest secret version, one is pinned to a
 * version), Key Vault events wired to the app, and a virtual clock that runs fast so grace periods pass while
 * you watch.
 */
export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
    const log = options.log ?? (() => undefined);
    const stateDir = resolve(options.stateDir);
    if (options.reset) rmSync(stateDir, { recursive: true, force: true });
    const emulatorDir = join(stateDir, 'emulator');
    const hostStateDir = join(stateDir, 'host');
    mkdirSync(hostStateDir, { recursive: true });

    log('starting the tenant emulator');
    const emulator = await startEmulatorOnStablePort(emulatorDir, log);
    const emu = new EmulatorClient(emulator, emulator.caCertPem);
    const cleanup: (() => Promise<void>)[] = [() => emulator.close()];
    try {
        const delaySeed = options.delaySeed ?? randomSeed();
        log(`delays as in a real tenant, drawn with seed ${delaySeed} (replay: --delay-seed ${delaySeed})`);
        await emu.expectOk(
            emu.call('POST', '/_emulator/faults', {
                // SDK token caches count on the wall clock while the business clock runs fast.
                tokenLifetimeClock: 'wall',
                // A new secret takes seconds (sometimes minutes) to work, Graph reads lag writes by seconds and
                // sign-ins reach the log after minutes, as in a real tenant (test/emulator/README.md).
                ...REALISTIC_DELAYS,
                delaySeed,
            }),
            'configuring the emulator',
        );
        // The vault as deployed: purge protection on, so stash names stay soft-deleted and get recovered.
        await emu.expectOk(
            emu.call('POST', '/_emulator/keyVault/vault', productionVaultProfile()),
            'configuring the vault',
        );
        // The tenant (principals, apps) lives in the emulator's own storage, secrets included, like a real tenant.
        const tenantFile = join(emulatorDir, 'sandbox-tenant.json');
        let tenant: SeededTenant;
        const freshTenant = !existsSync(tenantFile);
        if (!freshTenant) {
            tenant = JSON.parse(readFileSync(tenantFile, 'utf8')) as SeededTenant;
            log('reusing the seeded tenant');
        } else {
            log(
                options.seed === false
                    ? 'creating an empty tenant'
                    : `seeding ${SANDBOX_APPS.length} app registrations`,
            );
            tenant = await seedTenant(emu, options.seed === false ? [] : SANDBOX_APPS);
            writeFileSync(tenantFile, JSON.stringify(tenant), { mode: 0o600 });
        }

        const stateStoreUrl =
            options.stateStore === 'azurite' ? await startStateContainer(emu, stateDir, log, cleanup) : undefined;

        const consumers: RunningConsumer[] = [];
        const consumerConfig: { consumers: object[] } = { consumers: [] };
        const healthyApp = tenant.apps.find((a) => a.displayName === 'payroll-agent');
        const pinnedApp = tenant.apps.find((a) => a.displayName === 'teams-agent');
        const logDir = join(hostStateDir, 'consumers');
        mkdirSync(logDir, { recursive: true });
        const start = async (name: string, app: NonNullable<typeof healthyApp>, pinnedVersion?: string) => {
            const consumer = await startConsumer(emu, tenant, {
                name,
                app,
                signingKey: WEBHOOK_SIGNING_KEY_FOR_SANDBOX,
                signInIntervalMs: 200,
                logDir,
                ...(pinnedVersion ? { pinnedVersion } : {}),
            });
            consumers.push(consumer);
            cleanup.push(() => consumer.close());
            return consumer;
        };
        // Both agents also run as App Service apps whose settings reference their secrets (seed 000's setup).
        const pinnedVersion = pinnedApp?.secretName
            ? await pinnedVersionOf(emu, pinnedApp.secretName, stateDir)
            : undefined;
        await ensureAppServiceSites(emu, tenant, emulator.vaultUrl, [
            ...(healthyApp?.secretName ? [{ name: 'payroll-agent', secretName: healthyApp.secretName }] : []),
            ...(pinnedApp?.secretName && pinnedVersion
                ? [{ name: 'teams-agent', secretName: pinnedApp.secretName, pinnedVersion }]
                : []),
        ]);
        if (healthyApp?.secretName) {
            log('starting consumer payroll-agent (reads the latest secret version)');
            const c = await start('payroll-agent', healthyApp);
            consumerConfig.consumers.push({
                vaultUrl: emulator.vaultUrl,
                secretName: healthyApp.secretName,
                refresh: [
                    { name: 'payroll-agent', type: 'webhook', url: `${c.url}/refresh`, onFailure: 'abort' },
                    {
                        name: 'payroll-agent-health',
                        type: 'probe',
                        url: `${c.url}/health`,
                        intervalSeconds: 60,
                        maxWaitSeconds: 3600,
                    },
                    // Its App Service setting references the secret without a version: refreshed, then confirmed.
                    { name: 'payroll-agent-app', type: 'appService', resourceId: siteResourceId('payroll-agent') },
                ],
            });
        }
        if (pinnedApp?.secretName) {
            const pinned = pinnedVersion ?? '';
            log(
                `starting consumer teams-agent (pinned to secret version ${pinned.slice(0, 8)}…, the seed-000 mistake)`,
            );
            const c = await start('teams-agent', pinnedApp, pinned);
            consumerConfig.consumers.push({
                vaultUrl: emulator.vaultUrl,
                secretName: pinnedApp.secretName,
                // Its owners believed a reload webhook was enough; its App Service setting pins the version, which
                // preflight reads through Resource Manager and refuses before anything is created.
                refresh: [
                    { name: 'teams-agent', type: 'webhook', url: `${c.url}/refresh`, onFailure: 'abort' },
                    { name: 'teams-agent-app', type: 'appService', resourceId: siteResourceId('teams-agent') },
                ],
            });
        }

        log('starting the app on the local Functions host');
        const host = await startAppHost({
            emulator: emu,
            tenant,
            hostStateDir,
            port: options.hostPort ?? 7071,
            consumers: consumerConfig,
            settings: {
                SCAN_SCHEDULE: '0 0 */6 * * *',
                GRACE_PERIOD_DAYS: '2',
                USAGE_GATE_RECHECK_HOURS: '6',
                USAGE_GATE_MAX_CHECKS: '3',
                ...(stateStoreUrl ? { STATE_STORE_LOCATION: stateStoreUrl } : {}),
            },
        });
        cleanup.push(() => host.close());
        await registerDashboardRedirect(emu, tenant, `${host.baseUrl}/api/dashboard`);
        if (freshTenant && tenant.apps.some((a) => a.secretName)) {
            // Tags never make a secret managed: an operator enrolls each one, here through the same API.
            log('enrolling the managed secrets through the operator API (Rotation.Admin)');
            const { clientId, clientSecret, scope } = tenant.operator;
            await enrollSeeded(host.baseUrl, await emu.token(clientId, clientSecret, scope), tenant.apps);
        }

        // Key Vault's NearExpiry/Expired events reach the app the way Event Grid delivers them in Azure.
        await emu.expectOk(
            emu.call('POST', '/_emulator/eventGrid/subscriptions', {
                // As in Azure, the subscription URL carries the Event Grid extension's system key.
                endpointUrl: `${host.baseUrl}/runtime/webhooks/EventGrid?functionName=onKeyVaultEvent&code=${encodeURIComponent(host.keys.systemKeys.eventgrid_extension)}`,
                includedEventTypes: ['Microsoft.KeyVault.SecretNearExpiry', 'Microsoft.KeyVault.SecretExpired'],
            }),
            'subscribing the app to Key Vault events',
        );

        const rate = options.clockRate ?? 3600;
        let ticking = false;
        const ticker = setInterval(() => {
            if (ticking || rate <= 0) return;
            ticking = true;
            emu.advanceClock((rate * CLOCK_TICK_MS) / 1000)
                .catch(() => undefined)
                .finally(() => (ticking = false));
        }, CLOCK_TICK_MS);
        cleanup.push(() => {
            clearInterval(ticker);
            return Promise.resolve();
        });
        // The first scan now rather than at the next scheduled tick.
        const firstScan = await fetch(`${host.baseUrl}/admin/functions/scanCredentials`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-functions-key': host.keys.masterKey },
            body: '{}',
        });
        if (firstScan.status !== 202) throw new Error(`firing the first scan failed: ${firstScan.status}`);

        const readyLine = {
            ready: true,
            apiBaseUrl: `${host.baseUrl}/api`,
            dashboardUrl: `${host.baseUrl}/api/dashboard`,
            emulator: {
                baseUrl: emulator.baseUrl,
                tenantId: emulator.tenantId,
                authorityHost: emulator.authorityHost,
                graphBaseUrl: emulator.graphBaseUrl,
                vaultUrl: emulator.vaultUrl,
                caCertPath: emulator.caCertPath,
                eventGrid: emulator.eventGrid,
                principals: emulator.principals,
            },
            operator: tenant.operator,
            ...(tenant.user ? { signIn: { userPrincipalName: tenant.user.userPrincipalName } } : {}),
            rotator: { clientId: tenant.rotator.clientId, servicePrincipalId: tenant.rotator.servicePrincipalId },
            stateDir,
            hostStateDir,
            delays: { seed: delaySeed, ...REALISTIC_DELAYS },
            stateStore: stateStoreUrl ?? join(hostStateDir, 'app-state'),
            // The host's master and system keys (owner-only), for calling its admin and webhook routes by hand.
            hostKeysFile: secretsFile(join(hostStateDir, 'durable')),
        };
        let stopped = false;
        return {
            emulator,
            emu,
            tenant,
            host,
            consumers,
            stateDir,
            hostStateDir,
            readyLine,
            stop: async () => {
                if (stopped) return;
                stopped = true;
                await runCleanup(cleanup);
            },
        };
    } catch (error) {
        await runCleanup(cleanup);
        throw error;
    }
}

/**
 * Azurite (blob service, HTTPS with the emulator's own certificate, bearer tokens only, blobs kept under the state
 * folder) and the app's state container, created as infra creates it in Azure. Returns the container URL.
 */
async function startStateContainer(
    emu: EmulatorClient,
    stateDir: string,
    log: (line: string) => void,
    cleanup: (() => Promise<void>)[],
): Promise<string> {
    log('starting Azurite for the state store (blob container, managed identity tokens)');
    const azurite = await startAzurite({
        tlsDir: dirname(emu.descriptor.caCertPath),
        location: join(stateDir, 'azurite'),
    });
    cleanup.push(() => azurite.stop());
    const containerUrl = `${azurite.accountUrl}/rotator-state`;
    const token = await emu.adminToken('https://storage.azure.com/.default');
    const status = await new Promise<number>((resolveStatus, reject) => {
        const req = request(
            `${containerUrl}?restype=container`,
            {
                method: 'PUT',
                ca: readFileSync(emu.descriptor.caCertPath, 'utf8'),
                headers: { authorization: `Bearer ${token}`, 'x-ms-version': '2021-08-06', 'content-length': '0' },
            },
            (res) => {
                res.resume();
                res.on('end', () => resolveStatus(res.statusCode ?? 0));
            },
        );
        req.on('error', reject);
        req.end();
    });
    // 201 created, 409 ContainerAlreadyExists (a restart on the same state folder).
    if (status !== 201 && status !== 409) throw new Error(`creating the state container failed: HTTP ${status}`);
    return containerUrl;
}

async function runCleanup(steps: (() => Promise<void>)[]): Promise<void> {
    for (const step of [...steps].reverse()) {
        await step().catch(() => undefined);
    }
}

/**
 * The emulator's origin is its token issuer and its vault URL: keeping the port across restarts keeps open
 * dashboards signed in (the `iss` claim still matches) and rotation ids stable (they contain the vault host).
 * If another process took the port meanwhile, a new one is used and the change is said out loud.
 */
async function startEmulatorOnStablePort(
    stateDir: string,
    log: (line: string) => void,
): Promise<Awaited<ReturnType<typeof startEmulator>>> {
    const previous = previousEmulatorPort(stateDir);
    if (previous !== undefined) {
        try {
            return await startEmulator({ stateDir, persist: true, port: previous });
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
            log(`port ${previous} is taken: the emulator moves to a new port (open pages must sign in again)`);
        }
    }
    return startEmulator({ stateDir, persist: true });
}

function previousEmulatorPort(stateDir: string): number | undefined {
    try {
        const descriptor = JSON.parse(readFileSync(join(stateDir, 'emulator.json'), 'utf8')) as { baseUrl?: string };
        const port = Number(new URL(descriptor.baseUrl ?? '').port);
        return Number.isInteger(port) && port > 0 ? port : undefined;
    } catch {
        return undefined;
    }
}

/** The version the pinned consumer reads: the first one it ever saw, remembered across restarts. */
async function pinnedVersionOf(emu: EmulatorClient, secretName: string, stateDir: string): Promise<string> {
    const file = join(stateDir, 'emulator', 'pinned-version.txt');
    if (existsSync(file)) return readFileSync(file, 'utf8').trim();
    const token = await emu.adminToken('https://vault.azure.net/.default');
    const res = await emu.call<{ id: string }>('GET', `/secrets/${secretName}?api-version=7.5`, undefined, {
        authorization: `Bearer ${token}`,
    });
    const version = res.body.id.split('/').pop() ?? '';
    writeFileSync(file, version);
    return version;
}
