import { type EmuRequest } from '../core/contract';
import { GraphError, badRequest } from './errors';

export interface PageOptions {
    readonly defaultTop: number;
    readonly maxTop: number;
}

/** `$top` within 1..max (applications: default 100, max 999, api-fidelity §1.4). */
export function topOf(request: EmuRequest, options: PageOptions): number {
    const raw = request.query.get('$top');
    if (raw === null) return options.defaultTop;
    const top = Number(raw);
    if (!Number.isInteger(top) || top < 1 || top > options.maxTop) {
        throw badRequest(`Invalid page size specified: '${raw}'. Must be between 1 and ${options.maxTop} inclusive.`);
    }
    return top;
}

function offsetOf(request: EmuRequest): number {
    const token = request.query.get('$skiptoken');
    if (token === null) return 0;
    try {
        const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown };
        if (typeof parsed.o === 'number' && Number.isInteger(parsed.o) && parsed.o >= 0) return parsed.o;
    } catch {
        // fall through
    }
    throw badRequest('Invalid paging token.');
}

/** Every original query parameter plus a fresh `$skiptoken`, on the emulator's own origin (§1.4). */
function nextLink(request: EmuRequest, offset: number): string {
    const parts: string[] = [];
    for (const [key, value] of request.query) {
        if (key !== '$skiptoken') parts.push(`${key}=${encodeURIComponent(value)}`);
    }
    const token = Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
    parts.push(`$skiptoken=${token}`);
    return `${request.url.origin}${request.url.pathname}?${parts.join('&')}`;
}

/** One page of `items` (already filtered) with `@odata.nextLink` when more remain. */
export function page<T>(
    request: EmuRequest,
    items: readonly T[],
    options: PageOptions,
): { slice: T[]; nextLink?: string } {
    const top = topOf(request, options);
    const offset = offsetOf(request);
    const slice = items.slice(offset, offset + top);
    return offset + top < items.length ? { slice, nextLink: nextLink(request, offset + top) } : { slice };
}

/** `$select` names, validated against the resource's properties (unknown → 400 like Graph). */
export function selectOf(request: EmuRequest, known: readonly string[], typeName: string): string[] | undefined {
    const raw = request.query.get('$select');
    if (raw === null || raw.trim() === '') return undefined;
    const byLower = new Map(known.map((name) => [name.toLowerCase(), name]));
    return raw.split(',').map((name) => {
        const canonical = byLower.get(name.trim().toLowerCase());
        if (!canonical)
            throw new GraphError(
                400,
                'Request_BadRequest',
                `Could not find a property named '${name.trim()}' on type '${typeName}'.`,
            );
        return canonical;
    });
}

export function project(view: Record<string, unknown>, select: readonly string[] | undefined): Record<string, unknown> {
    if (!select) return view;
    const projected: Record<string, unknown> = {};
    for (const name of select) projected[name] = view[name];
    return projected;
}

/** `…/$metadata#applications(appId,displayName)` like real responses. */
export function contextUrl(
    request: EmuRequest,
    version: string,
    entitySet: string,
    select?: readonly string[],
): string {
    return `${request.url.origin}/${version}/$metadata#${entitySet}${select ? `(${select.join(',')})` : ''}`;
}
