/**
 * `npm run sandbox:token`: prints an operator access token for the running sandbox (for the dashboard's sign-in
 * box or `curl -H "Authorization: Bearer …"`). Reads the sandbox state folder (default .state/sandbox).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { EmulatorClient } from './emulatorClient';
import { readSandboxState } from './sandboxState';

async function main(): Promise<void> {
    const { values } = parseArgs({ options: { state: { type: 'string', default: '.state/sandbox' } } });
    const { descriptor, tenant } = readSandboxState(values.state);
    const emu = new EmulatorClient(descriptor, readFileSync(descriptor.caCertPath, 'utf8'));
    const { clientId, clientSecret, scope } = tenant.operator;
    process.stdout.write(`${await emu.token(clientId, clientSecret, scope)}\n`);
}

main().catch((error: unknown) => {
    process.stderr.write(`sandbox:token: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
});
