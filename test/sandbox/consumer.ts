/**
 * A simulated consumer of a managed client secret, modelled on seed 000's Teams agent: it reads its client secret
 * from Key Vault, signs in to Entra with it (msal-node, client credentials) on an interval, reports the
 * fingerprint of the secret it uses on GET /health, and accepts a signed refresh webhook on POST /refresh.
 *
 * With --pinned-version it reads that exact version forever (the Ghent failure): a refresh re-reads the pinned
 * version, so it keeps signing in with the old key. Run as a child process with NODE_EXTRA_CA_CERTS set.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { parseArgs } from 'node:util';

import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { ConfidentialClientApplication } from '@azure/msal-node';

import { fingerprintOfText } from '../../shared/security/fingerprint';

async function main(): Promise<void> {
    const { values } = parseArgs({
        options: {
            name: { type: 'string' },
            port: { type: 'string', default: '0' },
            tenant: { type: 'string' },
            authority: { type: 'string' },
            'vault-url': { type: 'string' },
            'secret-name': { type: 'string' },
            'app-id': { type: 'string' },
            'pinned-version': { type: 'string' },
            'reader-client-id': { type: 'string' },
            'signin-interval-ms': { type: 'string', default: '2000' },
        },
    });
    const need = (key: keyof typeof values): string => {
        const value = values[key];
        if (typeof value !== 'string' || value === '') throw new Error(`--${key} is required`);
        return value;
    };
    // Secrets arrive on stdin as one JSON line, never on the command line (visible in `ps`).
    const secrets = await new Promise<{ readerSecret: string; signingKey: string }>((resolve) => {
        let text = '';
        process.stdin.on('data', (c: Buffer) => (text += c.toString('utf8')));
        process.stdin.on('end', () => resolve(JSON.parse(text) as { readerSecret: string; signingKey: string }));
    });

    const name = need('name');
    const tenant = need('tenant');
    const authority = need('authority');
    const vaultUrl = need('vault-url');
    const secretName = need('secret-name');
    const appId = need('app-id');
    const pinned = values['pinned-version'];
    const reader = new SecretClient(
        vaultUrl,
        new ClientSecretCredential(tenant, need('reader-client-id'), secrets.readerSecret, {
            authorityHost: authority,
            disableInstanceDiscovery: true,
        }),
        { disableChallengeResourceVerification: true },
    );

    let secretText = '';
    let version = '';
    let lastSignIn: { at: string; ok: boolean; error?: string } | undefined;
    let signIns = 0;

    async function loadSecret(): Promise<void> {
        const secret = await reader.getSecret(secretName, pinned ? { version: pinned } : {});
        secretText = secret.value ?? '';
        version = secret.properties.version ?? '';
    }

    async function signIn(): Promise<void> {
        // A fresh client per sign-in: the point is that every token request shows up in the sign-in log.
        const client = new ConfidentialClientApplication({
            auth: {
                clientId: appId,
                authority: `${authority}/${tenant}`,
                clientSecret: secretText,
                knownAuthorities: [new URL(authority).host],
            },
        });
        try {
            await client.acquireTokenByClientCredential({
                scopes: ['https://graph.microsoft.com/.default'],
                skipCache: true,
            });
            lastSignIn = { at: new Date().toISOString(), ok: true };
            signIns += 1;
        } catch (error) {
            const message = error instanceof Error ? error.message : 'error';
            lastSignIn = {
                at: new Date().toISOString(),
                ok: false,
                error: /AADSTS\d+/.exec(message)?.[0] ?? 'sign-in failed',
            };
        }
    }

    /** Nonces seen within the freshness window: a replayed request is refused even with a valid signature. */
    const seenNonces = new Map<string, number>();
    const FRESHNESS_MS = 5 * 60_000;

    /** The receiver contract (README "Consumers"): valid HMAC, a timestamp within 5 minutes, a nonce never seen. */
    function verifySignature(req: IncomingMessage, body: string): string | undefined {
        const timestamp = String(req.headers['x-rotator-timestamp'] ?? '');
        const nonce = String(req.headers['x-rotator-nonce'] ?? '');
        const presented = String(req.headers['x-rotator-signature'] ?? '');
        const expected = `sha256=${createHmac('sha256', secrets.signingKey).update(`${timestamp}.${nonce}.${body}`).digest('hex')}`;
        const valid =
            presented.length === expected.length && timingSafeEqual(Buffer.from(presented), Buffer.from(expected));
        if (!valid || nonce === '') return 'bad signature';
        const now = Date.now();
        if (!(Math.abs(now - Date.parse(timestamp)) <= FRESHNESS_MS)) return 'stale timestamp';
        for (const [seen, at] of seenNonces) if (now - at > FRESHNESS_MS) seenNonces.delete(seen);
        if (seenNonces.has(nonce)) return 'replayed nonce';
        seenNonces.set(nonce, now);
        return undefined;
    }

    await loadSecret();
    await signIn();
    const interval = setInterval(() => void signIn(), Number(values['signin-interval-ms']));

    const server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            const send = (status: number, payload: object): void => {
                res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
            };
            if (req.method === 'GET' && req.url === '/health') {
                send(200, {
                    name,
                    secretName,
                    pinnedVersion: pinned ?? null,
                    secretVersion: version,
                    secretFingerprint: fingerprintOfText(secretText),
                    signIns,
                    lastSignIn: lastSignIn ?? null,
                });
                return;
            }
            if (req.method === 'POST' && req.url === '/refresh') {
                const refused = verifySignature(req, body);
                if (refused) {
                    send(401, { error: refused });
                    return;
                }
                loadSecret().then(
                    () => send(200, { reloaded: true, secretFingerprint: fingerprintOfText(secretText) }),
                    () => send(503, { reloaded: false }),
                );
                return;
            }
            send(404, { error: 'not found' });
        });
    });
    server.listen(Number(values.port), '127.0.0.1', () => {
        const address = server.address();
        const port = typeof address === 'object' && address ? address.port : 0;
        process.stdout.write(`${JSON.stringify({ ready: true, name, url: `http://localhost:${port}` })}\n`);
    });
    const stop = (): void => {
        clearInterval(interval);
        server.close(() => process.exit(0));
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
    process.stderr.write(`consumer failed: ${error instanceof Error ? error.message : 'error'}\n`);
    process.exit(1);
});
