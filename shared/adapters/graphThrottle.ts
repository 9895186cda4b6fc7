import { type Context, type Middleware } from '@microsoft/microsoft-graph-client';
import { setTimeout as sleep } from 'node:timers/promises';

import { currentPacing } from '../pacing/pacingContext';
import { GRAPH_SCOPE, type QuotaBudget, type QuotaName } from '../pacing/quotaBudget';
import { parseRetryAfterMs } from './upstreamError';

const SCOPE = GRAPH_SCOPE;

/** Which budgeted quota a Graph request spends, if any (api-fidelity §1.6). */
export function graphQuotaOf(method: string, url: string): QuotaName | undefined {
    const path = url.replace(/^https?:\/\/[^/]+/i, '').split('?')[0] ?? '';
    if (/\/auditLogs\//i.test(path)) return 'signInReads';
    if (method !== 'GET' && method !== 'HEAD' && /\/applications[/(]/i.test(path)) return 'graphWrites';
    return undefined;
}

/**
 * graph-client middleware between the retry handler and the transport, so it sees every attempt:
 * - asks the shared budget for a turn before a budgeted call; a far turn becomes a `throttled` error with
 *   the turn as Retry-After (the activity returns it; the orchestrator sleeps on a durable timer);
 * - marks each request with `x-ms-throttle-priority` (emergency rotations high, background scans low);
 * - feeds 429 Retry-After and `x-ms-throttle-limit-percentage` back into the budget.
 */
export class GraphThrottleMiddleware implements Middleware {
    private next: Middleware | undefined;

    constructor(private readonly budget: QuotaBudget) {}

    setNext(next: Middleware): void {
        this.next = next;
    }

    async execute(context: Context): Promise<void> {
        const method = (context.options?.method ?? 'GET').toUpperCase();
        const request = context.request as unknown;
        const requestUrl = typeof request === 'string' ? request : (request as { url?: unknown }).url;
        const url = typeof requestUrl === 'string' ? requestUrl : '';
        const quota = graphQuotaOf(method, url);
        const pacing = currentPacing();
        if (!hasHeader(context, 'x-ms-throttle-priority'))
            setHeader(context, 'x-ms-throttle-priority', pacing.priority);
        if (quota && !pacing.prepaid?.delete(quota)) {
            const admission = this.budget.admit(quota, SCOPE, pacing.key && `${pacing.key}|${quota}`, pacing.priority);
            if (!admission.admitted) {
                // Answered locally as the service would, so the adapter maps it like any 429 (graph-client
                // would turn a thrown error into a status-less GraphError).
                context.response = pacedResponse(quota, admission.retryAfterMs);
                return;
            }
            if (admission.waitMs > 0) await sleep(admission.waitMs);
        }
        await this.next!.execute(context);
        const response = context.response;
        if (!quota || !response) return;
        if (response.status === 429) {
            this.budget.throttled(quota, SCOPE, parseRetryAfterMs(response.headers.get('retry-after')));
        } else {
            const pressure = Number(response.headers.get('x-ms-throttle-limit-percentage') ?? NaN);
            this.budget.pressure(quota, SCOPE, Number.isFinite(pressure) ? pressure : undefined);
        }
    }
}

function hasHeader(context: Context, name: string): boolean {
    const headers = context.options?.headers;
    if (!headers) return false;
    if (headers instanceof Headers) return headers.has(name);
    return Object.keys(headers).some((k) => k.toLowerCase() === name);
}

function setHeader(context: Context, name: string, value: string): void {
    context.options ??= {};
    const headers = context.options.headers;
    if (headers instanceof Headers) headers.set(name, value);
    else context.options.headers = { ...(headers ?? {}), [name]: value };
}

/** A 429 in Graph's shape that never left the process: the budget's turn is the Retry-After. */
function pacedResponse(quota: QuotaName, retryAfterMs: number): Response {
    const body = { error: { code: 'TooManyRequests', message: `Paced by the rotator's ${quota} budget.` } };
    return new Response(JSON.stringify(body), {
        status: 429,
        headers: {
            'content-type': 'application/json',
            'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
            'x-ms-throttle-information': `LocalBudget/${quota}`,
        },
    });
}
