import { createHmac, randomUUID } from 'node:crypto';

import { type Consumer } from '../rotation/consumers';
import { type ConsumerRefresherPort, type RefreshOutcome, type RefreshRequest } from '../rotation/ports';
import { type Secret } from '../security/Secret';

export const SIGNATURE_HEADER = 'x-rotator-signature';
export const TIMESTAMP_HEADER = 'x-rotator-timestamp';
export const NONCE_HEADER = 'x-rotator-nonce';

/** A probe answers a small JSON document; anything larger is refused rather than read. */
export const MAX_PROBE_BODY_BYTES = 16 * 1024;

/**
 * `sha256=<hex HMAC-SHA256 of "<timestamp>.<nonce>.<body>">`. The timestamp is the send time, so receivers can
 * refuse stale requests (5 minutes is the documented window), and the nonce is unique per request, so they can
 * refuse replays within that window.
 */
export function signWebhook(key: Secret, timestamp: string, nonce: string, body: string): string {
    return `sha256=${createHmac('sha256', key.reveal()).update(`${timestamp}.${nonce}.${body}`).digest('hex')}`;
}

export interface ConsumerCallOptions {
    /** The shared key (`CONSUMER_WEBHOOK_SIGNING_KEY`), for webhooks without a key of their own. */
    readonly sharedKey: Secret | undefined;
    /** Reads a consumer's own key: the Key Vault secret its `signingKeySecretName` names. */
    readonly consumerKey: (secretName: string) => Promise<Secret | undefined>;
    /** Plain http only when local endpoints are allowed (the sandbox); https everywhere else. */
    readonly allowHttp: boolean;
    readonly now?: () => Date;
}

type Refusal = Extract<RefreshOutcome, { ok: false }>;

/**
 * Webhook consumers get a signed POST that names the secret and its new fingerprint (never the value) and
 * must re-read the secret from Key Vault; probe consumers expose the fingerprint of the secret they use.
 * Redirects are never followed (a 3xx could aim a signed POST at a loopback management endpoint), plain http is
 * refused outside the sandbox, and probe bodies are bounded.
 */
export class HttpConsumerRefresher implements ConsumerRefresherPort {
    constructor(private readonly options: ConsumerCallOptions) {}

    async refresh(consumer: Consumer, request: RefreshRequest): Promise<RefreshOutcome> {
        if (consumer.type === 'appService') {
            return { ok: false, retryable: false, detail: 'an App Service consumer is not refreshed over HTTP' };
        }
        const refused = this.checkUrl(consumer.url);
        if (refused) return refused;
        return consumer.type === 'webhook' ? this.webhook(consumer, request) : this.probe(consumer, request);
    }

    private checkUrl(url: string): Refusal | undefined {
        const protocol = new URL(url).protocol;
        if (protocol === 'https:' || (protocol === 'http:' && this.options.allowHttp)) return undefined;
        return {
            ok: false,
            retryable: false,
            detail: `consumer URL must use https (plain http only with ALLOW_LOCAL_ENDPOINTS)`,
        };
    }

    private async signingKey(consumer: Extract<Consumer, { type: 'webhook' }>): Promise<Secret | Refusal> {
        if (consumer.signingKeySecretName) {
            try {
                const key = await this.options.consumerKey(consumer.signingKeySecretName);
                if (key) return key;
            } catch {
                return { ok: false, retryable: true, detail: 'could not read the consumer signing key from Key Vault' };
            }
            return {
                ok: false,
                retryable: false,
                detail: `signing key secret ${consumer.signingKeySecretName} does not exist in the rotator's vault`,
            };
        }
        return (
            this.options.sharedKey ?? {
                ok: false,
                retryable: false,
                detail: 'CONSUMER_WEBHOOK_SIGNING_KEY is not set and the consumer names no signingKeySecretName',
            }
        );
    }

    private async webhook(
        consumer: Extract<Consumer, { type: 'webhook' }>,
        request: RefreshRequest,
    ): Promise<RefreshOutcome> {
        const key = await this.signingKey(consumer);
        if ('ok' in key) return key;
        const body = JSON.stringify({ type: 'secret.rotated', ...request });
        // The send time, not the orchestration's: a retried attempt is fresh, and each attempt has its own nonce.
        const timestamp = (this.options.now?.() ?? new Date()).toISOString();
        const nonce = randomUUID();
        try {
            const response = await fetch(consumer.url, {
                method: 'POST',
                redirect: 'manual',
                headers: {
                    'content-type': 'application/json',
                    [TIMESTAMP_HEADER]: timestamp,
                    [NONCE_HEADER]: nonce,
                    [SIGNATURE_HEADER]: signWebhook(key, timestamp, nonce, body),
                },
                body,
                signal: AbortSignal.timeout(consumer.timeoutSeconds * 1000),
            });
            await response.body?.cancel();
            if (isRedirect(response)) return redirected('webhook', response.status);
            if (response.ok) return { ok: true, detail: `webhook answered ${response.status}` };
            const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
            return { ok: false, retryable, detail: `webhook answered ${response.status}` };
        } catch (error) {
            return { ok: false, retryable: true, detail: `webhook unreachable (${errorName(error)})` };
        }
    }

    private async probe(
        consumer: Extract<Consumer, { type: 'probe' }>,
        request: RefreshRequest,
    ): Promise<RefreshOutcome> {
        try {
            const response = await fetch(consumer.url, { redirect: 'manual', signal: AbortSignal.timeout(10_000) });
            if (isRedirect(response)) {
                await response.body?.cancel();
                return redirected('probe', response.status);
            }
            if (!response.ok) {
                await response.body?.cancel();
                return { ok: false, retryable: true, detail: `probe answered ${response.status}` };
            }
            const text = await boundedText(response, MAX_PROBE_BODY_BYTES);
            if (text === undefined) {
                return { ok: false, retryable: true, detail: `probe answer larger than ${MAX_PROBE_BODY_BYTES} bytes` };
            }
            const observed = readFingerprint(parseJson(text));
            if (observed === request.fingerprint) {
                return {
                    ok: true,
                    detail: `probe reports the new fingerprint ${observed}`,
                    observedFingerprint: observed,
                };
            }
            return {
                ok: false,
                retryable: true,
                detail: `probe reports fingerprint ${observed ?? 'none'}, expected ${request.fingerprint}`,
                ...(observed ? { observedFingerprint: observed } : {}),
            };
        } catch (error) {
            return { ok: false, retryable: true, detail: `probe unreachable (${errorName(error)})` };
        }
    }
}

/** `redirect: 'manual'` in Node's fetch hands back the 3xx itself. */
const isRedirect = (response: Response): boolean => response.status >= 300 && response.status < 400;

function redirected(kind: 'webhook' | 'probe', status: number): Refusal {
    return {
        ok: false,
        retryable: false,
        detail: `${kind} answered a redirect (${status}); redirects are not followed`,
    };
}

/** The body as text, or undefined once it exceeds `limit` bytes (the rest is never read). */
async function boundedText(response: Response, limit: number): Promise<string | undefined> {
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (declared > limit) {
        await response.body?.cancel();
        return undefined;
    }
    if (!response.body) return '';
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > limit) {
            await reader.cancel();
            return undefined;
        }
        chunks.push(value);
    }
    return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return undefined;
    }
}

function readFingerprint(body: unknown): string | undefined {
    if (typeof body !== 'object' || body === null) return undefined;
    const record = body as Record<string, unknown>;
    const value = record.secretFingerprint ?? record.fingerprint;
    return typeof value === 'string' && /^[0-9a-f]{12}$/.test(value) ? value : undefined;
}

function errorName(error: unknown): string {
    if (error instanceof Error) return error.name === 'TimeoutError' ? 'timeout' : error.name;
    return 'error';
}
