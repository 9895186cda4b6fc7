import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { startEmulator } from './server';

/**
 * `npm run emulator -- [--port N] [--state DIR] [--persist]`: prints exactly one JSON ready line on stdout
 * (diagnostics go to stderr) and runs until SIGINT/SIGTERM.
 */
async function main(): Promise<void> {
    const { values } = parseArgs({
        options: {
            port: { type: 'string', default: '0' },
            state: { type: 'string', default: '.state/emulator' },
            persist: { type: 'boolean', default: false },
        },
    });
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`Invalid --port ${values.port}`);
    const emulator = await startEmulator({ port, stateDir: resolve(values.state), persist: values.persist });
    const { stateDir: _stateDir, caCertPem: _caCertPem, close, ...descriptor } = emulator;
    process.stdout.write(`${JSON.stringify(descriptor)}\n`);
    const stop = () => {
        close().then(
            () => process.exit(0),
            () => process.exit(1),
        );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
    process.stderr.write(`emulator failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
});
