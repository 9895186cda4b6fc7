import type { IncomingMessage, ServerResponse } from 'node:http';
import { ManualClock, type ClockSource } from '../clock/clock';
import type { FunctionRegistry } from '../core/coreShim';
import type { Invoker } from '../core/invoke';
import type { Chaos } from '../durable/chaos';
import type { TimerTriggers } from '../triggers/timerTriggers';
import { parseJsonBody, readBody, sendJson, sendText } from './util';

export interface AdminDeps {
    registry: FunctionRegistry;
    invoker: Invoker;
    timers: TimerTriggers;
    chaos: Chaos;
    clock: ClockSource;
    onError: (name: string, err: unknown) => void;
}

/**
 * `/admin/...` (master-key level):
 * - `POST /admin/functions/<name>` runs a non-HTTP function now, as the real host's admin API does (body
 *   `{"input":"..."}`; timers get a timer payload). 202 Accepted, the invocation runs in the background.
 * - `GET /admin/functions` lists registrations; `GET /admin/host/status` reports `Running`.
 * - Local-host extras: `GET|POST|DELETE /admin/host/chaos`, `GET|POST /admin/host/clock` (`{"advanceMs":n}` or
 *   `{"set":"<ISO>"}`, manual clock only).
 */
export async function handleAdmin(
    req: IncomingMessage,
    res: ServerResponse,
    segments: string[],
    d: AdminDeps,
): Promise<void> {
    const method = req.method ?? 'GET';
    const [area, name] = segments;
    if (area === 'functions' && !name && method === 'GET') {
        sendJson(
            res,
            200,
            d.registry.list().map((f) => ({ name: f.name, trigger: f.trigger.type, bindings: f.metadata.bindings })),
        );
        return;
    }
    if (area === 'functions' && name && method === 'POST') {
        const fn = d.registry.get(name);
        if (!fn) return sendText(res, 404, `No function named '${name}'.`);
        if (fn.trigger.type.toLowerCase() === 'httptrigger')
            return sendText(res, 400, 'HTTP functions are called over HTTP.');
        const body = parseJsonBody(await readBody(req)) as { input?: string } | null;
        const run =
            fn.trigger.type.toLowerCase() === 'timertrigger'
                ? d.timers.fire(fn, false)
                : d.invoker
                      .invoke(fn, { triggerData: body?.input === undefined ? undefined : { string: body.input } })
                      .then(() => undefined);
        run.catch((err: unknown) => d.onError(fn.name, err));
        return sendText(res, 202);
    }
    if (area === 'host' && name === 'status') {
        return sendJson(res, 200, { state: 'Running' });
    }
    if (area === 'host' && name === 'chaos') {
        if (method === 'POST') d.chaos.apply(parseJsonBody(await readBody(req)) ?? {});
        if (method === 'DELETE') d.chaos.reset();
        return sendJson(res, 200, { state: d.chaos.state, stats: d.chaos.stats });
    }
    if (area === 'host' && name === 'clock') {
        if (method === 'POST') {
            if (!(d.clock instanceof ManualClock))
                return sendText(res, 409, `The ${d.clock.kind} clock cannot be moved here.`);
            const body = (parseJsonBody(await readBody(req)) ?? {}) as { advanceMs?: number; set?: string };
            if (typeof body.advanceMs === 'number') d.clock.advance(body.advanceMs);
            if (typeof body.set === 'string') d.clock.set(body.set);
        }
        return sendJson(res, 200, { kind: d.clock.kind, now: new Date(await d.clock.now()).toISOString() });
    }
    sendText(res, 404);
}
