import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FunctionRegistry } from '../core/coreShim';
import type { Invoker } from '../core/invoke';
import { headerValue, parseJsonBody, readBody, sendJson, sendText } from './util';

/**
 * The Event Grid extension's webhook, `POST /runtime/webhooks/EventGrid?functionName=<name>`.
 * - `aeg-event-type: SubscriptionValidation` (Event Grid schema): answer `{validationResponse: data.validationCode}`.
 * - CloudEvents v1.0 abuse-protection handshake: `OPTIONS` with `WebHook-Request-Origin` → echo it in
 *   `WebHook-Allowed-Origin`.
 * - `aeg-event-type: Notification`: the body is an array of events (Event Grid schema, or CloudEvents batch) or a
 *   single CloudEvent; the function is invoked once per event with the event JSON as its trigger input.
 * Status codes are assumptions about the extension: 202 when every invocation succeeded, 500 otherwise (so Event
 * Grid retries), 400 for a missing/unknown event type header, 404 for an unknown function.
 */
export async function handleEventGrid(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    registry: FunctionRegistry,
    invoker: Invoker,
    onError: (name: string, err: unknown) => void,
): Promise<void> {
    const name = url.searchParams.get('functionName') ?? '';
    const fn = registry.get(name);
    if (!fn || fn.trigger.type.toLowerCase() !== 'eventgridtrigger') {
        sendText(res, 404, `No Event Grid trigger function named '${name}'.`);
        return;
    }
    const origin = headerValue(req, 'webhook-request-origin');
    if (req.method === 'OPTIONS') {
        if (!origin) {
            sendText(res, 400, 'Missing WebHook-Request-Origin header.');
            return;
        }
        sendText(res, 200, '', { 'WebHook-Allowed-Origin': origin, 'WebHook-Allowed-Rate': '*' });
        return;
    }
    if (req.method !== 'POST') {
        sendText(res, 405);
        return;
    }
    let body: unknown;
    try {
        body = parseJsonBody(await readBody(req));
    } catch (err) {
        sendText(res, 400, (err as Error).message);
        return;
    }
    const events = Array.isArray(body) ? (body as unknown[]) : body === null ? [] : [body];
    const kind = (headerValue(req, 'aeg-event-type') ?? '').toLowerCase();
    if (kind === 'subscriptionvalidation') {
        const first = events[0] as { data?: { validationCode?: string } } | undefined;
        const code = first?.data?.validationCode;
        if (!code) {
            sendText(res, 400, 'Missing validationCode.');
            return;
        }
        sendJson(res, 200, { validationResponse: code });
        return;
    }
    if (kind === 'unsubscribe') {
        sendText(res, 202);
        return;
    }
    if (kind !== 'notification') {
        sendText(res, 400, `Unsupported aeg-event-type '${kind}'.`);
        return;
    }
    let failed = 0;
    for (const e of events) {
        try {
            await invoker.invoke(fn, { triggerData: { string: JSON.stringify(e) } });
        } catch (err) {
            failed++;
            onError(fn.name, err);
        }
    }
    sendText(res, failed === 0 ? 202 : 500);
}
