import {
    AuthenticationHandler,
    Client,
    type Context,
    type Middleware,
    RedirectHandler,
    RetryHandler,
    TelemetryHandler,
} from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import { describe, expect, it } from 'vitest';

import { DispatchSignalHandler } from '../../../shared/adapters/dispatchSignal';
import { GraphApplicationScanner } from '../../../shared/adapters/graphApplicationScanner';

const ORIGIN = 'https://graph.microsoft.com';

/** The HTTP boundary: answers application pages like Graph and records every request (and its headers). */
class FakeGraphTransport implements Middleware {
    readonly requests: { url: string; headers: Record<string, string> }[] = [];
    private waiters: (() => void)[] = [];

    constructor(
        private readonly pages: number,
        private readonly failPage?: number,
    ) {}

    execute(context: Context): Promise<void> {
        const url = typeof context.request === 'string' ? context.request : '';
        this.requests.push({ url, headers: { ...(context.options?.headers as Record<string, string>) } });
        for (const wake of this.waiters.splice(0)) wake();
        const index = Number(/skiptoken=(\d+)/.exec(url)?.[1] ?? '0');
        if (index === this.failPage) {
            context.response = new Response(
                JSON.stringify({ error: { code: 'Authorization_RequestDenied', message: 'no' } }),
                {
                    status: 403,
                    headers: { 'content-type': 'application/json' },
                },
            );
            return Promise.resolve();
        }
        const body = {
            value: [
                { id: `obj-${index}`, appId: `app-${index}`, displayName: `app ${index}`, passwordCredentials: [] },
            ],
            ...(index + 1 < this.pages
                ? { '@odata.nextLink': `${ORIGIN}/v1.0/applications?$skiptoken=${index + 1}` }
                : {}),
        };
        context.response = new Response(JSON.stringify(body), {
            status: 200,
            headers: { 'content-type': 'application/json' },
        });
        return Promise.resolve();
    }

    /** Resolves once `count` requests have arrived; rejects after `ms` (the order, not the speed, is under test). */
    requested(count: number, ms = 2_000): Promise<void> {
        return new Promise((resolve, reject) => {
            const timer = setTimeout(
                () => reject(new Error(`only ${this.requests.length} request(s) after ${ms} ms`)),
                ms,
            );
            const check = () => {
                if (this.requests.length >= count) {
                    clearTimeout(timer);
                    resolve();
                } else this.waiters.push(check);
            };
            check();
        });
    }
}

const clientOver = (transport: FakeGraphTransport) => Client.initWithMiddleware({ middleware: [transport] });

/**
 * The product's middleware chain (shared/adapters/graphClient.ts) in front of the transport, with a credential that
 * answers on a later turn of the event loop, as a token cache may: a request then reaches the transport only
 * after whatever synchronous work follows its start.
 */
const productChainOver = (transport: FakeGraphTransport) =>
    Client.initWithMiddleware({
        middleware: [
            new AuthenticationHandler(
                new TokenCredentialAuthenticationProvider(
                    {
                        getToken: () =>
                            new Promise((resolve) =>
                                setImmediate(() => resolve({ token: 't', expiresOnTimestamp: Date.now() + 3_600_000 })),
                            ),
                    },
                    { scopes: [`${ORIGIN}/.default`] },
                ),
            ),
            new RetryHandler(),
            new RedirectHandler(),
            new TelemetryHandler(),
            new DispatchSignalHandler(),
            transport,
        ],
    });

describe('GraphApplicationScanner', () => {
    it("requests the next page while the scan is still working on this one (the scan's work overlaps the round trip)", async () => {
        const transport = new FakeGraphTransport(3);
        const scanner = new GraphApplicationScanner(productChainOver(transport));
        const seen: string[] = [];
        for await (const page of scanner.pages()) {
            // Still inside this page's work, before it yields once: the next page's request has already reached
            // the transport (a request still inside graph-client's middleware chain would only go out after it).
            if (seen.length < 2) expect(transport.requests).toHaveLength(seen.length + 2);
            seen.push(...page.map((a) => a.appId));
        }
        expect(seen).toEqual(['app-0', 'app-1', 'app-2']);
        expect(transport.requests).toHaveLength(3);
    });

    it('marks its requests as low priority (background work is throttled first)', async () => {
        const transport = new FakeGraphTransport(2);
        for await (const _ of new GraphApplicationScanner(clientOver(transport)).pages()) void _;
        expect(transport.requests.map((r) => r.headers['x-ms-throttle-priority'])).toEqual(['low', 'low']);
    });

    it('a prefetched page that fails is reported when the scan reaches it, never as an unhandled rejection', async () => {
        const transport = new FakeGraphTransport(3, 1);
        const scanner = new GraphApplicationScanner(clientOver(transport));
        const seen: string[] = [];
        const unhandled: unknown[] = [];
        const onUnhandled = (reason: unknown) => unhandled.push(reason);
        process.on('unhandledRejection', onUnhandled);
        try {
            await expect(
                (async () => {
                    for await (const page of scanner.pages()) {
                        await new Promise((r) => setTimeout(r, 20));
                        seen.push(...page.map((a) => a.appId));
                    }
                })(),
            ).rejects.toThrow(/list applications failed \(HTTP 403/);
        } finally {
            process.off('unhandledRejection', onUnhandled);
        }
        expect(seen).toEqual(['app-0']);
        expect(unhandled).toEqual([]);
    });
});
