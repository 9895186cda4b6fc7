import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { ensureTlsMaterial } from '../emulator/core/certs';

export interface Azurite {
    /** `https://127.0.0.1:<port>/devstoreaccount1` */
    readonly accountUrl: string;
    readonly caCertPath: string;
    stop(): Promise<void>;
}

/**
 * Microsoft's storage emulator (npm `azurite`, a dev dependency), blob service only, as Azure runs it for us:
 * HTTPS with a CA the client trusts, bearer tokens only (`--oauth basic`; Azurite checks issuer, audience and
 * lifetime, not the signature), loopback, in memory, and never phoning home (`--disableTelemetry`).
 */
export async function startAzurite(
    options: {
        /** A folder holding `ca.pem`, `localhost.pem`, `localhost-key.pem` (the tenant emulator's): one CA for both. */
        readonly tlsDir?: string;
        /** Keep the blobs in this folder across restarts (default: in memory). */
        readonly location?: string;
    } = {},
): Promise<Azurite> {
    const dir = mkdtempSync(join(tmpdir(), 'azurite-'));
    const tlsDir = options.tlsDir ?? join(dir, 'tls');
    const tls = await ensureTlsMaterial(tlsDir);
    const main = join(dirname(createRequire(__filename).resolve('azurite/package.json')), 'dist/src/blob/main.js');
    const child: ChildProcess = spawn(
        process.execPath,
        [
            main,
            '--blobHost',
            '127.0.0.1',
            '--blobPort',
            '0',
            '--disableTelemetry',
            // @azure/storage-blob 12.32 sends a service version newer than Azurite 3.35 knows (the pinned Azurite
            // is the last for Node 20); the operations we use are unchanged across those versions.
            '--skipApiVersionCheck',
            ...(options.location ? ['--location', options.location] : ['--inMemoryPersistence']),
            '--oauth',
            'basic',
            '--cert',
            join(tlsDir, 'localhost.pem'),
            '--key',
            join(tlsDir, 'localhost-key.pem'),
        ],
        { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir },
    );
    const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`Azurite did not start: ${out.slice(-500)}`)), 30_000);
        const onData = (chunk: Buffer): void => {
            out += chunk.toString();
            const match = /successfully listens on (https:\/\/\S+)/.exec(out);
            if (match?.[1]) {
                clearTimeout(timer);
                resolve(match[1]);
            }
        };
        child.stdout?.on('data', onData);
        child.stderr?.on('data', onData);
        child.on('exit', (code) => reject(new Error(`Azurite exited (${code}): ${out.slice(-500)}`)));
    });
    return {
        accountUrl: `${url.replace('127.0.0.1', 'localhost')}/devstoreaccount1`,
        caCertPath: tls.caCertPath,
        stop: async () => {
            if (child.exitCode === null) {
                const exited = new Promise((resolve) => child.once('exit', resolve));
                child.kill('SIGTERM');
                await exited;
            }
            rmSync(dir, { recursive: true, force: true });
        },
    };
}
