import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { connect } from 'node:tls';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { startEmulator } from './core/server';
import { type Json } from './support/harness';

const CLI = join(__dirname, 'core', 'cli.ts');
const stateDir = mkdtempSync(join(tmpdir(), 'emulator-contract-'));
const children: ChildProcessWithoutNullStreams[] = [];

afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(stateDir, { recursive: true, force: true });
});

/** Starts the CLI like `npm run emulator -- --state DIR --persist` and resolves with its stdout lines once ready. */
function startCli(): Promise<{ child: ChildProcessWithoutNullStreams; lines: string[] }> {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, '--state', stateDir, '--persist'], {
        stdio: 'pipe',
    });
    children.push(child);
    const lines: string[] = [];
    return new Promise((resolve, reject) => {
        let buffer = '';
        const timer = setTimeout(() => reject(new Error('emulator did not become ready')), 30_000);
        child.stdout.on('data', (chunk: Buffer) => {
            buffer += chunk.toString();
            const parts = buffer.split('\n');
            buffer = parts.pop() ?? '';
            lines.push(...parts.filter(Boolean));
            if (lines.length > 0) {
                clearTimeout(timer);
                resolve({ child, lines });
            }
        });
        child.on('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
    });
}

function call(
    descriptor: { baseUrl: string },
    ca: string,
    method: string,
    path: string,
    body?: object,
): Promise<{ status: number; json: Json }> {
    const url = new URL(path, descriptor.baseUrl);
    return new Promise((resolve, reject) => {
        const req = request(url, { method, ca, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
            let text = '';
            res.on('data', (chunk: Buffer) => (text += chunk.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }));
        });
        req.on('error', reject);
        req.end(body ? JSON.stringify(body) : undefined);
    });
}

const stop = (child: ChildProcessWithoutNullStreams) =>
    new Promise<number | null>((resolve) => {
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
    });

describe('Start contract (issue 3)', () => {
    it('prints exactly one JSON ready line, writes the same object to DIR/emulator.json, and persists across restarts', async () => {
        const first = await startCli();
        // Give a stray second line the chance to appear before asserting there is exactly one.
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(first.lines).toHaveLength(1);
        const descriptor = JSON.parse(first.lines[0]!);
        expect(JSON.parse(readFileSync(join(stateDir, 'emulator.json'), 'utf8'))).toEqual(descriptor);
        expect(Object.keys(descriptor).sort()).toEqual([
            'authorityHost',
            'baseUrl',
            'caCertPath',
            'eventGrid',
            'graphBaseUrl',
            'managedIdentity',
            'principals',
            'ready',
            'tenantId',
            'vaultUrl',
        ]);
        expect(descriptor).toMatchObject({
            ready: true,
            baseUrl: expect.stringMatching(/^https:\/\/localhost:\d+$/),
            tenantId: expect.stringMatching(/^[0-9a-f-]{36}$/),
            caCertPath: join(stateDir, 'ca.pem'),
            eventGrid: { topicEndpoint: `${descriptor.baseUrl}/api/events`, topicKey: expect.stringMatching(/.+/) },
            principals: { admin: { clientId: expect.any(String), clientSecret: expect.any(String) } },
            managedIdentity: {
                endpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/msi\/token$/),
                header: expect.stringMatching(/^[0-9a-f]{48}$/),
            },
        });
        for (const key of ['authorityHost', 'graphBaseUrl', 'vaultUrl'])
            expect(descriptor[key]).toBe(descriptor.baseUrl);
        const ca = readFileSync(descriptor.caCertPath, 'utf8');
        const seeded = await call(descriptor, ca, 'POST', '/_emulator/entra/seed', {
            applications: [{ displayName: 'survives-restart' }],
        });
        expect(seeded.status).toBe(200);
        await call(descriptor, ca, 'POST', '/_emulator/clock', { advanceSeconds: 86400 });
        expect(await stop(first.child)).toBe(0);

        const second = await startCli();
        const again = JSON.parse(second.lines[0]!);
        expect(again.tenantId).toBe(descriptor.tenantId);
        expect(again.principals).toEqual(descriptor.principals);
        const state = await call(again, ca, 'GET', '/_emulator/state');
        const names = state.json.services.entra.applications.map((a: { displayName: string }) => a.displayName);
        expect(names).toContain('survives-restart');
        expect(state.json.clock.offsetSeconds).toBeGreaterThanOrEqual(86400);
        expect(JSON.stringify(state.json)).not.toContain(descriptor.principals.admin.clientSecret);

        const reset = await call(again, ca, 'POST', '/_emulator/reset');
        expect(reset.status).toBe(204);
        const afterReset = await call(again, ca, 'GET', '/_emulator/state');
        expect(afterReset.json.services.entra.applications.map((a: { displayName: string }) => a.displayName)).toEqual([
            'emulator-admin',
        ]);
        expect(await stop(second.child)).toBe(0);
    });

    it('with-emulator runs a command whose global fetch trusts the CA through NODE_EXTRA_CA_CERTS', async () => {
        const script = [
            "const fs = require('node:fs');",
            "const d = JSON.parse(fs.readFileSync(process.env.EMULATOR_JSON, 'utf8'));",
            'if (d.baseUrl !== process.env.EMULATOR_BASE_URL) process.exit(4);',
            "fetch(d.baseUrl + '/_emulator/clock').then((r) => process.exit(r.status === 200 ? 0 : 3), () => process.exit(2));",
        ].join(' ');
        const child = spawn(
            process.execPath,
            ['--import', 'tsx', join(__dirname, 'core', 'withEmulator.ts'), '--', process.execPath, '-e', script],
            { stdio: 'pipe' },
        );
        children.push(child);
        const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
        expect(code).toBe(0);
    });

    it('malformed HTTP on the socket gets 400 and the server keeps serving', async () => {
        const emulator = await startEmulator();
        try {
            const port = Number(new URL(emulator.baseUrl).port);
            const reply = await new Promise<string>((resolve, reject) => {
                const socket = connect(
                    { host: '127.0.0.1', port, servername: 'localhost', ca: emulator.caCertPem },
                    () => {
                        socket.write('THIS IS NOT HTTP\r\n\r\n');
                    },
                );
                let text = '';
                socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
                socket.on('end', () => resolve(text));
                socket.on('error', reject);
            });
            expect(reply).toMatch(/^HTTP\/1\.1 400 /);
            const clock = await call(emulator, emulator.caCertPem, 'GET', '/_emulator/clock');
            expect(clock.status).toBe(200);
            const unknownControl = await call(emulator, emulator.caCertPem, 'GET', '/_emulator/nope');
            expect(unknownControl.status).toBe(404);
        } finally {
            await emulator.close();
            rmSync(emulator.stateDir, { recursive: true, force: true });
        }
    });

    it('startEmulator() from code wires Key Vault and Event Grid behind the same origin with the admin granted', async () => {
        const emulator = await startEmulator();
        try {
            const token = await new Promise<string>((resolve, reject) => {
                const form = new URLSearchParams({
                    client_id: emulator.principals.admin.clientId,
                    client_secret: emulator.principals.admin.clientSecret,
                    grant_type: 'client_credentials',
                    scope: 'https://vault.azure.net/.default',
                });
                const req = request(
                    new URL(`/${emulator.tenantId}/oauth2/v2.0/token`, emulator.baseUrl),
                    {
                        method: 'POST',
                        ca: emulator.caCertPem,
                        headers: { 'content-type': 'application/x-www-form-urlencoded' },
                    },
                    (res) => {
                        let text = '';
                        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
                        res.on('end', () => resolve(JSON.parse(text).access_token));
                    },
                );
                req.on('error', reject);
                req.end(form.toString());
            });
            const secrets = await new Promise<number>((resolve, reject) => {
                const req = request(
                    new URL('/secrets?api-version=7.5', emulator.baseUrl),
                    { ca: emulator.caCertPem, headers: { authorization: `Bearer ${token}` } },
                    (res) => {
                        res.resume();
                        resolve(res.statusCode ?? 0);
                    },
                );
                req.on('error', reject);
                req.end();
            });
            expect(secrets).toBe(200);
            const events = await call(emulator, emulator.caCertPem, 'GET', '/_emulator/events');
            expect(events.status).toBe(200);
        } finally {
            await emulator.close();
            rmSync(emulator.stateDir, { recursive: true, force: true });
        }
    });
});
