import type { IncomingMessage, ServerResponse } from 'node:http';
import { eventTypeName, EventType, type HistoryEvent } from '../durable/history';
import { HttpError, type DurableRuntime } from '../durable/runtime';
import { TERMINAL, type InstanceRecord, type RuntimeStatus } from '../durable/store';
import { parseJsonBody, readBody, sendJson } from './util';

/** Base path of the public management API; the durable client's `rpcBaseUrl` is `/durabletask/` on this server. */
export const WEBHOOK_BASE = '/runtime/webhooks/durabletask';
export const RPC_BASE = '/durabletask';

export interface ClientUrls {
    baseUrl: string;
    taskHub: string;
    /** `requiredQueryStringParameters` appended to management URLs (e.g. `code=...`). */
    requiredQuery: string;
}

/** Durable client binding value, shaped like the extension's `BindingHelper.DurableOrchestrationClientToString`. */
export function durableClientData(u: ClientUrls): Record<string, unknown> {
    const hook = `${u.baseUrl}${WEBHOOK_BASE}`;
    const common = `taskHub=${u.taskHub}&connection=Storage${u.requiredQuery ? `&${u.requiredQuery}` : ''}`;
    const instance = `${hook}/instances/INSTANCEID`;
    return {
        taskHubName: u.taskHub,
        creationUrls: {
            createNewInstancePostUri: `${hook}/orchestrators/{functionName}[/{instanceId}]?${common}`,
            createAndWaitOnNewInstancePostUri: `${hook}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${common}`,
        },
        managementUrls: managementPayload(u, 'INSTANCEID', instance),
        baseUrl: hook,
        requiredQueryStringParameters: u.requiredQuery,
        rpcBaseUrl: `${u.baseUrl}${RPC_BASE}/`,
    };
}

function managementPayload(u: ClientUrls, id: string, instance?: string): Record<string, string> {
    const base = instance ?? `${u.baseUrl}${WEBHOOK_BASE}/instances/${encodeURIComponent(id)}`;
    const common = `taskHub=${u.taskHub}&connection=Storage${u.requiredQuery ? `&${u.requiredQuery}` : ''}`;
    return {
        id,
        statusQueryGetUri: `${base}?${common}`,
        sendEventPostUri: `${base}/raiseEvent/{eventName}?${common}`,
        terminatePostUri: `${base}/terminate?reason={text}&${common}`,
        rewindPostUri: `${base}/rewind?reason={text}&${common}`,
        purgeHistoryDeleteUri: `${base}?${common}`,
        restartPostUri: `${base}/restart?${common}`,
        suspendPostUri: `${base}/suspend?reason={text}&${common}`,
        resumePostUri: `${base}/resume?reason={text}&${common}`,
    };
}

/** The extension formats times as `yyyy-MM-ddTHH:mm:ssZ`. */
const hostTime = (isoText: string): string => isoText.replace(/\.\d{3}Z$/, 'Z');
const parsed = (text: string | null): unknown => (text === null ? null : (JSON.parse(text) as unknown));

function historyView(events: HistoryEvent[], withOutput: boolean): unknown[] {
    return events
        .filter((e) => e.EventType !== EventType.OrchestratorStarted && e.EventType !== EventType.OrchestratorCompleted)
        .map((e) => {
            const { Input, Result, IsPlayed: _played, EventType: type, ...rest } = e;
            return {
                EventType: eventTypeName(type),
                ...rest,
                ...(withOutput ? { Input, Result } : {}),
            };
        });
}

export function statusView(r: InstanceRecord, q: URLSearchParams): Record<string, unknown> {
    return {
        name: r.name,
        instanceId: r.instanceId,
        runtimeStatus: r.runtimeStatus,
        input: q.get('showInput') === 'false' ? null : parsed(r.input),
        customStatus: parsed(r.customStatus),
        output: parsed(r.output),
        createdTime: hostTime(r.createdTime),
        lastUpdatedTime: hostTime(r.lastUpdatedTime),
        ...(q.get('showHistory') === 'true'
            ? { historyEvents: historyView(r.history, q.get('showHistoryOutput') === 'true') }
            : {}),
    };
}

function filtered(all: InstanceRecord[], q: URLSearchParams): InstanceRecord[] {
    const from = q.get('createdTimeFrom');
    const to = q.get('createdTimeTo');
    const statuses = q
        .get('runtimeStatus')
        ?.split(',')
        .filter((s) => s.length > 0) as RuntimeStatus[] | undefined;
    const prefix = q.get('instanceIdPrefix');
    return all
        .filter((r) => !from || Date.parse(r.createdTime) >= Date.parse(from))
        .filter((r) => !to || Date.parse(r.createdTime) <= Date.parse(to))
        .filter((r) => !statuses || statuses.length === 0 || statuses.includes(r.runtimeStatus))
        .filter((r) => !prefix || r.instanceId.startsWith(prefix))
        .sort((a, b) => a.createdTime.localeCompare(b.createdTime) || a.instanceId.localeCompare(b.instanceId));
}

/** Routes of the extension's `HttpApiHandler`, served at both base paths. `segments` follow the base path. */
export async function handleDurableApi(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    segments: string[],
    runtime: DurableRuntime,
    urls: ClientUrls,
    pageSize: number,
): Promise<void> {
    const method = req.method ?? 'GET';
    const q = url.searchParams;
    const [root, id, op, arg] = segments;
    try {
        if (root === 'orchestrators' && method === 'POST' && id) {
            const body = await readBody(req);
            const input = parseJsonBody(body);
            const record = await runtime.startNew(id, op, body.length > 0 ? JSON.stringify(input) : null);
            const payload = managementPayload(urls, record.instanceId);
            sendJson(res, 202, payload, { Location: payload.statusQueryGetUri ?? '' });
            return;
        }
        if (root !== 'instances') throw new HttpError(404, 'Not found.');
        if (!id) {
            const matches = filtered(runtime.store.all(), q);
            if (method === 'DELETE') {
                if (!q.get('createdTimeFrom')) throw new HttpError(400, 'createdTimeFrom is required.');
                const deleted = matches
                    .filter((r) => TERMINAL.has(r.runtimeStatus))
                    .filter((r) => runtime.store.delete(r.instanceId));
                sendJson(res, deleted.length > 0 ? 200 : 404, { instancesDeleted: deleted.length });
                return;
            }
            const top = Number(q.get('top') ?? pageSize) || pageSize;
            const token = req.headers['x-ms-continuation-token'];
            const offset = typeof token === 'string' ? Number(Buffer.from(token, 'base64').toString('utf8')) || 0 : 0;
            const page = matches.slice(offset, offset + top);
            const headers: Record<string, string> = {};
            if (offset + top < matches.length) {
                headers['x-ms-continuation-token'] = Buffer.from(String(offset + top)).toString('base64');
            }
            sendJson(
                res,
                200,
                page.map((r) => statusView(r, q)),
                headers,
            );
            return;
        }
        if (method === 'GET' && !op) {
            const record = runtime.store.get(id);
            if (!record) throw new HttpError(404, `No instance with ID '${id}' found.`);
            const running = !TERMINAL.has(record.runtimeStatus);
            const payload = managementPayload(urls, id);
            sendJson(
                res,
                running ? 202 : 200,
                statusView(record, q),
                running ? { Location: payload.statusQueryGetUri ?? '', 'Retry-After': '5' } : {},
            );
            return;
        }
        if (method === 'DELETE' && !op) {
            sendJson(res, 200, { instancesDeleted: runtime.purge(id) });
            return;
        }
        if (method === 'POST' && op === 'raiseEvent' && arg) {
            const contentType = req.headers['content-type'] ?? '';
            if (!contentType.includes('json'))
                throw new HttpError(400, 'Only application/json request content is supported');
            const body = await readBody(req);
            const data = parseJsonBody(body);
            await runtime.raiseEvent(id, arg, body.length > 0 ? JSON.stringify(data) : null);
            sendJson(res, 202, null);
            return;
        }
        const reason = q.get('reason') ?? '';
        if (method === 'POST' && op === 'terminate') await runtime.terminate(id, reason);
        else if (method === 'POST' && op === 'suspend') await runtime.suspend(id, reason);
        else if (method === 'POST' && op === 'resume') await runtime.resume(id, reason);
        else if (method === 'POST' && (op === 'rewind' || op === 'restart'))
            throw new HttpError(501, `${op} is not supported by the local host.`);
        else throw new HttpError(404, 'Not found.');
        sendJson(res, 202, null);
    } catch (err) {
        if (err instanceof HttpError) sendJson(res, err.status, { message: err.message });
        else if (err instanceof SyntaxError) sendJson(res, 400, { message: err.message });
        else throw err;
    }
}
