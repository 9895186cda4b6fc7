import { type EmuRequest, type EmuResponse } from '../core/contract';
import { isRecord, parseJsonBody } from '../core/http';
import { badRequest } from './errors';

export const MAX_BATCH_REQUESTS = 20;

interface BatchItem {
    id: string;
    method: string;
    url: string;
    headers: Record<string, string>;
    body: unknown;
    dependsOn: string[];
}

function parseItems(request: EmuRequest): BatchItem[] {
    const parsed = parseJsonBody(request);
    if (!parsed.ok || !isRecord(parsed.value) || !Array.isArray(parsed.value['requests'])) {
        throw badRequest(
            'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
        );
    }
    const requests: unknown[] = parsed.value['requests'];
    if (requests.length > MAX_BATCH_REQUESTS) {
        throw badRequest(`The number of requests in the batch exceeds the limit of ${MAX_BATCH_REQUESTS}.`);
    }
    const items = requests.map((raw): BatchItem => {
        if (
            !isRecord(raw) ||
            typeof raw['id'] !== 'string' ||
            typeof raw['method'] !== 'string' ||
            typeof raw['url'] !== 'string'
        ) {
            throw badRequest('Invalid batch payload format.');
        }
        const headers: Record<string, string> = {};
        if (isRecord(raw['headers']))
            for (const [k, v] of Object.entries(raw['headers'])) headers[k.toLowerCase()] = String(v);
        return {
            id: raw['id'],
            method: raw['method'].toUpperCase(),
            url: raw['url'],
            headers,
            body: raw['body'],
            dependsOn: Array.isArray(raw['dependsOn']) ? raw['dependsOn'].map(String) : [],
        };
    });
    if (new Set(items.map((item) => item.id)).size !== items.length) throw badRequest('Request id must be unique.');
    return items;
}

/**
 * `POST /{version}/$batch` (§1.7): ≤ 20 requests, each run through the normal pipeline with the outer token;
 * a failed dependency makes its dependents 424. The outer status is 200 whenever the batch itself parses.
 */
export async function runBatch(
    request: EmuRequest,
    version: string,
    execute: (inner: EmuRequest) => Promise<EmuResponse>,
): Promise<EmuResponse> {
    const items = parseItems(request);
    const statuses = new Map<string, number>();
    const responses: object[] = [];
    for (const item of items) {
        if (item.dependsOn.some((id) => (statuses.get(id) ?? 424) >= 400)) {
            statuses.set(item.id, 424);
            responses.push({
                id: item.id,
                status: 424,
                body: { error: { code: 'Request_FailedDependency', message: 'Failed dependency.' } },
            });
            continue;
        }
        if (item.body !== undefined && !item.headers['content-type']) {
            statuses.set(item.id, 400);
            responses.push({
                id: item.id,
                status: 400,
                body: {
                    error: { code: 'BadRequest', message: 'Content-Type header is required when a body is present.' },
                },
            });
            continue;
        }
        const url = new URL(`/${version}/${item.url.replace(/^\//, '')}`, request.url.origin);
        const inner: EmuRequest = {
            method: item.method,
            path: decodeURIComponent(url.pathname),
            query: new URLSearchParams(url.search),
            headers: {
                authorization: request.headers['authorization'],
                'client-request-id': request.headers['client-request-id'],
                ...item.headers,
            },
            body: item.body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(item.body)),
            url,
        };
        const response = await execute(inner);
        statuses.set(item.id, response.status);
        responses.push({
            id: item.id,
            status: response.status,
            headers: {
                'content-type': response.headers?.['content-type'] ?? 'application/json',
                ...(response.headers?.['retry-after'] ? { 'retry-after': response.headers['retry-after'] } : {}),
            },
            ...(response.body === undefined ? {} : { body: response.body }),
        });
    }
    return { status: 200, body: { responses } };
}
