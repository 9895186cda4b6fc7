import { createHash, randomUUID } from 'node:crypto';

import { type EmuResponse } from '../core/contract';
import { type ApplicationRecord, type PasswordCredentialRecord } from '../entra/model';
import { APP_PROPERTIES, applicationView } from './appView';
import { type GraphCall, canReadAllApps, replicated } from './auth';
import { GraphError, badRequest, denied } from './errors';
import { contextUrl, project, selectOf } from './query';

/**
 * `GET /applications/delta` (api-fidelity §1.4; learn.microsoft.com/graph/api/application-delta, delta-query-overview):
 * - no token: every application, page by page (`@odata.nextLink` with `$skiptoken`), then `@odata.deltaLink`;
 * - `$deltatoken=latest`: no data, just a deltaLink for "from now on" (directory resources support it);
 * - `$deltatoken=…`: the applications whose selected properties changed since, the deleted ones as
 *   `{"id", "@removed": {"reason": "changed"}}` (applications are soft-deleted), then a new deltaLink;
 * - an updated application is its `id` and only the selected properties that changed: the overview promises
 *   "at least the updated properties" and nothing more, so a client must merge; a new one comes whole;
 * - query options (`$select`) are given once and carried by the links;
 * - a deltaLink older than 7 days answers 400 `syncStateNotFound` ("identity delta links live 7 days", Microsoft
 *   Graph blog 2020-07-03), as does a token the service does not know; the client must then sync in full;
 * - pages hold at most 200 objects. The application: delta reference documents no page-size control (request
 *   headers: Authorization, Content-Type; query options: `$select`, `$filter` by id) and the overview says only
 *   that page sizes vary by resource. The one public number is a Microsoft Q&A answer (2025-05-19, on
 *   contact: delta): `Prefer: odata.maxpagesize` caps at 200 for objects such as users and contacts, 200 is also
 *   the default, larger values are capped; users: delta is reported at 200 per page (Q&A, 2026-04-29). So a
 *   smaller `odata.maxpagesize` is honoured, a larger one (or `$top`) changes nothing.
 */
const TOKEN_LIFETIME_MS = 7 * 86_400_000;
const MAX_PAGE = 200;
const APP_TYPE = 'microsoft.graph.application';
const SYNC_STATE_NOT_FOUND =
    'The sync state generation is not found. The delta token is expired and data must be synchronized again.';

interface DeltaToken {
    readonly issuedAtMs: number;
    readonly select: readonly string[] | undefined;
    /** application object id → `name=hash;…` of each selected property at issue time. */
    readonly hashes: ReadonlyMap<string, string>;
}

interface Session {
    readonly entries: readonly Record<string, unknown>[];
    readonly nextToken: string;
}

interface DeltaStore {
    readonly tokens: Map<string, DeltaToken>;
    readonly sessions: Map<string, Session>;
}

const stores = new WeakMap<object, DeltaStore>();

function storeOf(call: GraphCall): DeltaStore {
    const key = call.runtime.directory;
    let store = stores.get(key);
    if (!store) {
        store = { tokens: new Map(), sessions: new Map() };
        stores.set(key, store);
    }
    return store;
}

export function applicationsDelta(call: GraphCall): EmuResponse {
    if (!canReadAllApps(call)) throw denied();
    const store = storeOf(call);
    const request = call.request;
    const pageSize = maxPageSize(request.headers['prefer']);
    const skip = request.query.get('$skiptoken');
    if (skip !== null) return sessionPage(call, store, skip, pageSize);

    const deltaToken = request.query.get('$deltatoken');
    const now = call.runtime.clock.now().getTime();
    if (deltaToken === null || deltaToken.toLowerCase() === 'latest') {
        const select = selectOf(request, APP_PROPERTIES, APP_TYPE);
        const { hashes, views } = current(call, select);
        const nextToken = issue(store, { issuedAtMs: now, select, hashes });
        if (deltaToken !== null) return deltaResponse(call, select, [], undefined, nextToken);
        return startSession(call, store, select, [...views.values()], nextToken, pageSize);
    }
    const previous = store.tokens.get(deltaToken);
    if (!previous || now - previous.issuedAtMs > TOKEN_LIFETIME_MS) {
        throw new GraphError(400, 'syncStateNotFound', SYNC_STATE_NOT_FOUND);
    }
    const select = previous.select;
    const { hashes, views } = current(call, select);
    const changes: Record<string, unknown>[] = [];
    for (const [id, hash] of hashes) {
        const before = previous.hashes.get(id);
        if (before === undefined) changes.push(views.get(id)!);
        else if (before !== hash) changes.push(changedOnly(views.get(id)!, before, hash));
    }
    for (const id of previous.hashes.keys())
        if (!hashes.has(id)) changes.push({ id, '@removed': { reason: 'changed' } });
    const nextToken = issue(store, { issuedAtMs: now, select, hashes });
    return startSession(call, store, select, changes, nextToken, pageSize);
}

function current(
    call: GraphCall,
    select: readonly string[] | undefined,
): { hashes: Map<string, string>; views: Map<string, Record<string, unknown>> } {
    const hashes = new Map<string, string>();
    const views = new Map<string, Record<string, unknown>>();
    const isVisible = (password: PasswordCredentialRecord) => replicated(call, password);
    for (const app of call.runtime.directory.applications.values() as Iterable<ApplicationRecord>) {
        if (!replicated(call, app)) continue;
        const view = { ...project(applicationView(app, { isVisible }), select), id: app.id };
        views.set(app.id, view);
        hashes.set(app.id, propertyHashes(view));
    }
    return { hashes, views };
}

/** `name=hash;…` over the view's properties: equal strings mean nothing selected changed. */
function propertyHashes(view: Record<string, unknown>): string {
    return Object.keys(view)
        .sort()
        .map(
            (name) =>
                `${name}=${createHash('sha1')
                    .update(JSON.stringify(view[name]) ?? '')
                    .digest('base64url')
                    .slice(0, 16)}`,
        )
        .join(';');
}

/** An updated application as delta returns it: its id and the properties whose hash moved. */
function changedOnly(view: Record<string, unknown>, before: string, after: string): Record<string, unknown> {
    const old = new Map(before.split(';').map((pair) => pair.split('=') as [string, string]));
    const entry: Record<string, unknown> = { id: view['id'] };
    for (const pair of after.split(';')) {
        const [name, hash] = pair.split('=') as [string, string];
        if (old.get(name) !== hash) entry[name] = view[name];
    }
    return entry;
}

function issue(store: DeltaStore, token: DeltaToken): string {
    const id = randomUUID().replace(/-/g, '');
    store.tokens.set(id, token);
    return id;
}

function startSession(
    call: GraphCall,
    store: DeltaStore,
    select: readonly string[] | undefined,
    entries: Record<string, unknown>[],
    nextToken: string,
    pageSize: number,
): EmuResponse {
    if (entries.length <= pageSize) return deltaResponse(call, select, entries, undefined, nextToken);
    const sessionId = randomUUID().replace(/-/g, '');
    store.sessions.set(sessionId, { entries, nextToken });
    return deltaResponse(call, select, entries.slice(0, pageSize), `${sessionId}.${pageSize}`, nextToken);
}

function sessionPage(call: GraphCall, store: DeltaStore, skip: string, pageSize: number): EmuResponse {
    const match = /^([0-9a-f]{32})\.(\d+)$/.exec(skip);
    const session = match ? store.sessions.get(match[1]!) : undefined;
    if (!match || !session) throw badRequest('Invalid paging token.');
    const offset = Number(match[2]);
    const slice = session.entries.slice(offset, offset + pageSize);
    const more = offset + pageSize < session.entries.length;
    if (!more) store.sessions.delete(match[1]!);
    return deltaResponse(
        call,
        undefined,
        slice,
        more ? `${match[1]!}.${offset + pageSize}` : undefined,
        session.nextToken,
    );
}

/** One page: a nextLink while the session has more, else the deltaLink; never both (delta-query-overview). */
function deltaResponse(
    call: GraphCall,
    select: readonly string[] | undefined,
    value: readonly Record<string, unknown>[],
    skipToken: string | undefined,
    deltaToken: string,
): EmuResponse {
    const base = `${call.request.url.origin}/${call.version}/applications/delta`;
    return {
        status: 200,
        body: {
            '@odata.context': contextUrl(call.request, call.version, 'applications', select),
            ...(skipToken
                ? { '@odata.nextLink': `${base}?$skiptoken=${skipToken}` }
                : { '@odata.deltaLink': `${base}?$deltatoken=${deltaToken}` }),
            value,
        },
    };
}

function maxPageSize(prefer: string | undefined): number {
    const match = /odata\.maxpagesize=(\d+)/i.exec(prefer ?? '');
    const asked = match ? Number(match[1]) : MAX_PAGE;
    return Math.max(1, Math.min(MAX_PAGE, asked));
}
