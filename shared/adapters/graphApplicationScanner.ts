import {
    type Client,
    type GraphRequest,
    type MiddlewareOptions,
    RetryHandlerOptions,
} from '@microsoft/microsoft-graph-client';

import { type Credential } from '../domain/credential';
import { type ApplicationScannerPort, type ScannedApplication } from '../scan/ports';
import { DispatchSignalOptions } from './dispatchSignal';
import { fromUpstreamError, statusOf } from './upstreamError';

interface GraphCredential {
    keyId?: string;
    displayName?: string | null;
    hint?: string | null;
    startDateTime?: string | null;
    endDateTime?: string | null;
}

export interface GraphAppPage {
    value?: {
        id: string;
        appId: string;
        displayName?: string | null;
        passwordCredentials?: GraphCredential[];
        keyCredentials?: GraphCredential[];
    }[];
    '@odata.nextLink'?: string;
}

/** Only what classification needs; `keyCredentials` in a list never includes the key blob. */
export const SELECT = 'id,appId,displayName,passwordCredentials,keyCredentials';
const PAGE_SIZE = 999;
/** graph-client honours Retry-After on 429/503/504; these are its attempts per page before we step in. */
const HANDLER_RETRIES = new RetryHandlerOptions(1, 6);
const OUTER_ATTEMPTS = 5;

export interface ScannerOptions {
    /** Waits between outer attempts; injectable so tests need not sleep. */
    readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Streams every application, 999 per page, following `@odata.nextLink`. Throttling storms are absorbed twice:
 * graph-client's RetryHandler waits out each 429, and if it gives up the page is tried again after a pause,
 * so a long storm slows the scan down instead of leaving a partial inventory.
 */
export class GraphApplicationScanner implements ApplicationScannerPort {
    readonly #sleep: (ms: number) => Promise<void>;

    constructor(
        private readonly client: Client,
        options: ScannerOptions = {},
    ) {
        this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    }

    /**
     * The next page is requested before this one is handed out, and this one is handed out only once that request
     * has left for the network (the scan's work on a page runs in one go and would otherwise hold the request
     * back inside graph-client): the scan's work on a page overlaps the round trip for the next, so a full scan
     * takes about pages × latency instead of pages × (latency + work).
     */
    async *pages(): AsyncIterable<readonly ScannedApplication[]> {
        let pending: InFlight | undefined = this.request(undefined);
        while (pending) {
            const page: GraphAppPage = await pending.page;
            const next = page['@odata.nextLink'];
            pending = next ? this.request(next) : undefined;
            if (pending) await pending.sent;
            yield (page.value ?? []).map(toScanned);
        }
    }

    private request(nextLink: string | undefined): InFlight {
        let signal = (): void => {};
        const dispatched = new Promise<void>((resolve) => (signal = resolve));
        const page = prefetch(this.fetchPage(nextLink, new DispatchSignalOptions(() => signal())));
        // A chain without the signal (or a request that fails first) still lets the page go once it is answered.
        const settled = page.then(
            () => undefined,
            () => undefined,
        );
        return { page, sent: Promise.race([dispatched, settled]) };
    }

    private async fetchPage(nextLink: string | undefined, dispatch: DispatchSignalOptions): Promise<GraphAppPage> {
        return scanGet<GraphAppPage>(
            () =>
                nextLink ? this.client.api(nextLink) : this.client.api('/applications').select(SELECT).top(PAGE_SIZE),
            'list applications',
            this.#sleep,
            undefined,
            [dispatch],
        );
    }
}

/** A page request in flight: its answer, and when it has left for the network. */
interface InFlight {
    readonly page: Promise<GraphAppPage>;
    readonly sent: Promise<void>;
}

/**
 * One GET of the background scan: marked low priority (if Graph must throttle someone, it should be the scan,
 * not a rotation), 429s waited out by graph-client, and on top of that retried after a pause, so a long storm
 * slows the scan down instead of failing it. Other errors are mapped and thrown.
 */
export async function scanGet<T>(
    build: () => GraphRequest,
    operation: string,
    sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    rethrow: (error: unknown) => boolean = () => false,
    options: readonly MiddlewareOptions[] = [],
): Promise<T> {
    for (let attempt = 1; ; attempt++) {
        try {
            return (await build()
                .header('x-ms-throttle-priority', 'low')
                .middlewareOptions([HANDLER_RETRIES, ...options])
                .get()) as T;
        } catch (error) {
            if (rethrow(error)) throw error;
            const status = statusOf(error);
            const transient = status === undefined || status === 429 || status >= 500;
            if (!transient || attempt >= OUTER_ATTEMPTS) throw fromUpstreamError('graph', operation, error);
            await sleep(Math.min(30_000, 1_000 * 2 ** attempt));
        }
    }
}

/** A request in flight while nobody awaits it yet: its failure is reported when awaited, not as unhandled. */
function prefetch<T>(request: Promise<T>): Promise<T> {
    request.catch(() => {});
    return request;
}

export function toScanned(app: NonNullable<GraphAppPage['value']>[number]): ScannedApplication {
    const credentials: Credential[] = [];
    const add = (kind: Credential['kind'], list: GraphCredential[] | undefined): void => {
        for (const c of list ?? []) {
            if (!c.keyId || !c.endDateTime) continue;
            credentials.push({
                appObjectId: app.id,
                appId: app.appId,
                appDisplayName: app.displayName ?? null,
                kind,
                keyId: c.keyId,
                displayName: c.displayName ?? null,
                hint: c.hint ?? null,
                startDateTime: c.startDateTime ?? null,
                endDateTime: c.endDateTime,
            });
        }
    };
    add('secret', app.passwordCredentials);
    add('certificate', app.keyCredentials);
    return { objectId: app.id, appId: app.appId, displayName: app.displayName ?? null, credentials };
}
