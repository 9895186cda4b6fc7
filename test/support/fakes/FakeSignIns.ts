import { type KeyUse, type SignInRead } from '../../../shared/domain/evidence';
import { type CollectedSignIn } from '../../../shared/domain/signInCollection';
import { type SignInFeedPort, type SignInQuery, type SignInReaderPort } from '../../../shared/rotation/ports';

interface Usage {
    readonly appId: string;
    readonly keyId: string;
    readonly from: number;
    until: number;
    readonly client?: string;
    readonly correlationId: string | undefined;
    readonly success: boolean;
}

/**
 * Sign-in logs. `record` adds one sign-in at an instant; `useContinuously` models a client that keeps signing in
 * with a key (one sign-in a minute) from `from` until `until` or forever. A sign-in is visible once `now()` has
 * passed its time plus the ingestion latency, so a query cannot see the future or what is not ingested yet.
 * `failNext` makes the next reads throw, as a throttled or broken Graph would.
 */
export class FakeSignIns implements SignInReaderPort, SignInFeedPort {
    readonly queries: SignInQuery[] = [];
    /** The `since` of each tenant-wide read (the shared collector's query). */
    readonly feedQueries: string[] = [];
    readonly #usages: Usage[] = [];
    #failures: Error[] = [];
    ingestionLatencyMs = 0;

    constructor(private readonly now: () => Date) {}

    record(
        appId: string,
        keyId: string,
        at: Date | string,
        options: { correlationId?: string; success?: boolean } = {},
    ): void {
        const t = new Date(at).getTime();
        this.#usages.push({
            appId,
            keyId,
            from: t,
            until: t,
            correlationId: options.correlationId,
            success: options.success ?? true,
        });
    }

    useContinuously(appId: string, keyId: string, from: Date | string, until?: Date | string): void {
        this.#usages.push({
            appId,
            keyId,
            from: new Date(from).getTime(),
            until: until === undefined ? Number.POSITIVE_INFINITY : new Date(until).getTime(),
            correlationId: undefined,
            success: true,
        });
    }

    /** A named client switches to `keyId` at `from`: its earlier continuous use ends there. */
    switchClient(client: string, appId: string, keyId: string, from: Date): void {
        const t = from.getTime();
        for (const u of this.#usages) if (u.client === client && u.until > t) u.until = t;
        this.#usages.push({
            appId,
            keyId,
            from: t,
            until: Number.POSITIVE_INFINITY,
            client,
            correlationId: undefined,
            success: true,
        });
    }

    failNext(error: Error, times = 1): void {
        for (let i = 0; i < times; i++) this.#failures.push(error);
    }

    /** Entries per page of the tenant-wide read, and a hook run between its pages (e.g. to move the clock). */
    pageSize = 1000;
    betweenPages: (() => Promise<void> | void) | undefined;

    /** Tenant-wide, as the collector reads it: one entry per sign-in (a continuous user signs in once a minute). */
    async successfulSince(
        since: string,
        onPage?: (pages: number) => Promise<void>,
    ): Promise<{ entries: CollectedSignIn[]; pages: number }> {
        this.feedQueries.push(since);
        const failure = this.#failures.shift();
        if (failure) throw failure;
        const end = this.now().getTime() - this.ingestionLatencyMs;
        const start = Date.parse(since);
        const entries: CollectedSignIn[] = [];
        this.#usages.forEach((u, index) => {
            if (!u.success) return;
            const hi = Math.min(u.until, end);
            for (let t = u.from; t <= hi; t += 60_000) {
                if (t < start) continue;
                entries.push({
                    id: `${index}-${t}`,
                    at: new Date(t).toISOString(),
                    appId: u.appId,
                    keyId: u.keyId,
                    correlationId: u.correlationId?.toLowerCase() ?? null,
                });
                if (u.from === u.until) break;
            }
        });
        entries.sort((a, b) => (a.at < b.at ? 1 : -1));
        const pages = Math.max(1, Math.ceil(entries.length / this.pageSize));
        for (let page = 1; page < pages; page++) {
            await this.betweenPages?.();
            await onPage?.(page);
        }
        return { entries, pages };
    }

    successfulSignIns(query: SignInQuery): Promise<Extract<SignInRead, { complete: true }>> {
        this.queries.push(query);
        const failure = this.#failures.shift();
        if (failure) return Promise.reject(failure);
        const end = this.now().getTime() - this.ingestionLatencyMs;
        const own = new Set(query.ownCorrelationIds.map((c) => c.toLowerCase()));
        const ownSeen: { correlationId: string; keyId: string; at: string }[] = [];
        const keys: KeyUse[] = query.keys.map((key) => {
            const start = Date.parse(key.since);
            let count = 0;
            let first: number | undefined;
            let last: number | undefined;
            for (const u of this.#usages) {
                if (u.appId !== query.appId || u.keyId !== key.keyId || !u.success) continue;
                if (u.correlationId && own.has(u.correlationId.toLowerCase())) continue;
                const lo = Math.max(u.from, start);
                const hi = Math.min(u.until, end);
                if (hi < lo) continue;
                count += u.from === u.until ? 1 : Math.floor((hi - lo) / 60_000) + 1;
                first = first === undefined ? lo : Math.min(first, lo);
                last = last === undefined ? hi : Math.max(last, hi);
            }
            const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
            return { keyId: key.keyId, count, first: iso(first), last: iso(last) };
        });
        for (const u of this.#usages) {
            if (u.appId !== query.appId || !u.success || !u.correlationId || u.from > end) continue;
            if (own.has(u.correlationId.toLowerCase())) {
                ownSeen.push({
                    correlationId: u.correlationId.toLowerCase(),
                    keyId: u.keyId,
                    at: new Date(u.from).toISOString(),
                });
            }
        }
        return Promise.resolve({ complete: true, keys, own: ownSeen, pages: 1 });
    }
}
