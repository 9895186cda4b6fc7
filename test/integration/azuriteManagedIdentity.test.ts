import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startEmulator } from '../emulator/core/server';
import { type Azurite, startAzurite } from '../support/azurite';

const DRIVER = join(__dirname, 'support', 'managedIdentityBlobDriver.ts');
let emulator: Awaited<ReturnType<typeof startEmulator>>;
let azurite: Azurite;

beforeAll(async () => {
    emulator = await startEmulator();
    // Azurite serves the emulator's own certificate, so a process trusting the emulator's CA trusts both.
    azurite = await startAzurite({ tlsDir: dirname(emulator.caCertPath) });
}, 60_000);

afterAll(async () => {
    await azurite?.stop();
    await emulator?.close();
});

function drive(containerUrl: string, clientId: string): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', DRIVER], {
            env: {
                ...process.env,
                NODE_EXTRA_CA_CERTS: emulator.caCertPath,
                NODE_OPTIONS: '',
                IDENTITY_ENDPOINT: emulator.managedIdentity.endpoint,
                IDENTITY_HEADER: emulator.managedIdentity.header,
            },
            stdio: ['pipe', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        child.on('close', (code) => {
            if (code !== 0) return reject(new Error(`driver failed (${code}): ${stderr.slice(-1500)}`));
            resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>);
        });
        child.stdin.end(JSON.stringify({ containerUrl, clientId }));
    });
}

describe('the state store on Azurite with a token the tenant emulator issues (managed identity)', () => {
    it("Azurite accepts the emulator's storage token: Entra's v1 issuer for the tenant, storage audience", async () => {
        const r = await drive(`${azurite.accountUrl}/rotator-state`, emulator.principals.admin.clientId);
        expect(r.iss).toBe(`https://sts.windows.net/${emulator.tenantId}/`);
        expect(r.aud).toBe('https://storage.azure.com');
        expect(r.read).toEqual({ ids: ['a', 'b'] });
    }, 60_000);
});
