import type { ClockSource } from './clock';

interface Entry {
    dueMs: number;
    seq: number;
    run: () => void;
}

/**
 * Runs callbacks once the clock source reaches their due instant. With the real clock it sleeps until the earliest
 * entry (re-checking at least every second); with virtual clocks it re-checks whenever the clock reports a change.
 */
export class Scheduler {
    private entries: Entry[] = [];
    private seq = 0;
    private sleeper: NodeJS.Timeout | undefined;
    private checking = false;
    private recheck = false;
    private closed = false;
    private readonly unsubscribe: () => void;

    constructor(private readonly clock: ClockSource) {
        this.unsubscribe = clock.onChange(() => this.check());
    }

    at(dueMs: number, run: () => void): () => void {
        const entry: Entry = { dueMs, seq: this.seq++, run };
        this.entries.push(entry);
        this.check();
        return () => {
            this.entries = this.entries.filter((e) => e !== entry);
        };
    }

    get pending(): number {
        return this.entries.length;
    }

    /** Fires every due entry in due order; safe to call at any time. */
    check(): void {
        if (this.closed) return;
        if (this.checking) {
            this.recheck = true;
            return;
        }
        this.checking = true;
        this.clock
            .now()
            .then((now) => {
                const due = this.entries
                    .filter((e) => e.dueMs <= now)
                    .sort((a, b) => a.dueMs - b.dueMs || a.seq - b.seq);
                this.entries = this.entries.filter((e) => e.dueMs > now);
                for (const e of due) e.run();
                this.sleep(now);
            })
            .catch(() => this.sleep(undefined))
            .finally(() => {
                this.checking = false;
                if (this.recheck) {
                    this.recheck = false;
                    this.check();
                }
            });
    }

    private sleep(now: number | undefined): void {
        if (this.sleeper) clearTimeout(this.sleeper);
        this.sleeper = undefined;
        if (this.closed || this.entries.length === 0) return;
        const next = Math.min(...this.entries.map((e) => e.dueMs));
        // Virtual clocks report their own changes; the real clock (and a failing http clock) needs a wake-up.
        const wait = this.clock.kind === 'real' && now !== undefined ? Math.min(Math.max(next - now, 0), 1000) : 1000;
        this.sleeper = setTimeout(() => this.check(), wait);
        this.sleeper.unref();
    }

    close(): void {
        this.closed = true;
        this.unsubscribe();
        if (this.sleeper) clearTimeout(this.sleeper);
        this.entries = [];
    }
}
