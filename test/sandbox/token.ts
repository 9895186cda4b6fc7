/**
 * `npm run sandbox:token`: prints an operator access token for the running sandbox (for
 * `curl -H "Authorization: Bearer …"`; the dashboard signs in by itself). Reads the sandbox state folder.
 */
import { readFileSync } from 'node:fs';

import { type CommandSpec, parseCommandLine } from '../support/cli';
import { EmulatorClient } from './emulatorClient';
import { NoSandboxError, readSandboxState } from './sandboxState';

const TOKEN_COMMAND = {
    command: 'npm run -s sandbox:token --',
    summary:
        'Prints an operator access token (app roles Rotation.Read and Rotation.Write) for the running sandbox,\n' +
        'one line on stdout, e.g. TOKEN=$(npm run -s sandbox:token).',
    options: { state: { type: 'string', default: '.state/sandbox' } },
    help: [['--state DIR', 'the state folder the sandbox was started with (default .state/sandbox)']],
    epilog: 'Exit codes: 0 printed a token, 1 no sandbox is running with that state folder, 2 bad usage.',
} as const satisfies CommandSpec<Record<string, { type: 'string'; default: string }>>;

async function main(): Promise<void> {
    const { state } = parseCommandLine(TOKEN_COMMAND, (v) => ({ state: v.state }));
    const { descriptor, tenant } = readSandboxState(state);
    const emu = new EmulatorClient(descriptor, readFileSync(descriptor.caCertPath, 'utf8'));
    const { clientId, clientSecret, scope } = tenant.operator;
    let token: string;
    try {
        token = await emu.token(clientId, clientSecret, scope);
    } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        if (!/ECONNREFUSED|ECONNRESET|socket hang up/.test(why)) throw error;
        throw new NoSandboxError(
            `no sandbox answers at ${descriptor.baseUrl} (${why}); start it with npm start${state === '.state/sandbox' ? '' : ` -- --state ${state}`}, or pass the --state it was started with`,
        );
    }
    process.stdout.write(`${token}\n`);
}

main().catch((error: unknown) => {
    process.stderr.write(`sandbox:token: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
});
