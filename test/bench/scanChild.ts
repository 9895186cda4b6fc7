/**
 * The measured half of `npm run bench:scan`: runs the product's `scanTenant` with its real adapters (graph-client
 * scanner, Key Vault index, Event Grid notifier, file state store) against the emulator. Started by `scan.ts`
 * with NODE_EXTRA_CA_CERTS, as the product runs; its settings (client secret included) arrive on stdin, never argv.
 * Only rotations are stubbed: there is no durable host here, and the bench seeds no managed secret anyway.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ClientSecretCredential } from '@azure/identity';

import { EventGridNotifier } from '../../shared/adapters/eventGridNotifier';
import { FileStateStore } from '../../shared/adapters/fileStateStore';
import { DeltaApplicationScanner, type DeltaScanStats } from '../../shared/adapters/graphApplicationDelta';
import { GraphApplicationScanner } from '../../shared/adapters/graphApplicationScanner';
import { createGraphClient } from '../../shared/adapters/graphClient';
import { KeyVaultManagedIndex } from '../../shared/adapters/keyVaultManagedIndex';
import { SecretClients } from '../../shared/adapters/secretClients';
import { DEFAULT_POLICY } from '../../shared/domain/policy';
import { type Binding } from '../../shared/enrollment/bindings';
import { createLogger } from '../../shared/logging/logger';
import { type ApplicationScannerPort, type ScannedApplication } from '../../shared/scan/ports';
import { scanTenant } from '../../shared/scan/scanTenant';
import { Secret } from '../../shared/security/Secret';

export interface ChildInput {
    readonly tenantId: string;
    readonly authorityHost: string;
    readonly graphBaseUrl: string;
    readonly vaultUrl: string;
    readonly clientId: string;
    readonly clientSecret: string;
    readonly topicEndpoint: string;
    readonly topicKey: string;
    /** Emulator clock, so classification matches the emulator's view of time. */
    readonly now: string;
    /** Scan through change tracking (the product's scanner), keeping its snapshot in this folder between runs. */
    readonly deltaStateDir?: string;
    /**
     * Instead of the scan, list the same pages with a bare keep-alive HTTPS client (no SDK, no scan work): the
     * floor the emulator and the transport allow, measured in a process of its own like the scan.
     */
    readonly bare?: boolean;
}

export interface BareResult {
    readonly pages: number;
    readonly seconds: number;
}

export interface ChildResult {
    readonly apps: number;
    readonly credentials: number;
    readonly pages: number;
    readonly seconds: number;
    readonly peakRssMb: number;
    readonly rotationsRequested: number;
    readonly alertsSent: number;
    /** Time spent waiting for pages (request, emulator, transfer, parse); the rest is the scan's own work. */
    readonly waitSeconds: number;
    /** With deltaStateDir: a full sync or a delta pass, and the Graph pages it read. */
    readonly delta?: DeltaScanStats;
}

/** Measures how long the scan waits for each page, without changing what it gets. */
function timed(inner: ApplicationScannerPort): ApplicationScannerPort & { waitMs: number } {
    const wrapper = {
        waitMs: 0,
        async *pages(): AsyncIterable<readonly ScannedApplication[]> {
            const iterator = inner.pages()[Symbol.asyncIterator]();
            for (;;) {
                const started = performance.now();
                const next = await iterator.next();
                wrapper.waitMs += performance.now() - started;
                if (next.done) return;
                yield next.value;
            }
        },
    };
    return wrapper;
}

async function readStdin(): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
}

async function main(): Promise<void> {
    const input = JSON.parse(await readStdin()) as ChildInput;
    const credential = new ClientSecretCredential(input.tenantId, input.clientId, input.clientSecret, {
        authorityHost: input.authorityHost,
        disableInstanceDiscovery: true,
    });
    // The token is fetched before the clock starts: the bench measures paging, not the STS.
    await credential.getToken('https://graph.microsoft.com/.default');
    await credential.getToken('https://vault.azure.net/.default');
    if (input.bare) {
        const token = (await credential.getToken('https://graph.microsoft.com/.default')).token;
        process.stdout.write(`${JSON.stringify(await bareListing(input.graphBaseUrl, token))}\n`);
        return;
    }
    const stateDir = input.deltaStateDir ?? mkdtempSync(join(tmpdir(), 'bench-scan-state-'));
    const index = new KeyVaultManagedIndex(new SecretClients(credential, true));
    const enrolledAsTagged: Binding[] = (await index.listManaged([input.vaultUrl])).map((ref) => ({
        ...ref,
        enrolledAt: input.now,
        enrolledBy: { kind: 'operator', objectId: null, appId: null, name: 'bench' },
        reason: 'bench',
        updatedAt: input.now,
        lastRotationId: null,
    }));
    let rotationsRequested = 0;
    try {
        const graph = createGraphClient(credential, input.graphBaseUrl);
        const delta = input.deltaStateDir
            ? new DeltaApplicationScanner(graph, new FileStateStore(stateDir), new GraphApplicationScanner(graph))
            : undefined;
        const scanner = timed(delta ?? new GraphApplicationScanner(graph));
        const started = performance.now();
        const summary = await scanTenant(
            {
                scanner,
                managed: index,
                state: new FileStateStore(stateDir),
                // The bench measures paging: every tagged secret counts as enrolled.
                bindings: { list: () => Promise.resolve(enrolledAsTagged) },
                notifier: new EventGridNotifier(input.topicEndpoint, { key: new Secret(input.topicKey) }),
                startRotation: () => {
                    rotationsRequested += 1;
                    return Promise.resolve({ id: 'bench', alreadyRunning: false });
                },
                rotationMarks: () => Promise.resolve(new Map()),
                policy: DEFAULT_POLICY,
                vaultUrls: [input.vaultUrl],
                paused: false,
                log: createLogger((level, message) => {
                    if (level === 'error' || level === 'warn') process.stderr.write(`[${level}] ${message}\n`);
                }),
            },
            { now: new Date(input.now) },
        );
        const seconds = (performance.now() - started) / 1000;
        const result: ChildResult = {
            apps: summary.apps,
            credentials: summary.credentials,
            pages: summary.pages,
            seconds,
            peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
            rotationsRequested,
            alertsSent: summary.alertsSent,
            waitSeconds: scanner.waitMs / 1000,
            ...(delta?.lastRun ? { delta: delta.lastRun } : {}),
        };
        process.stdout.write(`${JSON.stringify(result)}\n`);
    } finally {
        if (!input.deltaStateDir) rmSync(stateDir, { recursive: true, force: true });
    }
}

/** Same URL, `$select` and `$top` as the scanner, one keep-alive connection, no SDK: emulator + TLS + parse. */
async function bareListing(graphBaseUrl: string, token: string): Promise<BareResult> {
    const agent = new Agent({ keepAlive: true });
    const get = (url: string) =>
        new Promise<string>((resolveGet, reject) => {
            const req = httpsRequest(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
                const chunks: Buffer[] = [];
                res.on('data', (c: Buffer) => chunks.push(c));
                res.on('end', () => resolveGet(Buffer.concat(chunks).toString('utf8')));
            });
            req.on('error', reject);
            req.end();
        });
    try {
        const started = performance.now();
        let pages = 0;
        let url: string | undefined =
            `${new URL(graphBaseUrl).origin}/v1.0/applications?$select=id,appId,displayName,passwordCredentials,keyCredentials&$top=999`;
        while (url) {
            const page = JSON.parse(await get(url)) as { '@odata.nextLink'?: string };
            pages += 1;
            url = page['@odata.nextLink'];
        }
        return { pages, seconds: (performance.now() - started) / 1000 };
    } finally {
        agent.destroy();
    }
}

main().catch((error: unknown) => {
    process.stderr.write(`scan child failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
});
