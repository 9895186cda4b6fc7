import { resolve } from 'node:path';
import { type CommandSpec, intOption, parseCommandLine } from '../../support/cli';
import { startEmulator } from './server';

const EMULATOR_COMMAND = {
    command: 'npm run emulator --',
    summary:
        'Starts the tenant emulator (Entra token endpoint and sign-in page, Microsoft Graph, Key Vault, Event Grid)\n' +
        'over HTTPS on loopback, prints one JSON ready line on stdout and runs until Ctrl-C (test/emulator/README.md).',
    options: {
        port: { type: 'string', default: '0' },
        state: { type: 'string', default: '.state/emulator' },
        persist: { type: 'boolean', default: false },
    },
    help: [
        ['--port N', 'HTTPS port (default 0: a free one)'],
        ['--state DIR', 'CA, certificate, signing key and identity (default .state/emulator)'],
        ['--persist', 'also keep the tenant in DIR/state.json across restarts'],
    ],
    epilog: 'Exit codes: 0 stopped by Ctrl-C or SIGTERM, 1 failed to start, 2 bad usage.',
} as const satisfies CommandSpec<Record<string, { type: 'string' | 'boolean'; default: string | boolean }>>;

/**
 * `npm run emulator -- [--port N] [--state DIR] [--persist]` (`--help`): prints exactly one JSON ready line on stdout
 * (diagnostics go to stderr) and runs until SIGINT/SIGTERM.
 */
async function main(): Promise<void> {
    const values = parseCommandLine(EMULATOR_COMMAND, (v) => ({ ...v, port: intOption('port', v.port, 0, 65535) }));
    const port = values.port;
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
