import type { IncomingMessage, ServerResponse } from 'node:http';
import { eventTypeName, EventType, type HistoryEvent } from '../durable/history';
import { HttpError, type DurableRuntime } from '../durable/runtime';
import { TERMINAL, type InstanceRecord, type RuntimeStatus } from '../durable/store';
import { readBody, sendJson } from './util';

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
    // Creation links carry only the webhook's own query (the system key), as in `GetInstanceCreationLinks`.
    const create = `${hook}/orchestrators/{functionName}[/{instanceId}]`;
    const instance = `${hook}/instances/INSTANCEID`;
    return {
        taskHubName: u.taskHub,
        creationUrls: {
            createNewInstancePostUri: `${create}?${u.requiredQuery}`,
            createAndWaitOnNewInstancePostUri: `${create}?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${u.requiredQuery}`,
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

/** Body text as the extension keeps it (raw JSON, null when empty); invalid JSON is a 400 "Invalid JSON content". */
function jsonText(body: Buffer): string | null {
    if (body.length === 0) return null;
    const text = body.toString('utf8');
    try {
        JSON.parse(text);
    } catch {
        throw new HttpError(400, 'Invalid JSON content');
    }
    return text;
}

/** `CreateCheckStatusResponseMessage`: 202, the management links (no rewind link), Location, Retry-After 10. */
function sendCheckStatus(res: ServerResponse, urls: ClientUrls, id: string): void {
    const { rewindPostUri: _rewind, ...links } = managementPayload(urls, id);
    sendJson(res, 202, links, { Location: links.statusQueryGetUri ?? '', 'Retry-After': '10' });
}

/**
 * Routes of the extension's `HttpApiHandler` (verified against its source), served at both base paths. `segments`
 * follow the base path. Operation names are case-insensitive there too.
 */
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
    const [root, id, rawOp, arg] = segments;
    const op = rawOp?.toLowerCase();
    try {
        if (root === 'orchestrators' && method === 'POST' && id) {
            const input = jsonText(await readBody(req));
            const record = await runtime.startNew(id, rawOp, input, undefined, q.get('version') ?? '');
            sendCheckStatus(res, urls, record.instanceId);
            return;
        }
        if (root !== 'instances') throw new HttpError(404, 'Not found.');
        if (!id) {
            const matches = filtered(runtime.store.all(), q);
            if (method === 'DELETE') {
                if (!q.get('createdTimeFrom'))
                    throw new HttpError(400, "Please provide value for 'createdTimeFrom' parameter.");
                const deleted = matches
                    .filter((r) => TERMINAL.has(r.runtimeStatus))
                    .filter((r) => runtime.store.delete(r.instanceId));
                if (deleted.length === 0) throw new HttpError(404, 'No instances matched.');
                sendJson(res, 200, { instancesDeleted: deleted.length });
                return;
            }
            if (method !== 'GET') throw new HttpError(404, 'Not found.');
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
            const failedAs500 =
                record.runtimeStatus === 'Failed' && q.get('returnInternalServerErrorOnFailure') === 'true';
            const status = running ? 202 : failedAs500 ? 500 : 200;
            sendJson(res, status, statusView(record, q), running ? { Location: url.href, 'Retry-After': '5' } : {});
            return;
        }
        if (method === 'DELETE' && !op) {
            sendJson(res, 200, { instancesDeleted: runtime.purge(id) });
            return;
        }
        if (method !== 'POST') throw new HttpError(404, 'Not found.');
        const reason = q.get('reason') ?? '';
        switch (op) {
            case 'raiseevent': {
                if (!arg) throw new HttpError(404, 'Not found.');
                runtime.assertAcceptsEvents(id);
                const mediaType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
                if (mediaType !== 'application/json') {
                    throw new HttpError(400, 'Only application/json request content is supported');
                }
                await runtime.raiseEvent(id, arg, jsonText(await readBody(req)));
                break;
            }
            case 'terminate':
                await runtime.terminate(id, reason);
                break;
            case 'suspend':
                await runtime.suspend(id, reason);
                break;
            case 'resume':
                await runtime.resume(id, reason);
                break;
            case 'restart': {
                const record = await runtime.restart(id, q.get('restartWithNewInstanceId') !== 'false');
                sendCheckStatus(res, urls, record.instanceId);
                return;
            }
            case 'rewind': {
                const record = runtime.store.get(id);
                if (!record) throw new HttpError(404, `No orchestration with instance ID "${id}" found.`);
                if (record.runtimeStatus !== 'Failed') {
                    throw new HttpError(
                        412,
                        `This orchestration has status ${record.runtimeStatus}, but only orchestrations in the "Failed" state can be rewound.`,
                    );
                }
                throw new HttpError(501, 'Rewind is not supported by the underlying storage provider.');
            }
            default:
                throw new HttpError(404, 'Not found.');
        }
        sendJson(res, 202, null);
    } catch (err) {
        if (err instanceof HttpError) sendJson(res, err.status, err.body ?? { message: err.message });
        else throw err;
    }
}
