import { request } from 'node:https';

import { type EmulatorDescriptor as ServerDescriptor } from '../emulator/core/server';

/** The emulator descriptor (the JSON ready line); `ready` is optional so a stored copy also fits. */
export type EmulatorDescriptor = Omit<ServerDescriptor, 'ready'>;

export interface JsonResponse<T = unknown> {
    readonly status: number;
    readonly headers: Record<string, string | string[] | undefined>;
    readonly body: T;
}

/**
 * Raw HTTPS to the emulator with its CA passed explicitly (this process may not have been started with
 * NODE_EXTRA_CA_CERTS). Used for the control API, seeding and tokens — never for product code paths.
 */
export class EmulatorClient {
    constructor(
        readonly descriptor: EmulatorDescriptor,
        private readonly ca: string,
    ) {}

    async call<T = unknown>(
        method: string,
        path: string,
        body?: unknown,
        headers: Record<string, string> = {},
    ): Promise<JsonResponse<T>> {
        const url = new URL(path, this.descriptor.baseUrl);
        const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
        return new Promise((resolve, reject) => {
            const req = request(
                url,
                {
                    method,
                    ca: this.ca,
                    headers: {
                        ...(payload !== undefined && typeof body !== 'string'
                            ? { 'content-type': 'application/json' }
                            : {}),
                        ...headers,
                    },
                },
                (res) => {
                    const chunks: Buffer[] = [];
                    res.on('data', (c: Buffer) => chunks.push(c));
                    res.on('end', () => {
                        const text = Buffer.concat(chunks).toString('utf8');
                        let parsed: unknown = text;
                        try {
                            parsed = text ? JSON.parse(text) : undefined;
                        } catch {
                            parsed = text;
                        }
                        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed as T });
                    });
                },
            );
            req.on('error', reject);
            req.setTimeout(30_000, () =>
                req.destroy(new Error(`emulator request timed out: ${method} ${url.pathname}`)),
            );
            if (payload !== undefined) req.write(payload);
            req.end();
        });
    }

    /** A client-credentials access token from the emulator's token endpoint. */
    async token(clientId: string, clientSecret: string, scope: string): Promise<string> {
        const form = new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: clientId,
            client_secret: clientSecret,
            scope,
        });
        const res = await this.call<{ access_token?: string; error_description?: string }>(
            'POST',
            `/${this.descriptor.tenantId}/oauth2/v2.0/token`,
            form.toString(),
            { 'content-type': 'application/x-www-form-urlencoded' },
        );
        if (res.status !== 200 || !res.body.access_token) {
            throw new Error(
                `token request failed (${res.status}): ${res.body.error_description?.split('\r\n')[0] ?? ''}`,
            );
        }
        return res.body.access_token;
    }

    async adminToken(scope: string): Promise<string> {
        const { clientId, clientSecret } = this.descriptor.principals.admin;
        return this.token(clientId, clientSecret, scope);
    }

    async advanceClock(seconds: number): Promise<Date> {
        const res = await this.call<{ now: string }>('POST', '/_emulator/clock', { advanceSeconds: seconds });
        return new Date(res.body.now);
    }

    async now(): Promise<Date> {
        const res = await this.call<{ now: string }>('GET', '/_emulator/clock');
        return new Date(res.body.now);
    }

    async expectOk<T>(response: Promise<JsonResponse<T>>, what: string): Promise<T> {
        const res = await response;
        if (res.status < 200 || res.status >= 300)
            throw new Error(`${what} failed (${res.status}): ${JSON.stringify(res.body)}`);
        return res.body;
    }
}
