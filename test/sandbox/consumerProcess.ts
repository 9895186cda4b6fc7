import { type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { spawnTrustingEmulator, stopChild } from './childProcess';
import { type EmulatorClient } from './emulatorClient';
import { type SeededApp, type SeededTenant } from './seedTenant';

export interface ConsumerOptions {
    readonly name: string;
    readonly app: SeededApp;
    /** Read this exact Key Vault secret version forever (the version-pinning failure of seed 000). */
    readonly pinnedVersion?: string;
    readonly signingKey: string;
    readonly signInIntervalMs?: number;
    readonly logDir: string;
}

export interface RunningConsumer {
    readonly name: string;
    readonly url: string;
    readonly process: ChildProcess;
    health(): Promise<{
        secretFingerprint: string;
        secretVersion: string;
        signIns: number;
        pinnedVersion: string | null;
    }>;
    close(): Promise<void>;
}

/** Starts a simulated consumer (test/sandbox/consumer.ts) as a child process that trusts the emulator's CA. */
export async function startConsumer(
    emu: EmulatorClient,
    tenant: SeededTenant,
    options: ConsumerOptions,
): Promise<RunningConsumer> {
    const d = emu.descriptor;
    if (!options.app.secretName) throw new Error(`${options.app.displayName} is not managed`);
    const log = createWriteStream(join(options.logDir, `consumer-${options.name}.log`), { flags: 'a' });
    const child = spawnTrustingEmulator(
        'test/sandbox/consumer.ts',
        [
            '--name',
            options.name,
            '--tenant',
            d.tenantId,
            '--authority',
            d.authorityHost,
            '--vault-url',
            d.vaultUrl,
            '--secret-name',
            options.app.secretName,
            '--app-id',
            options.app.appId,
            '--reader-client-id',
            tenant.reader.clientId,
            '--signin-interval-ms',
            String(options.signInIntervalMs ?? 2_000),
            ...(options.pinnedVersion ? ['--pinned-version', options.pinnedVersion] : []),
        ],
        d.caCertPath,
        ['pipe', 'pipe', 'pipe'],
    );
    child.stdin?.end(JSON.stringify({ readerSecret: tenant.reader.clientSecret, signingKey: options.signingKey }));
    child.stderr?.pipe(log);
    const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`consumer ${options.name} not ready in 30 s`)), 30_000);
        createInterface({ input: child.stdout! }).on('line', (line) => {
            try {
                const parsed = JSON.parse(line) as { ready?: boolean; url?: string };
                if (parsed.ready && parsed.url) {
                    clearTimeout(timer);
                    resolve(parsed.url);
                }
            } catch {
                log.write(`${line}\n`);
            }
        });
        child.once('exit', (code) => {
            clearTimeout(timer);
            reject(new Error(`consumer ${options.name} exited with ${code}`));
        });
    });
    return {
        name: options.name,
        url,
        process: child,
        health: async () =>
            (await (await fetch(`${url}/health`)).json()) as Awaited<ReturnType<RunningConsumer['health']>>,
        close: () => stopChild(child, log, 3_000),
    };
}
