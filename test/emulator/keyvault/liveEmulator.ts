import { rmSync } from 'node:fs';
import https from 'node:https';

import { type SecretClientOptions } from '@azure/keyvault-secrets';

import { type EmulatorOptions, type RunningEmulator, startEmulator } from '../core/server';

/** A pipeline policy slot, typed from a declared SDK so no transitive package is imported. */
type AdditionalPolicy = NonNullable<SecretClientOptions['additionalPolicies']>[number];

/**
 * The real emulator for SDK conformance tests. The SDKs run in this process, so instead of
 * NODE_EXTRA_CA_CERTS (read only at process start) a per-call pipeline policy hands them an agent that
 * trusts the emulator's CA; everything else is the SDKs' own code.
 */
export interface LiveEmulator {
    readonly emulator: RunningEmulator;
    /** `additionalPolicies` for any Azure SDK client or credential. */
    readonly clientOptions: { additionalPolicies: AdditionalPolicy[] };
    raw(
        method: string,
        path: string,
        options?: { headers?: Record<string, string>; body?: unknown },
    ): Promise<RawResponse>;
    control<T = unknown>(path: string, body?: unknown): Promise<T>;
    /** A client-credentials token for the admin principal, over raw HTTP. */
    adminToken(scope: string): Promise<string>;
    /** Stops the emulator; removes its state directory unless `keepState`. */
    close(options?: { keepState?: boolean }): Promise<void>;
}

export interface RawResponse {
    readonly status: number;
    readonly headers: Record<string, string | string[] | undefined>;
    readonly text: string;
    readonly json: unknown;
}

export async function startLiveEmulator(options: EmulatorOptions = {}): Promise<LiveEmulator> {
    const emulator = await startEmulator(options);
    const agent = new https.Agent({ ca: emulator.caCertPem, keepAlive: false });
    const policy: AdditionalPolicy['policy'] = {
        name: 'trustEmulatorCa',
        sendRequest: (request, next) => {
            request.agent = agent;
            return next(request);
        },
    };
    const raw: LiveEmulator['raw'] = (method, path, options = {}) =>
        new Promise((resolve, reject) => {
            const body =
                options.body === undefined
                    ? undefined
                    : Buffer.isBuffer(options.body) || typeof options.body === 'string'
                      ? options.body
                      : JSON.stringify(options.body);
            const headers = {
                ...(options.body !== undefined && typeof options.body === 'object' && !Buffer.isBuffer(options.body)
                    ? { 'content-type': 'application/json' }
                    : {}),
                ...options.headers,
            };
            const request = https.request(new URL(path, emulator.baseUrl), { method, headers, agent }, (response) => {
                const chunks: Buffer[] = [];
                response.on('data', (chunk: Buffer) => chunks.push(chunk));
                response.on('end', () => {
                    const text = Buffer.concat(chunks).toString('utf8');
                    let json: unknown;
                    try {
                        json = text === '' ? undefined : JSON.parse(text);
                    } catch {
                        json = undefined;
                    }
                    resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json });
                });
            });
            request.setTimeout(20_000, () => request.destroy(new Error('request timed out')));
            request.on('error', reject);
            request.end(body);
        });
    return {
        emulator,
        clientOptions: { additionalPolicies: [{ policy, position: 'perCall' }] },
        raw,
        async control<T>(path: string, body?: unknown): Promise<T> {
            const response = await raw(body === undefined ? 'GET' : 'POST', `/_emulator${path}`, { body });
            if (response.status >= 300) throw new Error(`control ${path}: ${response.status} ${response.text}`);
            return response.json as T;
        },
        async adminToken(scope) {
            const { clientId, clientSecret } = emulator.principals.admin;
            const form = new URLSearchParams({
                grant_type: 'client_credentials',
                client_id: clientId,
                client_secret: clientSecret,
                scope,
            });
            const response = await raw('POST', `/${emulator.tenantId}/oauth2/v2.0/token`, {
                headers: { 'content-type': 'application/x-www-form-urlencoded' },
                body: form.toString(),
            });
            if (response.status !== 200) throw new Error(`token request failed: ${response.status}`);
            return (response.json as { access_token: string }).access_token;
        },
        async close({ keepState = false } = {}) {
            await emulator.close();
            agent.destroy();
            if (!keepState) rmSync(emulator.stateDir, { recursive: true, force: true });
        },
    };
}
