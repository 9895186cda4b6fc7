import { type SignInReaderPort, type SignInUsage } from '../../../shared/rotation/ports';

interface Usage {
    readonly appId: string;
    readonly keyId: string;
    readonly from: number;
    readonly until: number;
}

/**
 * Sign-in logs. `record` adds one sign-in at an instant; `useContinuously` models a client that keeps
 * signing in with a key (one sign-in a minute) from `from` until `until` or forever. Only sign-ins at or
 * before `now()` are visible, so a log query cannot see the future.
 */
export class FakeSignIns implements SignInReaderPort {
    readonly queries: { readonly appId: string; readonly keyId: string; readonly since: string }[] = [];
    readonly #usages: Usage[] = [];

    constructor(private readonly now: () => Date) {}

    record(appId: string, keyId: string, at: Date | string): void {
        const t = new Date(at).getTime();
        this.#usages.push({ appId, keyId, from: t, until: t });
    }

    useContinuously(appId: string, keyId: string, from: Date | string, until?: Date | string): void {
        this.#usages.push({
            appId,
            keyId,
            from: new Date(from).getTime(),
            until: until === undefined ? Number.POSITIVE_INFINITY : new Date(until).getTime(),
        });
    }

    /** The port: one "query" per key, recorded individually so tests can assert each key's window. */
    async signInsWithKeys(appId: string, keys: readonly { keyId: string; since: string }[]): Promise<SignInUsage[]> {
        const result: SignInUsage[] = [];
        for (const key of keys) result.push(await this.signInsWithKey(appId, key.keyId, key.since));
        return result;
    }

    signInsWithKey(appId: string, keyId: string, since: string): Promise<SignInUsage> {
        this.queries.push({ appId, keyId, since });
        const start = Date.parse(since);
        const end = this.now().getTime();
        let count = 0;
        let last: number | undefined;
        for (const u of this.#usages) {
            if (u.appId !== appId || u.keyId !== keyId) continue;
            const lo = Math.max(u.from, start);
            const hi = Math.min(u.until, end);
            if (hi < lo) continue;
            count += u.from === u.until ? 1 : Math.floor((hi - lo) / 60_000) + 1;
            last = last === undefined ? hi : Math.max(last, hi);
        }
        return Promise.resolve({ count, lastSeen: last === undefined ? undefined : new Date(last).toISOString() });
    }
}
