import http from 'node:http';
import https from 'node:https';

/** Webhook targets must be on this machine: the emulator never sends traffic off loopback. */
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

export function checkWebhookUrl(raw: unknown): { ok: true; url: URL } | { ok: false; message: string } {
    if (typeof raw !== 'string') return { ok: false, message: 'endpointUrl is required.' };
    let url: URL;
    try {
        url = new URL(raw);
    } catch {
        return { ok: false, message: `endpointUrl '${raw}' is not an absolute URL.` };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        return { ok: false, message: 'endpointUrl must be http or https.' };
    }
    if (!LOOPBACK.has(url.hostname)) {
        return { ok: false, message: 'endpointUrl must be on loopback (localhost, 127.0.0.1 or [::1]).' };
    }
    return { ok: true, url };
}

export interface WebhookResponse {
    readonly status: number;
    readonly body: string;
}

/**
 * One POST with a deadline (Event Grid waits 30 s for a response, §5.3). No connection reuse (`agent: false`),
 * so closing a subscriber's server never waits on an idle keep-alive socket of ours. https targets are
 * trusted through the process CA store (`NODE_EXTRA_CA_CERTS`).
 */
export function postJson(
    url: URL,
    payload: unknown,
    headers: Record<string, string>,
    timeoutMs: number,
    signal: AbortSignal,
): Promise<WebhookResponse> {
    const data = Buffer.from(JSON.stringify(payload));
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
        const request = transport.request(
            url,
            {
                method: 'POST',
                agent: false,
                signal,
                timeout: timeoutMs,
                headers: { ...headers, 'content-length': String(data.length) },
            },
            (response) => {
                const chunks: Buffer[] = [];
                response.on('data', (chunk: Buffer) => chunks.push(chunk));
                response.on('end', () =>
                    resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
                );
                response.on('error', reject);
            },
        );
        request.on('timeout', () => request.destroy(new Error(`no response within ${timeoutMs} ms`)));
        request.on('error', reject);
        request.end(data);
    });
}
