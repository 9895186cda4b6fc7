import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { HttpConsumerRefresher, MAX_PROBE_BODY_BYTES } from '../../../shared/adapters/httpConsumerRefresher';
import { type Consumer } from '../../../shared/rotation/consumers';
import { Secret } from '../../../shared/security/Secret';

interface Seen {
    path: string;
    method: string;
    headers: IncomingMessage['headers'];
    body: string;
}

let server: Server;
let base: string;
const seen: Seen[] = [];
const routes = new Map<string, (res: ServerResponse) => void>();

beforeAll(async () => {
    server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
            seen.push({
                path: req.url ?? '',
                method: req.method ?? '',
                headers: req.headers,
                body: Buffer.concat(chunks).toString(),
            });
            (routes.get(req.url ?? '') ?? ((r: ServerResponse) => r.writeHead(404).end()))(res);
        });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const SHARED = 'shared-key-0123456789';
const OWN = 'own-key-abcdefghijklmn';
const request = {
    vaultUrl: 'https://kv.vault.azure.net',
    secretName: 'app-secret',
    secretVersion: 'v2',
    fingerprint: 'abcdef012345',
    rotationId: 'r1',
    requestedAt: '2026-01-01T00:00:00.000Z',
};
const refresher = (allowHttp = true) =>
    new HttpConsumerRefresher({
        sharedKey: new Secret(SHARED),
        consumerKey: (name) => Promise.resolve(name === 'worker-signing-key' ? new Secret(OWN) : undefined),
        allowHttp,
        now: () => new Date('2026-01-01T00:05:00.000Z'),
    });
const webhook = (path: string, extra: Partial<Consumer> = {}): Consumer =>
    ({
        name: 'w',
        type: 'webhook',
        url: `${base}${path}`,
        onFailure: 'abort',
        timeoutSeconds: 5,
        ...extra,
    }) as Consumer;
const probe = (path: string): Consumer => ({
    name: 'p',
    type: 'probe',
    url: `${base}${path}`,
    onFailure: 'abort',
    maxWaitSeconds: 10,
    intervalSeconds: 1,
});
const hmac = (key: string, h: IncomingMessage['headers'], body: string) =>
    `sha256=${createHmac('sha256', key)
        .update(`${String(h['x-rotator-timestamp'])}.${String(h['x-rotator-nonce'])}.${body}`)
        .digest('hex')}`;

describe('consumer calls', () => {
    it('never follows a redirect: a 307 towards a loopback management path is refused, nothing is posted there', async () => {
        routes.set('/hook', (res) =>
            res.writeHead(307, { location: `${base}/durabletask/instances/x/terminate?reason=ssrf` }).end(),
        );
        seen.length = 0;
        const outcome = await refresher().refresh(webhook('/hook'), request);
        expect(outcome).toMatchObject({ ok: false, retryable: false });
        expect(outcome.detail).toMatch(/redirect \(307\)/);
        expect(seen.map((s) => s.path)).toEqual(['/hook']);
        routes.set('/health-moved', (res) => res.writeHead(302, { location: `${base}/elsewhere` }).end());
        expect(await refresher().refresh(probe('/health-moved'), request)).toMatchObject({
            ok: false,
            retryable: false,
        });
    });

    it('refuses plain http unless local endpoints are allowed, without sending anything', async () => {
        routes.set('/ok', (res) => res.writeHead(204).end());
        seen.length = 0;
        const outcome = await refresher(false).refresh(webhook('/ok'), request);
        expect(outcome).toMatchObject({ ok: false, retryable: false });
        expect(outcome.detail).toMatch(/https/);
        expect(seen).toHaveLength(0);
        expect(await refresher(true).refresh(webhook('/ok'), request)).toMatchObject({ ok: true });
    });

    it('signs the send time and a fresh nonce per request, with the shared key or the consumer own key', async () => {
        routes.set('/ok', (res) => res.writeHead(200).end());
        seen.length = 0;
        await refresher().refresh(webhook('/ok'), request);
        await refresher().refresh(webhook('/ok'), request);
        await refresher().refresh(webhook('/ok', { signingKeySecretName: 'worker-signing-key' }), request);
        const [a, b, own] = seen;
        expect(a!.headers['x-rotator-timestamp']).toBe('2026-01-01T00:05:00.000Z');
        expect(a!.headers['x-rotator-nonce']).not.toBe(b!.headers['x-rotator-nonce']);
        expect(a!.headers['x-rotator-signature']).toBe(hmac(SHARED, a!.headers, a!.body));
        expect(own!.headers['x-rotator-signature']).toBe(hmac(OWN, own!.headers, own!.body));
        expect(own!.headers['x-rotator-signature']).not.toBe(hmac(SHARED, own!.headers, own!.body));
        expect(JSON.parse(a!.body)).toMatchObject({ type: 'secret.rotated', fingerprint: 'abcdef012345' });
        const missing = await refresher().refresh(webhook('/ok', { signingKeySecretName: 'no-such-key' }), request);
        expect(missing).toMatchObject({ ok: false, retryable: false });
    });

    it('reads at most 16 KiB of a probe answer, declared or streamed', async () => {
        const big = JSON.stringify({ secretFingerprint: 'abcdef012345', pad: 'x'.repeat(MAX_PROBE_BODY_BYTES) });
        routes.set('/big', (res) => res.writeHead(200, { 'content-type': 'application/json' }).end(big));
        routes.set('/streamed', (res) => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.write(big.slice(0, 10_000));
            res.end(big.slice(10_000));
        });
        routes.set('/small', (res) => res.writeHead(200).end(JSON.stringify({ secretFingerprint: 'abcdef012345' })));
        for (const path of ['/big', '/streamed']) {
            const outcome = await refresher().refresh(probe(path), request);
            expect(outcome).toMatchObject({ ok: false });
            expect(outcome.detail).toMatch(/larger than/);
        }
        expect(await refresher().refresh(probe('/small'), request)).toMatchObject({ ok: true });
    });
});
