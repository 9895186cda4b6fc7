import { mkdtempSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { startManagedIdentityEndpoint } from '../entra/managedIdentity';
import { TenantRuntime } from '../entra/runtime';
import { SigningKey } from '../entra/signing';
import { loadBootstrap } from './bootstrap';
import { ensureTlsMaterial } from './certs';
import { VirtualClock } from './clock';
import { type EmulatorContext } from './contract';
import { createDispatcher } from './dispatch';
import { FaultPlan } from './faults';
import { LimitTracker } from './limits';
import { type PersistedState, StateFile } from './persistence';
import { createServices } from './services';

export interface EmulatorOptions {
    /** 0 or absent: an ephemeral port. */
    readonly port?: number;
    /** Where the CA, certificate, signing key, identity and (optionally) state live. Default: a fresh temp dir. */
    readonly stateDir?: string;
    /** Keep the sandbox in `stateDir/state.json` so it survives a restart. */
    readonly persist?: boolean;
}

/** The ready line's object (the start contract in README.md). */
export interface EmulatorDescriptor {
    readonly ready: true;
    readonly baseUrl: string;
    readonly tenantId: string;
    readonly authorityHost: string;
    readonly graphBaseUrl: string;
    readonly vaultUrl: string;
    readonly caCertPath: string;
    readonly eventGrid: { readonly topicEndpoint: string; readonly topicKey: string };
    readonly principals: { readonly admin: { readonly clientId: string; readonly clientSecret: string } };
    /** App Service managed identity endpoint: the app's `IDENTITY_ENDPOINT` and `IDENTITY_HEADER`. */
    readonly managedIdentity: { readonly endpoint: string; readonly header: string };
}

export interface RunningEmulator extends EmulatorDescriptor {
    /** The state directory actually used (absolute). */
    readonly stateDir: string;
    /** PEM of the local CA, for in-process clients that take a `ca` option. */
    readonly caCertPem: string;
    close(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
    const stateDir = resolve(options.stateDir ?? mkdtempSync(join(tmpdir(), 'entra-emulator-')));
    const tls = await ensureTlsMaterial(stateDir);
    const bootstrap = loadBootstrap(stateDir);
    const clock = new VirtualClock();
    const runtime = new TenantRuntime(bootstrap, SigningKey.load(stateDir), clock);
    const faults = new FaultPlan();
    const services = createServices(runtime, faults);
    const limits = new LimitTracker();
    const collect = (): PersistedState => {
        const snapshots: Record<string, unknown> = {};
        for (const module of services.modules) snapshots[module.name] = module.snapshot();
        return { version: 1, clockOffsetSeconds: clock.offsetSeconds, services: snapshots };
    };
    const stateFile = options.persist ? new StateFile(stateDir, collect) : undefined;
    let origin = 'https://localhost';
    const context: EmulatorContext = {
        get origin() {
            return origin;
        },
        tenantId: bootstrap.tenantId,
        clock,
        verifyAccessToken: (authorization, audience) => runtime.verifyAccessToken(authorization, audience),
        admin: { clientId: bootstrap.admin.clientId, servicePrincipalId: bootstrap.admin.servicePrincipalId },
        markDirty: () => stateFile?.markDirty(),
    };

    const server = createServer({ cert: tls.certPem, key: tls.keyPem });
    const dispatch = createDispatcher({ clock, runtime, services, faults, limits, context });
    server.on('request', (message: IncomingMessage, res: ServerResponse) => void dispatch(message, res));
    // Malformed HTTP (bad request line, header overflow) must not take the process down.
    server.on('clientError', (_error, socket) => {
        if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
        else socket.destroy();
    });
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolveListen, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 0, '127.0.0.1', () => resolveListen());
    });
    const { port } = server.address() as AddressInfo;
    origin = `https://localhost:${port}`;
    runtime.origin = origin;

    const managedIdentity = await startManagedIdentityEndpoint(runtime);

    for (const module of services.modules) module.reset(context);
    const persisted = stateFile?.load();
    if (persisted) {
        clock.restoreOffset(persisted.clockOffsetSeconds);
        for (const module of services.modules) {
            const data = persisted.services[module.name];
            if (data !== undefined) module.restore(data, context);
        }
    }

    const descriptor: EmulatorDescriptor = {
        ready: true,
        baseUrl: origin,
        tenantId: bootstrap.tenantId,
        authorityHost: origin,
        graphBaseUrl: origin,
        vaultUrl: origin,
        caCertPath: tls.caCertPath,
        eventGrid: { topicEndpoint: `${origin}/api/events`, topicKey: services.eventGrid.topicKey },
        principals: { admin: { clientId: bootstrap.admin.clientId, clientSecret: bootstrap.admin.clientSecret } },
        managedIdentity: { endpoint: managedIdentity.endpoint, header: managedIdentity.header },
    };
    writeFileSync(join(stateDir, 'emulator.json'), JSON.stringify(descriptor), { mode: 0o600 });

    let closed = false;
    return {
        ...descriptor,
        stateDir,
        caCertPem: tls.caCertPem,
        close: async () => {
            if (closed) return;
            closed = true;
            stateFile?.flush();
            // Pending webhook retries and in-flight deliveries would otherwise outlive the server.
            services.eventGrid.dispose();
            await managedIdentity.close();
            server.closeAllConnections();
            await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
        },
    };
}
