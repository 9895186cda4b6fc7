import { type ChildProcess, spawn, type StdioOptions } from 'node:child_process';
import { type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..', '..');

/**
 * Runs a TypeScript entry point of this repo in a child Node process that trusts the emulator's CA (the SDKs read
 * NODE_EXTRA_CA_CERTS only at process start) and exits by itself when its parent is gone.
 */
export function spawnTrustingEmulator(
    script: string,
    args: readonly string[],
    caCertPath: string,
    stdio: StdioOptions,
): ChildProcess {
    return spawn(
        process.execPath,
        [
            '--require',
            join(REPO_ROOT, 'test', 'sandbox', 'exitWithParent.cjs'),
            '--import',
            'tsx',
            join(REPO_ROOT, script),
            ...args,
        ],
        { cwd: REPO_ROOT, env: { ...process.env, NODE_EXTRA_CA_CERTS: caCertPath }, stdio },
    );
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone and its log is flushed. */
export function stopChild(child: ChildProcess, log: WriteStream, graceMs: number): Promise<void> {
    return new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) {
            log.end(done);
            return;
        }
        child.once('exit', () => log.end(done));
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), graceMs).unref();
    });
}
