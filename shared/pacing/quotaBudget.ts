/**
 * One budget per quota scope, shared by every rotation in flight in this process.
 *
 * Calls are spaced evenly below the documented limit (a token bucket of depth one), so a burst of N due
 * rotations becomes a steady stream at the quota's rate instead of N calls and N−limit 429s. A caller whose
 * turn is far off is not kept waiting inside its activity (that would hold one of the host's activity slots):
 * it gets a reservation and is told to come back at that time; the orchestrator sleeps on a durable timer and
 * the returning call takes its reserved turn. High-priority callers (emergency rotations) are placed ahead of
 * every normal reservation, which moves back by one interval each.
 *
 * The service stays the authority: a 429 blocks the scope for its Retry-After (or a doubling backoff when it
 * has none), and `x-ms-throttle-limit-percentage` (sent from 80 % of a limit used, by other callers too)
 * slows the pace down until the pressure is gone.
 */

export type Priority = 'high' | 'normal' | 'low';

export interface QuotaLimit {
    /** Requests allowed per window. */
    readonly limit: number;
    readonly windowSeconds: number;
}

/** The quotas a rotation spends (limits-failure-modes-security §A1, api-fidelity §1.6, §4.2). */
export const DOCUMENTED_QUOTAS = {
    /** Graph identity writes per app + tenant: 3,000 per 2 min 30 s (addPassword, removePassword). */
    graphWrites: { limit: 3000, windowSeconds: 150 },
    /** Identity and access reports (sign-in logs): 5 requests per 10 s per app per tenant. */
    signInReads: { limit: 5, windowSeconds: 10 },
    /** Key Vault secret writes: 300 per 10 s per vault. */
    vaultWrites: { limit: 300, windowSeconds: 10 },
} as const satisfies Record<string, QuotaLimit>;

export type QuotaName = keyof typeof DOCUMENTED_QUOTAS;

/** The one Graph app + tenant pair this deployment is: Graph counts its quotas per that pair. */
export const GRAPH_SCOPE = 'app+tenant';

/** Pace at this fraction of a limit: room for clock skew between us and the service, and for retries. */
const PACE = 0.9;
/** A turn this close is waited for inside the call; anything later is a reservation. */
const INLINE_WAIT_MS = 1_000;
/** Backoff for a 429 without Retry-After: doubles from this, capped at the window. */
const FIRST_BACKOFF_MS = 2_000;

export type Admission =
    { readonly admitted: true; readonly waitMs: number } | { readonly admitted: false; readonly retryAfterMs: number };

interface Reservation {
    at: number;
    readonly priority: Priority;
}

/** The state of one scope (one quota for one app, tenant or vault). */
class ScopeBudget {
    /** Times of admitted calls within the last window (a sliding log guards against late, bunched arrivals). */
    private readonly admitted: number[] = [];
    private readonly reservations = new Map<string, Reservation>();
    /** The last turn handed out (admitted or reserved). */
    private tail = Number.NEGATIVE_INFINITY;
    private blockedUntil = 0;
    private backoffMs = FIRST_BACKOFF_MS;
    /** 1 = full pace; lowered while the service reports pressure. */
    private paceFactor = 1;

    constructor(
        private readonly limit: number,
        private readonly windowMs: number,
    ) {}

    get intervalMs(): number {
        return this.windowMs / (this.limit * PACE * this.paceFactor);
    }

    get pending(): number {
        return this.reservations.size;
    }

    admit(now: number, key: string | undefined, priority: Priority): Admission {
        this.prune(now);
        const held = key === undefined ? undefined : this.reservations.get(key);
        if (held && held.at >= this.blockedUntil) {
            if (held.at - now > INLINE_WAIT_MS) return { admitted: false, retryAfterMs: held.at - now };
            if (this.windowFull(now)) {
                // Came back late together with others: the quota's window is what counts, not the turn.
                this.reservations.delete(key!);
            } else {
                this.reservations.delete(key!);
                return this.grant(Math.max(now, held.at), now);
            }
        } else if (held) {
            this.reservations.delete(key!);
        }
        const tailBefore = this.tail;
        const turn = this.nextTurn(now, priority);
        if (turn - now <= INLINE_WAIT_MS && !this.windowFull(turn)) return this.grant(turn, now);
        if (key === undefined) {
            // Nobody will come back for a reservation: just say when, and keep the turn for others.
            this.tail = tailBefore;
            return { admitted: false, retryAfterMs: Math.max(1, turn - now) };
        }
        this.reservations.set(key, { at: turn, priority });
        return { admitted: false, retryAfterMs: Math.max(1, turn - now) };
    }

    /** The service said 429: nothing goes out before its Retry-After; reservations move behind it. */
    throttled(now: number, retryAfterMs: number | undefined): number {
        const wait = retryAfterMs ?? this.backoffMs;
        this.backoffMs = retryAfterMs === undefined ? Math.min(this.backoffMs * 2, this.windowMs) : FIRST_BACKOFF_MS;
        this.blockedUntil = Math.max(this.blockedUntil, now + wait);
        this.paceFactor = Math.max(0.25, this.paceFactor * 0.8);
        this.tail = Math.max(this.tail, this.blockedUntil - this.intervalMs);
        return this.blockedUntil - now;
    }

    /** `x-ms-throttle-limit-percentage`: how much of the limit the service counts as used (0.8 and up). */
    pressure(fraction: number | undefined): void {
        if (fraction === undefined) {
            this.paceFactor = Math.min(1, this.paceFactor + 0.02);
            this.backoffMs = FIRST_BACKOFF_MS;
        } else if (fraction >= 0.95) {
            this.paceFactor = Math.max(0.25, this.paceFactor * 0.9);
        }
    }

    /** Seconds until a call queued now would go, assuming every reservation returns. */
    estimateMs(now: number, extraCalls: number): number {
        const start = Math.max(now, this.blockedUntil, this.tail);
        return start - now + extraCalls * this.intervalMs;
    }

    private nextTurn(now: number, priority: Priority): number {
        const earliest = Math.max(now, this.blockedUntil);
        if (priority !== 'high') {
            const turn = Math.max(earliest, this.tail + this.intervalMs);
            this.tail = turn;
            return turn;
        }
        // Ahead of every normal reservation: take the first turn after the other high ones, push the rest back.
        let lastHigh = Number.NEGATIVE_INFINITY;
        for (const r of this.reservations.values()) if (r.priority === 'high') lastHigh = Math.max(lastHigh, r.at);
        const lastAdmitted = this.admitted.at(-1) ?? Number.NEGATIVE_INFINITY;
        const turn = Math.max(earliest, lastHigh + this.intervalMs, lastAdmitted + this.intervalMs);
        for (const r of this.reservations.values()) if (r.priority !== 'high' && r.at >= turn) r.at += this.intervalMs;
        if (this.tail >= turn) this.tail += this.intervalMs;
        else this.tail = turn;
        return turn;
    }

    private grant(at: number, now: number): Admission {
        this.admitted.push(at);
        this.tail = Math.max(this.tail, at);
        return { admitted: true, waitMs: Math.max(0, at - now) };
    }

    private windowFull(at: number): boolean {
        const from = at - this.windowMs;
        let count = 0;
        for (const t of this.admitted) if (t > from) count += 1;
        return count >= Math.max(1, Math.floor(this.limit * PACE));
    }

    private prune(now: number): void {
        while (this.admitted.length > 0 && this.admitted[0]! <= now - this.windowMs) this.admitted.shift();
        // A reservation nobody came back for (the rotation ended) frees its turn after a window.
        for (const [key, r] of this.reservations) if (r.at < now - this.windowMs) this.reservations.delete(key);
    }
}

export interface QuotaBudgetOptions {
    /** Fraction of every documented quota this deployment may use (the rest is left to other automation). */
    readonly share?: number;
    readonly now?: () => number;
}

/** Every scope's budget. Scope ids name the quota and what it is counted per, e.g. `graphWrites`. */
export class QuotaBudget {
    private readonly scopes = new Map<string, ScopeBudget>();
    private readonly share: number;
    readonly now: () => number;

    constructor(options: QuotaBudgetOptions = {}) {
        this.share = options.share ?? 1;
        this.now = options.now ?? Date.now;
    }

    /** The limit this deployment paces `quota` to, per window. */
    limitOf(quota: QuotaName): QuotaLimit {
        const documented = DOCUMENTED_QUOTAS[quota];
        return {
            limit: Math.max(1, Math.floor(documented.limit * this.share)),
            windowSeconds: documented.windowSeconds,
        };
    }

    /**
     * Asks for a turn. `key` identifies the caller across its return (an orchestration's step); without one no
     * reservation is kept.
     */
    admit(quota: QuotaName, scope: string, key: string | undefined, priority: Priority = 'normal'): Admission {
        return this.scope(quota, scope).admit(this.now(), key, priority);
    }

    throttled(quota: QuotaName, scope: string, retryAfterMs: number | undefined): number {
        return this.scope(quota, scope).throttled(this.now(), retryAfterMs);
    }

    pressure(quota: QuotaName, scope: string, fraction: number | undefined): void {
        this.scope(quota, scope).pressure(fraction);
    }

    /** Milliseconds until `calls` more calls on this scope could all have gone out. */
    estimateMs(quota: QuotaName, scope: string, calls: number): number {
        return this.scope(quota, scope).estimateMs(this.now(), calls);
    }

    pending(quota: QuotaName, scope: string): number {
        return this.scope(quota, scope).pending;
    }

    private scope(quota: QuotaName, scope: string): ScopeBudget {
        const id = `${quota}|${scope}`;
        let budget = this.scopes.get(id);
        if (!budget) {
            const { limit, windowSeconds } = this.limitOf(quota);
            budget = new ScopeBudget(limit, windowSeconds * 1000);
            this.scopes.set(id, budget);
        }
        return budget;
    }
}
