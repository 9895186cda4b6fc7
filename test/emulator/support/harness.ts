import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';

import { type RunningEmulator, startEmulator } from '../core/server';

/** Response bodies are checked with expect(); a loose type keeps those assertions readable. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface RawResponse {
    status: number;
    headers: Record<string, string | string[] | undefined>;
    text: string;
    json: Json;
}

export interface TestEmulator {
    readonly emulator: RunningEmulator;
    raw(
        method: string,
        path: string,
        options?: { headers?: Record<string, string>; body?: string | Buffer; json?: unknown },
    ): Promise<RawResponse>;
    control(path: string, body?: unknown): Promise<Json>;
    /** A client-credentials token over raw HTTP (for raw Graph tests). */
    token(clientId: string, clientSecret: string, scope?: string): Promise<string>;
    adminToken(scope?: string): Promise<string>;
    /** Real SDK calls in a child process that trusts the CA through NODE_EXTRA_CA_CERTS. */
    sdk(command: object): Promise<Json>;
    close(): Promise<void>;
}

const DRIVER = join(__dirname, 'sdkDriver.ts');

/** Starts an emulator in a fresh temp state dir; in-process raw calls pass the CA explicitly. */
export async function startTestEmulator(): Promise<TestEmulator> {
    const emulator = await startEmulator();
    const origin = new URL(emulator.baseUrl);
    const raw: TestEmulator['raw'] = (method, path, options = {}) =>
        new Promise((resolve, reject) => {
            const body = options.json !== undefined ? JSON.stringify(options.json) : options.body;
            const headers: Record<string, string> = {
                ...(options.json !== undefined ? { 'content-type': 'application/json' } : {}),
                ...(options.headers ?? {}),
            };
            const req = httpsRequest(
                { host: 'localhost', port: origin.port, method, path, headers, ca: emulator.caCertPem },
                (res) => {
                    const chunks: Buffer[] = [];
                    res.on('data', (chunk: Buffer) => chunks.push(chunk));
                    res.on('end', () => {
                        const text = Buffer.concat(chunks).toString('utf8');
                        let json: unknown;
                        try {
                            json = text ? JSON.parse(text) : undefined;
                        } catch {
                            json = undefined;
                        }
                        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
                    });
                },
            );
            req.setTimeout(20_000, () => req.destroy(new Error('request timed out')));
            req.on('error', reject);
            req.end(body);
        });
    const token = async (clientId: string, clientSecret: string, scope = 'https://graph.microsoft.com/.default') => {
        const form = new URLSearchParams({
            client_id: clientId,
            client_secret: clientSecret,
            scope,
            grant_type: 'client_credentials',
        });
        const response = await raw('POST', `/${emulator.tenantId}/oauth2/v2.0/token`, {
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: form.toString(),
        });
        if (response.status !== 200)
            throw new Error(`token request failed: ${response.status} ${response.text.slice(0, 200)}`);
        return response.json.access_token as string;
    };
    return {
        emulator,
        raw,
        control: async (path, body) => {
            const response = await raw(
                body === undefined ? 'GET' : 'POST',
                `/_emulator${path}`,
                body === undefined ? {} : { json: body },
            );
            if (response.status >= 300) throw new Error(`control ${path} failed: ${response.status} ${response.text}`);
            return response.json;
        },
        token,
        adminToken: (scope) => token(emulator.principals.admin.clientId, emulator.principals.admin.clientSecret, scope),
        sdk: (command) =>
            new Promise((resolve, reject) => {
                const child = spawn(process.execPath, ['--import', 'tsx', DRIVER], {
                    env: { ...process.env, NODE_EXTRA_CA_CERTS: emulator.caCertPath, NODE_OPTIONS: '' },
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
                    const line = stdout.trim().split('\n').pop() ?? '';
                    try {
                        resolve(JSON.parse(line));
                    } catch {
                        reject(new Error(`sdk driver produced no result: ${stderr.slice(-500)}`));
                    }
                });
                child.stdin.end(JSON.stringify(command));
            }),
        close: async () => {
            await emulator.close();
            rmSync(emulator.stateDir, { recursive: true, force: true });
        },
    };
}
