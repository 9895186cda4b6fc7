import { type EmuRequest, type EmuResponse } from '../core/contract';
import { badParameter, kvHeaders } from './errors';

/** Key Vault pages hold at most 25 items; `maxresults` may ask for fewer (api-fidelity §4.1). */
const MAX_PAGE = 25;

const encodeToken = (offset: number): string => Buffer.from(JSON.stringify({ o: offset })).toString('base64url');

function decodeToken(token: string | null): number | undefined {
    if (token === null) return 0;
    try {
        const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
        const offset = (parsed as { o?: unknown } | null)?.o;
        return typeof offset === 'number' && Number.isInteger(offset) && offset >= 0 ? offset : undefined;
    } catch {
        return undefined;
    }
}

/** `{value, nextLink}`; `nextLink` is an absolute URL on the emulator origin with an opaque `$skiptoken`, else null. */
export function pageOf<T>(
    request: EmuRequest,
    origin: string,
    items: readonly T[],
    map: (item: T) => unknown,
): EmuResponse {
    const rawMax = request.query.get('maxresults');
    let size = MAX_PAGE;
    if (rawMax !== null) {
        const n = Number(rawMax);
        if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) {
            return badParameter(`invalid maxresults: must be an integer between 1 and ${MAX_PAGE}`);
        }
        size = n;
    }
    const offset = decodeToken(request.query.get('$skiptoken'));
    if (offset === undefined) return badParameter('The skip token is invalid.');
    const slice = items.slice(offset, offset + size);
    let nextLink: string | null = null;
    if (offset + size < items.length) {
        const next = new URLSearchParams();
        next.set('api-version', request.query.get('api-version') ?? '');
        next.set('$skiptoken', encodeToken(offset + size));
        if (rawMax !== null) next.set('maxresults', String(size));
        nextLink = `${origin}${request.path}?${next.toString()}`;
    }
    return { status: 200, headers: kvHeaders(), body: { value: slice.map(map), nextLink } };
}
