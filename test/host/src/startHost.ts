import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { HttpClock, ManualClock, RealClock, type ClockSource } from './clock/clock';
import { Scheduler } from './clock/scheduler';
import { setSystemLogSink, type FunctionRegistry } from './core/coreShim';
import { Invoker, jsonData, type LogRecord, type LogSink } from './core/invoke';
import { loadApp } from './core/loadApp';
import { Chaos } from './durable/chaos';
import { DurableRuntime } from './durable/runtime';
import { InstanceStore, TERMINAL, type InstanceRecord, type RuntimeStatus } from './durable/store';
import { handleAdmin } from './http/admin';
import { durableClientData, handleDurableApi, RPC_BASE, WEBHOOK_BASE, type ClientUrls } from './http/durableApi';
import { handleEventGrid } from './http/eventGrid';
import { HttpTriggerRouter } from './http/httpTriggers';
import { hostKeys, loadOrCreateSecrets, presentedKey, systemAuthorized, type PublishedKeys } from './http/keys';
import { pathOf, sendText } from './http/util';
import { applySettings, readHostJson, readSettingsValues } from './settings';
import { TimerTriggers } from './triggers/timerTriggers';

const DAY = 24 * 3600_000;

export interface HostOptions {
    /** Folder with the app's package.json / host.json. */
    appRoot: string;
    /** Entry file (JS or TS) relative to appRoot; defaults to package.json `main`. */
    entry?: string;
    /** local.settings.json whose `Values` go into process.env (existing variables win, as with `func start`). */
    settingsFile?: string;
    /** Settings applied with override (for in-process tests). */
    settings?: Record<string, string>;
    /** 7071 by default; 0 picks a free port. Always bound to 127.0.0.1. */
    port?: number;
    /** Where instances and histories persist; omitted = memory only. */
    stateDir?: string;
    /** A clock source, `{ manual: start }` for a test-driven clock, or the emulator clock URL. */
    clock?: ClockSource | { manual: Date | number } | { url: string; pollMs?: number; ca?: string };
    /** Azure Storage provider values by default: 6 days / 3 days. */
    timers?: { maxShortTimerMs: number; longTimerIntervalMs: number };
    /** Concurrent activity executions; the Durable default `maxConcurrentActivityFunctions` is 10 × cores. */
    activityConcurrency?: number;
    activityFailureDetails?: boolean;
    /** Page size of the instance query API when the client passes no `top`. */
    pageSize?: number;
    /** Schedule timer triggers (default true). */
    timerTriggers?: boolean;
    logSink?: LogSink;
    /** Called when a chaos switch crashes the host (the CLI kills its own process here). */
    onCrash?: () => void;
}

export interface Host {
    baseUrl: string;
    port: number;
    /** The master and system keys (also in `<stateDir>/secrets/host.json` when a state folder is given). */
    keys: PublishedKeys;
    registry: FunctionRegistry;
    runtime: DurableRuntime;
    clock: ClockSource;
    chaos: Chaos;
    invoker: Invoker;
    logs: LogRecord[];
    /** Resolves when a chaos switch simulated a crash; the host is then dead (state on disk is what survived). */
    crashed: Promise<void>;
    /** Fire a non-HTTP function now (what `POST /admin/functions/<name>` does). */
    fire(name: string, input?: string): Promise<void>;
    /** Waits until the instance reaches one of the statuses (polling; throws after timeoutMs). */
    waitForStatus(id: string, statuses: RuntimeStatus[], timeoutMs?: number): Promise<InstanceRecord>;
    /** Waits until no episode, delivery or activity is in flight. */
    idle(): Promise<void>;
    close(): Promise<void>;
}

function makeClock(option: HostOptions['clock']): ClockSource {
    if (!option) return new RealClock();
    if ('manual' in option) return new ManualClock(option.manual);
    if ('url' in option) return new HttpClock(option.url, option.pollMs, option.ca);
    return option;
}

export async function startHost(options: HostOptions): Promise<Host> {
    const appRoot = path.resolve(options.appRoot);
    if (options.settingsFile) applySettings(readSettingsValues(options.settingsFile), false);
    if (options.settings) applySettings(options.settings, true);
    const logs: LogRecord[] = [];
    const sink: LogSink = (r) => {
        logs.push(r);
        options.logSink?.(r);
    };
    setSystemLogSink((level, message) => sink({ level, category: 'system', message }));
    const onError = (name: string, err: unknown): void =>
        sink({
            level: 'error',
            category: 'system',
            message: `Executed '${name}' (Failed): ${err instanceof Error ? err.message : String(err)}`,
        });

    const { registry } = await loadApp(appRoot, options.entry);
    const { routePrefix, hubName } = readHostJson(appRoot);
    const keys = hostKeys(process.env, loadOrCreateSecrets(options.stateDir));
    // The extension builds management URLs with its own system key, never the master key.
    const urls: ClientUrls = {
        baseUrl: '',
        taskHub: hubName,
        requiredQuery: `code=${encodeURIComponent(keys.system.durabletask_extension)}`,
    };
    const invoker = new Invoker(registry, sink, (_fn, _binding, type) =>
        type === 'durableClient' || type === 'orchestrationClient' ? jsonData(durableClientData(urls)) : undefined,
    );
    const clock = makeClock(options.clock);
    const scheduler = new Scheduler(clock);
    const chaos = new Chaos();
    let signalCrash: () => void = () => {};
    const crashed = new Promise<void>((resolve) => (signalCrash = resolve));
    const runtime = new DurableRuntime({
        store: new InstanceStore(options.stateDir),
        clock,
        scheduler,
        invoker,
        registry,
        chaos,
        timers: options.timers ?? { maxShortTimerMs: 6 * DAY, longTimerIntervalMs: 3 * DAY },
        activityConcurrency: options.activityConcurrency ?? 10 * os.availableParallelism(),
        activityFailureDetails: options.activityFailureDetails ?? false,
        onCrash: () => {
            signalCrash();
            options.onCrash?.();
        },
        log: (message) => sink({ level: 'warning', category: 'system', message }),
    });
    const timers = new TimerTriggers(registry, invoker, clock, scheduler, onError);
    const http = new HttpTriggerRouter(registry, invoker, keys, routePrefix);
    http.onError = (fn, err) => onError(fn.name, err);

    const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
        const url = new URL(req.url ?? '/', urls.baseUrl || 'http://localhost');
        const segments = pathOf(url);
        const lower = segments.map((s) => s.toLowerCase());
        const hook = WEBHOOK_BASE.split('/').filter(Boolean);
        if (lower[0] === 'admin') {
            if (presentedKey(req, url) !== keys.master) return sendText(res, 401);
            return handleAdmin(req, res, segments.slice(1), { registry, invoker, timers, chaos, clock, onError });
        }
        if (lower.slice(0, 3).join('/') === 'runtime/webhooks/eventgrid') {
            if (!systemAuthorized(keys, 'eventgrid_extension', presentedKey(req, url))) return sendText(res, 401);
            return handleEventGrid(req, res, url, registry, invoker, onError);
        }
        const pageSize = options.pageSize ?? 100;
        if (hook.every((s, i) => lower[i] === s)) {
            if (!systemAuthorized(keys, 'durabletask_extension', presentedKey(req, url))) return sendText(res, 401);
            return handleDurableApi(req, res, url, segments.slice(hook.length), runtime, urls, pageSize);
        }
        // The client binding's rpcBaseUrl: the extension serves it on a loopback-only listener without keys.
        if (lower[0] === RPC_BASE.slice(1)) {
            return handleDurableApi(req, res, url, segments.slice(1), runtime, urls, pageSize);
        }
        if (!(await http.handle(req, res, url, segments))) sendText(res, 404);
    };
    const server: Server = createServer((req, res) => {
        route(req, res).catch((err: unknown) => {
            onError('host', err);
            if (!res.headersSent) sendText(res, 500, 'Internal host error');
            else res.end();
        });
    });
    await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 7071, '127.0.0.1', () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    urls.baseUrl = `http://localhost:${port}`;
    // getClient() rewrites management URLs to localhost:7071 unless WEBSITE_HOSTNAME is set (durable-functions 3.x).
    process.env.WEBSITE_HOSTNAME = `localhost:${port}`;

    await invoker.runAppHook('appStart', { functionAppDirectory: appRoot });
    runtime.recover();
    if (options.timerTriggers !== false) await timers.start(process.env);

    const closeServer = (): Promise<void> =>
        new Promise((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
        });
    void crashed.then(() => {
        timers.close();
        void closeServer();
    });

    return {
        baseUrl: urls.baseUrl,
        port,
        keys: { masterKey: keys.master, systemKeys: keys.system },
        registry,
        runtime,
        clock,
        chaos,
        invoker,
        logs,
        crashed,
        async fire(name, input) {
            const fn = registry.get(name);
            if (!fn) throw new Error(`No function named '${name}'.`);
            if (fn.trigger.type.toLowerCase() === 'timertrigger') return timers.fire(fn, false);
            await invoker.invoke(fn, { triggerData: input === undefined ? undefined : { string: input } });
        },
        async waitForStatus(id, statuses, timeoutMs = 10_000) {
            const deadline = Date.now() + timeoutMs;
            for (;;) {
                const record = runtime.store.get(id);
                if (record && statuses.includes(record.runtimeStatus)) return record;
                if (record && TERMINAL.has(record.runtimeStatus) && !statuses.some((s) => TERMINAL.has(s))) {
                    throw new Error(`Instance ${id} ended ${record.runtimeStatus}: ${record.output ?? ''}`);
                }
                if (Date.now() > deadline) {
                    throw new Error(
                        `Instance ${id} is ${record?.runtimeStatus ?? 'missing'}, wanted ${statuses.join('/')}`,
                    );
                }
                await new Promise((r) => setTimeout(r, 10));
            }
        },
        idle: () => runtime.idle(),
        async close() {
            timers.close();
            runtime.close();
            scheduler.close();
            clock.close();
            await invoker.runAppHook('appTerminate').catch(() => undefined);
            await closeServer();
        },
    };
}
