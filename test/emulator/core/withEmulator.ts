import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { startEmulator } from './server';

/**
 * `npm run with-emulator -- [--state DIR] [--persist] -- <command> [args…]`: starts the emulator, runs the
 * command with `NODE_EXTRA_CA_CERTS` (the CA), `EMULATOR_JSON` (path of the descriptor) and `EMULATOR_BASE_URL`
 * set, then stops the emulator and exits with the command's status. NODE_EXTRA_CA_CERTS is only read at process
 * start, so the variable has to be in the environment of the process that runs the SDKs.
 */
async function main(): Promise<number> {
    const argv = process.argv.slice(2);
    const separator = argv.indexOf('--');
    const options = separator < 0 ? [] : argv.slice(0, separator);
    const command = separator < 0 ? argv : argv.slice(separator + 1);
    const [program, ...args] = command;
    if (!program) throw new Error('usage: with-emulator [--state DIR] [--persist] -- <command> [args…]');
    const stateIndex = options.indexOf('--state');
    const stateDir = stateIndex >= 0 ? options[stateIndex + 1] : undefined;
    const emulator = await startEmulator({
        ...(stateDir ? { stateDir: resolve(stateDir) } : {}),
        persist: options.includes('--persist'),
    });
    try {
        return await new Promise<number>((resolveExit, reject) => {
            const child = spawn(program, args, {
                stdio: 'inherit',
                env: {
                    ...process.env,
                    NODE_EXTRA_CA_CERTS: emulator.caCertPath,
                    EMULATOR_JSON: join(emulator.stateDir, 'emulator.json'),
                    EMULATOR_BASE_URL: emulator.baseUrl,
                },
            });
            child.on('error', reject);
            child.on('exit', (code, signal) => resolveExit(code ?? (signal ? 1 : 0)));
        });
    } finally {
        await emulator.close();
        // A temporary sandbox (no --state) is removed; a named state directory is kept.
        if (!stateDir) rmSync(emulator.stateDir, { recursive: true, force: true });
    }
}

main().then(
    (code) => process.exit(code),
    (error: unknown) => {
        process.stderr.write(`with-emulator: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
    },
);
