import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { randomSeed, REALISTIC_DELAYS } from '../../emulator/core/delays';
import { productionVaultProfile } from '../../emulator/keyvault/model';
import { startEmulator } from '../../emulator/core/server';
import { type AppHost, startAppHost, WEBHOOK_SIGNING_KEY_FOR_SANDBOX } from '../../sandbox/appHost';
import { type RunningConsumer, startConsumer } from '../../sandbox/consumerProcess';
import { EmulatorClient } from '../../sandbox/emulatorClient';
import { enrollSeeded } from '../../sandbox/enroll';
import {
    type AppSpec,
    registerDashboardRedirect,
    type SeededApp,
    type SeededTenant,
    seedTenant,
} from '../../sandbox/seedTenant';

/**
 * The clock runs 30 times faster than real time: a propagation delay of 4–18 s (at worst 120 s) passes in under a
 * real second (4 s), the 300 s verification deadline in 10 s, and a 1-day grace period still takes 48 real minutes,
 * so it passes only when a test moves the clock.
 */
const DEFAULT_CLOCK_RATE = 30;
const CLOCK_TICK_MS = 250;

export type RotationView = {
    id: string;
    status: string;
    secretName: string;
    appId: string | null;
    oldKeyId: string | null;
    newKeyId: string | null;
    newFingerprint: string | null;
    oldFingerprint: string | null;
    outcome: { code: string; message: string } | null;
    findings: { severity: string; code: string; message: string }[];
    steps: { name: string; state: string; at: string; detail: string }[];
};

export interface WorldOptions {
    readonly apps: readonly AppSpec[];
    readonly settings?: Readonly<Record<string, string>>;
    /** Simulated consumers to start before the host; returns the consumer configuration that names them. */
    readonly consumers?: (context: ConsumerContext) => Promise<object>;
    /** Emulator faults applied before the host starts (after the realistic delays, so they override them). */
    readonly faults?: object;
    /**
     * Opting out of the realistic delays (new-secret propagation, Graph read-after-write lag, sign-in log
     * ingestion): every delay 0. Give the reason; a world without it runs with the delays a real tenant has.
     */
    readonly noDelaysBecause?: string;
    /**
     * Virtual seconds per real second the emulator clock runs on its own (default 30), as time passes in Azure
     * while a rotation waits out a propagation delay; 0 freezes it (say why in the test).
     */
    readonly clockRate?: number;
    /** The vault's configuration (`/_emulator/keyVault/vault`); default: the production vault. */
    readonly vault?: object;
    /** Which seeded managed apps an operator enrolls once the host is up (default: all of them). */
    readonly enroll?: (app: SeededApp) => boolean;
}

export interface ConsumerContext {
    readonly start: (name: string, app: SeededApp, options?: { pinnedVersion?: string }) => Promise<RunningConsumer>;
    readonly tenant: SeededTenant;
    readonly app: (displayName: string) => SeededApp;
    readonly vaultUrl: string;
    /** The current version of a Key Vault secret (to pin a consumer to it). */
    readonly secretVersion: (name: string) => Promise<string>;
}

export interface ApiResult<T = unknown> {
    readonly status: number;
    readonly body: T;
    readonly text: string;
}

/**
 * One tenant emulator + the app on the local host, seeded with principals and apps. Every HTTP response the
 * tests see is kept (`responses`), so the canary test can sweep them.
 */
export class World {
    readonly responses: string[] = [];
    private ticker: NodeJS.Timeout | undefined;

    private constructor(
        readonly emulator: Awaited<ReturnType<typeof startEmulator>>,
        readonly emu: EmulatorClient,
        readonly tenant: SeededTenant,
        readonly hostStateDir: string,
        readonly root: string,
        public host: AppHost,
        private readonly options: WorldOptions,
        readonly consumers: RunningConsumer[],
        private readonly consumerConfig: object,
        /** The seed the emulator draws every delay from (`E2E_DELAY_SEED` replays a run). */
        readonly delaySeed: number,
    ) {}

    /** The delay knobs this world runs with (realistic unless the test opted out). */
    static delaysOf(options: Pick<WorldOptions, 'noDelaysBecause'>, delaySeed: number): object {
        if (options.noDelaysBecause !== undefined) {
            if (!options.noDelaysBecause.trim()) throw new Error('noDelaysBecause needs a reason');
            return { propagationDelaySeconds: 0, graphReplicationLagSeconds: 0, signInIngestionLatencySeconds: 0 };
        }
        return { ...REALISTIC_DELAYS, delaySeed };
    }

    /** Puts the world's delays back (after a test changed one through `/_emulator/faults`). */
    async restoreDelays(): Promise<void> {
        await this.emu.expectOk(
            this.emu.call('POST', '/_emulator/faults', World.delaysOf(this.options, this.delaySeed)),
            'restoring delays',
        );
    }

    static async start(options: WorldOptions): Promise<World> {
        const root = mkdtempSync(join(tmpdir(), 'rotator-e2e-'));
        const emulator = await startEmulator({ stateDir: join(root, 'emulator') });
        const emu = new EmulatorClient(emulator, emulator.caCertPem);
        const fromEnv = process.env['E2E_DELAY_SEED'];
        const delaySeed = fromEnv ? Number(fromEnv) : randomSeed();
        if (!Number.isInteger(delaySeed) || delaySeed < 0) throw new Error(`E2E_DELAY_SEED=${fromEnv} is not a seed`);
        // Printed so a failing run can be replayed with the same delays.
        console.log(`e2e world: delay seed ${delaySeed} (replay with E2E_DELAY_SEED=${delaySeed})`);
        await emu.expectOk(
            emu.call('POST', '/_emulator/faults', {
                // The app's SDK token caches run on the wall clock while tests move the virtual clock by days.
                tokenLifetimeClock: 'wall',
                ...World.delaysOf(options, delaySeed),
                ...(options.faults ?? {}),
            }),
            'faults',
        );
        // The deployed vault: purge-protected, with the service's soft-delete latencies.
        await emu.expectOk(
            emu.call('POST', '/_emulator/keyVault/vault', options.vault ?? productionVaultProfile()),
            'vault profile',
        );
        const tenant = await seedTenant(emu, options.apps);
        const hostStateDir = join(root, 'host');
        const consumers: RunningConsumer[] = [];
        const logDir = join(root, 'consumers');
        mkdirSync(logDir, { recursive: true });
        const start: ConsumerContext['start'] = async (name, app, extra = {}) => {
            const consumer = await startConsumer(emu, tenant, {
                name,
                app,
                signingKey: WEBHOOK_SIGNING_KEY_FOR_SANDBOX,
                signInIntervalMs: 250,
                logDir,
                ...extra,
            });
            consumers.push(consumer);
            return consumer;
        };
        const context: ConsumerContext = {
            start,
            tenant,
            vaultUrl: emulator.vaultUrl,
            app: (displayName) => {
                const found = tenant.apps.find((a) => a.displayName === displayName);
                if (!found) throw new Error(`no seeded app ${displayName}`);
                return found;
            },
            secretVersion: async (name) => {
                const token = await emu.adminToken('https://vault.azure.net/.default');
                const res = await emu.call<{ id: string }>('GET', `/secrets/${name}?api-version=7.5`, undefined, {
                    authorization: `Bearer ${token}`,
                });
                return res.body.id.split('/').pop() ?? '';
            },
        };
        const consumerConfig = (await options.consumers?.(context)) ?? { consumers: [] };
        const host = await startAppHost({
            emulator: emu,
            tenant,
            hostStateDir,
            settings: options.settings,
            consumers: consumerConfig,
        });
        await registerDashboardRedirect(emu, tenant, `${host.baseUrl}/api/dashboard`);
        const { clientId, clientSecret, scope } = tenant.operator;
        await enrollSeeded(
            host.baseUrl,
            await emu.token(clientId, clientSecret, scope),
            tenant.apps.filter((a) => options.enroll?.(a) ?? true),
            'test world',
        );
        const world = new World(
            emulator,
            emu,
            tenant,
            hostStateDir,
            root,
            host,
            options,
            consumers,
            consumerConfig,
            delaySeed,
        );
        world.startClock(options.clockRate ?? DEFAULT_CLOCK_RATE);
        return world;
    }

    /** Lets the virtual clock run on its own at `rate` virtual seconds per real second (0: frozen). */
    startClock(rate: number = DEFAULT_CLOCK_RATE): void {
        this.stopClock();
        if (rate <= 0) return;
        let ticking = false;
        this.ticker = setInterval(() => {
            if (ticking) return;
            ticking = true;
            this.emu
                .advanceClock((rate * CLOCK_TICK_MS) / 1000)
                .catch(() => undefined)
                .finally(() => (ticking = false));
        }, CLOCK_TICK_MS);
    }

    stopClock(): void {
        if (this.ticker) clearInterval(this.ticker);
        this.ticker = undefined;
    }

    app(displayName: string): SeededApp {
        const app = this.tenant.apps.find((a) => a.displayName === displayName);
        if (!app) throw new Error(`no seeded app ${displayName}`);
        return app;
    }

    /** Restarts the host on the same state directory (after a crash or a kill). */
    async restartHost(): Promise<void> {
        await this.host.close();
        this.host = await startAppHost({
            emulator: this.emu,
            tenant: this.tenant,
            hostStateDir: this.hostStateDir,
            settings: this.options.settings,
            consumers: this.consumerConfig,
        });
    }

    async operatorToken(): Promise<string> {
        const { clientId, clientSecret, scope } = this.tenant.operator;
        return this.emu.token(clientId, clientSecret, scope);
    }

    async api<T = unknown>(method: string, path: string, body?: unknown, token?: string | null): Promise<ApiResult<T>> {
        const bearer = token === undefined ? await this.operatorToken() : token;
        const response = await fetch(`${this.host.baseUrl}${path}`, {
            method,
            headers: {
                ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
                ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
            },
            ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
        });
        const text = await response.text();
        this.responses.push(text);
        let parsed: unknown = text;
        try {
            parsed = text ? JSON.parse(text) : undefined;
        } catch {
            parsed = text;
        }
        return { status: response.status, body: parsed as T, text };
    }

    async startRotation(secretName: string, extra: object = {}): Promise<string> {
        const res = await this.api<{ id: string }>('POST', '/api/rotations', { secretName, ...extra });
        if (res.status !== 202) throw new Error(`start failed: ${res.status} ${res.text}`);
        return res.body.id;
    }

    async rotation(id: string): Promise<RotationView> {
        const res = await this.api<RotationView>('GET', `/api/rotations/${encodeURIComponent(id)}`);
        if (res.status !== 200) throw new Error(`status failed: ${res.status} ${res.text}`);
        return res.body;
    }

    /**
     * Polls a rotation until it is terminal. When it waits on a durable timer (grace, usage re-checks), the virtual
     * clock is moved forward by `advanceSeconds`, so days pass in milliseconds.
     */
    async waitForRotation(
        id: string,
        options: { advanceSeconds?: number; timeoutMs?: number } = {},
    ): Promise<RotationView> {
        const deadline = Date.now() + (options.timeoutMs ?? 90_000);
        let view = await this.rotation(id);
        while (Date.now() < deadline) {
            if (!['Pending', 'Running'].includes(view.status)) return view;
            const waiting = view.steps.some((s) => s.state === 'waiting');
            if (waiting && options.advanceSeconds) await this.emu.advanceClock(options.advanceSeconds);
            await new Promise((r) => setTimeout(r, 250));
            view = await this.rotation(id);
        }
        throw new Error(
            `rotation ${id} did not finish: ${JSON.stringify(view.steps.map((s) => `${s.name}:${s.state}`))}`,
        );
    }

    /** The application's password credentials as the emulator holds them (metadata only). */
    async passwords(appId: string): Promise<{ keyId: string; displayName: string | null; endDateTime: string }[]> {
        const token = await this.emu.adminToken('https://graph.microsoft.com/.default');
        const res = await this.emu.call<{
            passwordCredentials: { keyId: string; displayName: string | null; endDateTime: string }[];
        }>('GET', `/v1.0/applications(appId='${appId}')?$select=passwordCredentials`, undefined, {
            authorization: `Bearer ${token}`,
        });
        return res.body.passwordCredentials;
    }

    /** The latest value of a Key Vault secret (admin read), or undefined. */
    async secretValue(
        name: string,
    ): Promise<{ value: string; version: string; tags: Record<string, string> } | undefined> {
        const token = await this.emu.adminToken('https://vault.azure.net/.default');
        const res = await this.emu.call<{ value: string; id: string; tags?: Record<string, string> }>(
            'GET',
            `/secrets/${name}?api-version=7.5`,
            undefined,
            { authorization: `Bearer ${token}` },
        );
        if (res.status !== 200) return undefined;
        return { value: res.body.value, version: res.body.id.split('/').pop() ?? '', tags: res.body.tags ?? {} };
    }

    /** CloudEvents the app published to its notification topic. */
    async events(): Promise<{ type: string; id: string; data: Record<string, unknown> }[]> {
        const res = await this.emu.call<{
            value: { event: { type?: string; id: string; data: Record<string, unknown> } }[];
        }>('GET', '/_emulator/events');
        this.responses.push(JSON.stringify(res.body));
        return res.body.value.map(({ event }) => ({ type: event.type ?? '', id: event.id, data: event.data }));
    }

    async close(): Promise<void> {
        this.stopClock();
        await Promise.all(this.consumers.map((c) => c.close()));
        await this.host.close();
        await this.emulator.close();
        if (!process.env.KEEP_E2E_STATE) rmSync(this.root, { recursive: true, force: true });
    }
}
