/**
 * `npm run sandbox:token`: prints an operator access token for the running sandbox (for the dashboard's sign-in
 * box or `curl -H "Authorization: Bearer …"`). Reads the sandbox state folder (default .state/sandbox).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { EmulatorClient, type EmulatorDescriptor } from './emulatorClient';
import { type SeededTenant } from './seedTenant';

async function main(): Promise<void> {
    const { values } = parseArgs({ options: { state: { type: 'string', default: '.state/sandbox' } } });
    const dir = join(resolve(values.state), 'emulator');
    let descriptor: EmulatorDescriptor;
    let tenant: SeededTenant;
    try {
        descriptor = JSON.parse(readFileSync(join(dir, 'emulator.json'), 'utf8')) as EmulatorDescriptor;
        tenant = JSON.parse(readFileSync(join(dir, 'sandbox-tenant.json'), 'utf8')) as SeededTenant;
    } catch {
        throw new Error(`no sandbox state in ${dir}; start one with npm start`);
    }
    const emu = new EmulatorClient(descriptor, readFileSync(descriptor.caCertPath, 'utf8'));
    const { clientId, clientSecret, scope } = tenant.operator;
    process.stdout.write(`${await emu.token(clientId, clientSecret, scope)}\n`);
}

main().catch((error: unknown) => {
    process.stderr.write(`sandbox:token: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
});
