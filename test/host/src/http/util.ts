import type { IncomingMessage, ServerResponse } from 'node:http';

export async function readBody(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
}

export function sendJson(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
    res.end(text);
}

export function sendText(res: ServerResponse, status: number, text = '', headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
    res.end(text);
}

/** Parses a JSON request body; empty means null. Throws with a 400-friendly message. */
export function parseJsonBody(body: Buffer): unknown {
    const text = body.toString('utf8');
    if (text.trim().length === 0) return null;
    try {
        return JSON.parse(text) as unknown;
    } catch {
        throw new SyntaxError('The request body is not valid JSON.');
    }
}

export function headerValue(req: IncomingMessage, name: string): string | undefined {
    const value = req.headers[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
}

/**
 * `/runtime/webhooks/durabletask/...` without the query, case preserved. A malformed percent-encoding (`%`,
 * `%E0%A4%A`) is kept as written instead of failing the request with a 500 (assumed to match Kestrel, which
 * leaves sequences it cannot decode undecoded); the function's own validation then answers it.
 */
export function pathOf(url: URL): string[] {
    return url.pathname
        .split('/')
        .filter((s) => s.length > 0)
        .map((s) => {
            try {
                return decodeURIComponent(s);
            } catch {
                return s;
            }
        });
}
