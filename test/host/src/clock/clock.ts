/**
 * The host's notion of "now". Orchestration time (`currentUtcDateTime` = episode start), durable timers, retry
 * backoff and timer triggers all read it, so a virtual clock makes a 30-day grace period take milliseconds.
 */
export interface ClockSource {
    readonly kind: 'real' | 'manual' | 'http';
    now(): Promise<number>;
    /** Called whenever time may have moved in a way the scheduler cannot predict (manual advance, polled change). */
    onChange(listener: () => void): () => void;
    close(): void;
}

export class RealClock implements ClockSource {
    readonly kind = 'real';
    now(): Promise<number> {
        return Promise.resolve(Date.now());
    }
    onChange(): () => void {
        return () => {};
    }
    close(): void {}
}

class Listeners {
    private readonly set = new Set<() => void>();
    add(listener: () => void): () => void {
        this.set.add(listener);
        return () => this.set.delete(listener);
    }
    emit(): void {
        for (const l of [...this.set]) l();
    }
}

/** A clock tests move by hand; it never moves on its own. */
export class ManualClock implements ClockSource {
    readonly kind = 'manual';
    private current: number;
    private readonly listeners = new Listeners();

    constructor(start: Date | number = Date.now()) {
        this.current = typeof start === 'number' ? start : start.getTime();
    }

    now(): Promise<number> {
        return Promise.resolve(this.current);
    }

    nowSync(): number {
        return this.current;
    }

    advance(ms: number): void {
        if (ms < 0) throw new RangeError('A clock only moves forward.');
        this.current += ms;
        this.listeners.emit();
    }

    set(instant: Date | string): void {
        const next = new Date(instant).getTime();
        if (Number.isNaN(next)) throw new RangeError(`Invalid instant: ${String(instant)}`);
        if (next < this.current) throw new RangeError('A clock only moves forward.');
        this.current = next;
        this.listeners.emit();
    }

    onChange(listener: () => void): () => void {
        return this.listeners.add(listener);
    }

    close(): void {}
}

/**
 * Follows another process's clock (the tenant emulator's `GET /_emulator/clock`, answering `{"now":"<ISO>"}`):
 * `now()` asks it fresh; a poller notices changes so due timers fire soon after the emulator's clock moves.
 */
export class HttpClock implements ClockSource {
    readonly kind = 'http';
    private last: number | undefined;
    private readonly listeners = new Listeners();
    private readonly poller: NodeJS.Timeout;

    constructor(
        private readonly url: string,
        pollMs = 100,
    ) {
        this.poller = setInterval(() => {
            this.now().then(
                () => undefined,
                () => undefined,
            );
        }, pollMs);
        this.poller.unref();
    }

    async now(): Promise<number> {
        const response = await fetch(this.url, { signal: AbortSignal.timeout(5000) });
        if (!response.ok) throw new Error(`Clock source ${this.url} answered ${response.status}`);
        const body = (await response.json()) as { now?: unknown };
        const value = typeof body.now === 'string' || typeof body.now === 'number' ? new Date(body.now).getTime() : NaN;
        if (Number.isNaN(value)) throw new Error(`Clock source ${this.url} returned no valid "now"`);
        const changed = this.last !== value;
        this.last = value;
        if (changed) this.listeners.emit();
        return value;
    }

    onChange(listener: () => void): () => void {
        return this.listeners.add(listener);
    }

    close(): void {
        clearInterval(this.poller);
    }
}
