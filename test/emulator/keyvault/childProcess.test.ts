import { spawn } from 'node:child_process';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { fingerprintOfText } from '../../../shared/security/fingerprint';
import { type LiveEmulator, startLiveEmulator } from './liveEmulator';

/** Runs `sdkChild.ts` with NODE_EXTRA_CA_CERTS = the emulator's CA, feeding it one JSON line on stdin. */
function runChild(caCertPath: string, input: object): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'sdkChild.ts')], {
            env: { ...process.env, NODE_EXTRA_CA_CERTS: caCertPath, NODE_OPTIONS: '' },
            stdio: ['pipe', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('error', reject);
        child.on('close', () => {
            clearTimeout(timer);
            try {
                resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as Record<string, unknown>);
            } catch {
                reject(new Error(`child produced no result: ${stderr.slice(-400)}`));
            }
        });
        child.stdin.end(JSON.stringify(input));
    });
}

describe('SDKs exactly as the product configures them (trust via NODE_EXTRA_CA_CERTS, child process)', () => {
    let live: LiveEmulator;

    beforeAll(async () => {
        live = await startLiveEmulator();
    });
    afterAll(async () => {
        await live?.close();
    });

    it('§4.3 §5.4 SecretClient set/get and EventGridPublisherClient send with no custom transport', async () => {
        const { emulator } = live;
        const secretValue = `child-${Date.now()}`;
        const result = await runChild(emulator.caCertPath, {
            tenantId: emulator.tenantId,
            authorityHost: emulator.authorityHost,
            vaultUrl: emulator.vaultUrl,
            clientId: emulator.principals.admin.clientId,
            clientSecret: emulator.principals.admin.clientSecret,
            topicEndpoint: emulator.eventGrid.topicEndpoint,
            topicKey: emulator.eventGrid.topicKey,
            secretValue,
        });
        expect(result).toMatchObject({
            ok: true,
            vaultUrl: emulator.vaultUrl,
            fingerprint: fingerprintOfText(secretValue),
        });
        expect(result.version).toMatch(/^[0-9a-f]{32}$/);
        const events = await live.control<{ value: unknown[] }>('/events?type=Contoso.Child');
        expect(events.value).toHaveLength(1);
    });
});
