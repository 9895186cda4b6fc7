import { createHmac } from 'node:crypto';

import { type Consumer } from '../rotation/consumers';
import { type ConsumerRefresherPort, type RefreshOutcome, type RefreshRequest } from '../rotation/ports';
import { type Secret } from '../security/Secret';

export const SIGNATURE_HEADER = 'x-rotator-signature';
export const TIMESTAMP_HEADER = 'x-rotator-timestamp';

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`; the timestamp lets receivers refuse replays. */
export function signWebhook(key: Secret, timestamp: string, body: string): string {
    return `sha256=${createHmac('sha256', key.reveal()).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Webhook consumers get a signed POST that names the secret and its new fingerprint (never the value) and
 * must re-read the secret from Key Vault; probe consumers expose the fingerprint of the secret they use.
 */
export class HttpConsumerRefresher implements ConsumerRefresherPort {
    constructor(private readonly signingKey: Secret | undefined) {}

    async refresh(consumer: Consumer, request: RefreshRequest): Promise<RefreshOutcome> {
        if (consumer.type === 'appService') {
            return { ok: false, retryable: false, detail: 'an App Service consumer is not refreshed over HTTP' };
        }
        return consumer.type === 'webhook' ? this.webhook(consumer, request) : this.probe(consumer, request);
    }

    private async webhook(
        consumer: Extract<Consumer, { type: 'webhook' }>,
        request: RefreshRequest,
    ): Promise<RefreshOutcome> {
        if (!this.signingKey) {
            return {
                ok: false,
                retryable: false,
                detail: 'CONSUMER_WEBHOOK_SIGNING_KEY is not set; webhooks cannot be signed',
            };
        }
        const body = JSON.stringify({ type: 'secret.rotated', ...request });
        const timestamp = request.requestedAt;
        try {
            const response = await fetch(consumer.url, {
                method: 'POST',
                headers: {
                    'content-type': 'application/json',
                    [TIMESTAMP_HEADER]: timestamp,
                    [SIGNATURE_HEADER]: signWebhook(this.signingKey, timestamp, body),
                },
                body,
                signal: AbortSignal.timeout(consumer.timeoutSeconds * 1000),
            });
            await response.body?.cancel();
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
            const response = await fetch(consumer.url, { signal: AbortSignal.timeout(10_000) });
            if (!response.ok) {
                await response.body?.cancel();
                return { ok: false, retryable: true, detail: `probe answered ${response.status}` };
            }
            const observed = readFingerprint(await response.json().catch(() => undefined));
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
