import { type IncomingMessage, type ServerResponse } from 'node:http';

import { type EmuRequest, type EmuResponse } from './contract';

/** Real Graph rejects request bodies over 4 MB; nothing the SDKs send comes close. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export class BodyTooLargeError extends Error {}

/**
 * Parses the query with decoded *names*: the Key Vault SDK sends `api%2Dversion` and graph-client `%24select`
 * (api-fidelity §1.4, §4.3). URLSearchParams decodes both names and values.
 */
export function parseQuery(rawQuery: string): URLSearchParams {
    return new URLSearchParams(rawQuery);
}

export async function readBody(message: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
    const declared = Number(message.headers['content-length'] ?? '0');
    if (declared > limit) {
        message.resume();
        throw new BodyTooLargeError();
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of message as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > limit) {
            message.resume();
            throw new BodyTooLargeError();
        }
        chunks.push(chunk);
    }
    return Buffer.concat(chunks);
}

export function toEmuRequest(message: IncomingMessage, origin: string, body: Buffer): EmuRequest {
    const url = new URL(message.url ?? '/', origin);
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(message.headers)) {
        headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
    }
    // Graph paths like /applications(appId='…') arrive verbatim; decode for matching but keep segments intact.
    let path = url.pathname;
    try {
        path = decodeURIComponent(url.pathname);
    } catch {
        // Malformed escapes stay as sent; the service answers 400/404 like any unknown path.
    }
    return { method: (message.method ?? 'GET').toUpperCase(), path, query: parseQuery(url.search), headers, body, url };
}

export function writeEmuResponse(res: ServerResponse, response: EmuResponse): void {
    const headers: Record<string, string> = { ...(response.headers ?? {}) };
    const hasContentType = Object.keys(headers).some((name) => name.toLowerCase() === 'content-type');
    let payload: Buffer | undefined;
    if (response.body === undefined || response.body === null) {
        payload = undefined;
    } else if (Buffer.isBuffer(response.body)) {
        payload = response.body;
    } else if (typeof response.body === 'string') {
        payload = Buffer.from(response.body, 'utf8');
        if (!hasContentType) headers['content-type'] = 'text/plain; charset=utf-8';
    } else {
        payload = Buffer.from(JSON.stringify(response.body), 'utf8');
        if (!hasContentType) headers['content-type'] = 'application/json; charset=utf-8';
    }
    headers['content-length'] = String(payload?.length ?? 0);
    res.writeHead(response.status, headers);
    res.end(payload);
}

/** JSON body parsing that reports *why* it failed, so each service can answer in its own error shape. */
export type JsonParse = { ok: true; value: unknown } | { ok: false; reason: 'content-type' | 'syntax' | 'empty' };

export function parseJsonBody(request: EmuRequest, options: { allowEmpty?: boolean } = {}): JsonParse {
    if (request.body.length === 0) {
        return options.allowEmpty ? { ok: true, value: undefined } : { ok: false, reason: 'empty' };
    }
    const contentType = (request.headers['content-type'] ?? '').toLowerCase();
    if (!/^application\/([\w.+-]+\+)?json\b/.test(contentType)) {
        return { ok: false, reason: 'content-type' };
    }
    try {
        return { ok: true, value: JSON.parse(request.body.toString('utf8')) as unknown };
    } catch {
        return { ok: false, reason: 'syntax' };
    }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}
