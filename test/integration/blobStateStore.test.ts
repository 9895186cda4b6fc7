import { spawn } from 'node:child_process';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Azurite, startAzurite } from '../support/azurite';

const DRIVER = join(__dirname, 'support', 'blobStateDriver.ts');
let azurite: Azurite;

beforeAll(async () => {
    azurite = await startAzurite();
});

afterAll(async () => {
    await azurite?.stop();
});

function drive(): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', DRIVER], {
            env: { ...process.env, NODE_EXTRA_CA_CERTS: azurite.caCertPath, NODE_OPTIONS: '' },
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
        child.stdin.end(JSON.stringify({ accountUrl: azurite.accountUrl }));
    });
}

describe('BlobStateStore against Azurite (HTTPS, bearer tokens only)', () => {
    it('reads, writes, and never loses a concurrent update from a second instance', async () => {
        const r = await drive();
        expect(r.anonymous).toBeGreaterThanOrEqual(400); // refused without a token (Azurite: 403)
        expect(r.tokenCalls).toBeGreaterThan(0);
        expect(r.missing).toBeNull();
        expect(r.roundTrip).toEqual({ counts: { total: 3 } });
        expect(r.conditional).toBe(r.expected);
        // The control shows the race is real: unconditional read + write loses updates.
        expect(r.unconditional).toBeLessThan(r.expected as number);
    });

    it('CONSUMERS_CONFIG_LOCATION: a private blob is read with the app identity, validated, and refused anonymously', async () => {
        const r = await drive();
        expect(r.consumersEntries).toBe(1);
        expect(r.worker).toEqual(['worker']);
        // What the app did before (an anonymous fetch) is refused by a private container.
        expect(r.consumersAnonymous).toBeGreaterThanOrEqual(400);
        expect(r.broken).toMatch(/CONSUMERS_CONFIG_LOCATION.*not valid JSON/);
        expect(r.absent).toMatch(/CONSUMERS_CONFIG_LOCATION.*could not be read \(blob answered 404\)/);
    });
});
