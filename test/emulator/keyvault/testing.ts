import { type AccessTokenClaims, type EmuRequest, type EmulatorClock, type EmulatorContext } from '../core/contract';

/** Test doubles for driving service modules through `handle()` without the core's HTTPS server. */

export const ORIGIN = 'https://localhost:8443';
export const TENANT_ID = '8d2f3c1a-4b5e-4f60-9a7b-1c2d3e4f5a6b';
export const ADMIN = {
    clientId: 'a0a0a0a0-0000-4000-8000-000000000001',
    servicePrincipalId: 'a0a0a0a0-0000-4000-8000-0000000000a1',
};

/** A clock that moves only when told, starting at a fixed instant. */
export class FakeClock implements EmulatorClock {
    #now: Date;
    readonly #listeners: ((from: Date, to: Date) => void | Promise<void>)[] = [];

    constructor(start = new Date('2026-01-01T00:00:00Z')) {
        this.#now = start;
    }

    now(): Date {
        return new Date(this.#now.getTime());
    }

    onAdvance(listener: (from: Date, to: Date) => void | Promise<void>): void {
        this.#listeners.push(listener);
    }

    async advance(seconds: number): Promise<void> {
        const from = this.now();
        this.#now = new Date(this.#now.getTime() + seconds * 1000);
        for (const listener of this.#listeners) await listener(from, this.now());
    }
}

export interface FakeContext extends EmulatorContext {
    readonly clock: FakeClock;
    dirtyCount: number;
    /** Registers a bearer token that `verifyAccessToken` maps to these claims. */
    issueToken(claims: Partial<AccessTokenClaims> & { oid: string }): string;
}

export function fakeContext(): FakeContext {
    const clock = new FakeClock();
    const tokens = new Map<string, AccessTokenClaims>();
    let counter = 0;
    const context: FakeContext = {
        origin: ORIGIN,
        tenantId: TENANT_ID,
        clock,
        admin: ADMIN,
        dirtyCount: 0,
        markDirty() {
            context.dirtyCount += 1;
        },
        verifyAccessToken(authorization, audience) {
            const token = /^Bearer (\S+)$/i.exec(authorization ?? '')?.[1];
            const claims = token === undefined ? undefined : tokens.get(token);
            if (claims === undefined) return undefined;
            if (claims.exp <= Math.floor(clock.now().getTime() / 1000)) return undefined;
            if (audience !== undefined && claims.aud !== audience) return undefined;
            return claims;
        },
        issueToken(claims) {
            const iat = Math.floor(clock.now().getTime() / 1000);
            counter += 1;
            const token = `test-token-${counter}`;
            tokens.set(token, {
                aud: 'https://vault.azure.net',
                iss: `${ORIGIN}/${TENANT_ID}/v2.0`,
                tid: TENANT_ID,
                appid: `app-of-${claims.oid}`,
                roles: [],
                iat,
                exp: iat + 3600,
                ...claims,
            });
            return token;
        },
    };
    return context;
}

export interface RequestOptions {
    readonly body?: unknown;
    readonly headers?: Record<string, string>;
    readonly token?: string;
}

/** Builds an EmuRequest the way the core does: lower-case headers, decoded path, query from the raw URL. */
export function emuRequest(method: string, pathAndQuery: string, options: RequestOptions = {}): EmuRequest {
    const url = new URL(pathAndQuery, ORIGIN);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    let body: Buffer = Buffer.alloc(0);
    if (Buffer.isBuffer(options.body)) body = options.body;
    else if (typeof options.body === 'string') body = Buffer.from(options.body);
    else if (options.body !== undefined) {
        body = Buffer.from(JSON.stringify(options.body));
        headers['content-type'] ??= 'application/json';
    }
    return {
        method,
        path: decodeURIComponent(url.pathname),
        query: new URLSearchParams(url.search),
        headers,
        body,
        url,
    };
}
