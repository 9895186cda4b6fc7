import { Agent as HttpAgent, get as httpGet } from 'node:http';
import { Agent as HttpsAgent, get as httpsGet } from 'node:https';

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

/** GET a JSON document over http or https (the emulator serves https with its own CA). */
function getJson(url: string, agent: HttpAgent, timeoutMs: number): Promise<unknown> {
    const target = new URL(url);
    const get = target.protocol === 'https:' ? httpsGet : httpGet;
    return new Promise((resolve, reject) => {
        const req = get(target, { agent, timeout: timeoutMs }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
                if ((res.statusCode ?? 0) >= 400)
                    return reject(new Error(`Clock source ${url} answered ${res.statusCode}`));
                try {
                    resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
                } catch {
                    reject(new Error(`Clock source ${url} did not answer JSON`));
                }
            });
            res.on('error', reject);
        });
        req.on('timeout', () => req.destroy(new Error(`Clock source ${url} timed out`)));
        req.on('error', reject);
    });
}

/**
 * Follows another process's clock (the tenant emulator's `GET /_emulator/clock`, answering `{"now":"<ISO>"}`):
 * `now()` asks it fresh, so an advance is visible immediately; a poller notices changes so due timers fire soon
 * after the emulator's clock moves. `ca` is the emulator's CA certificate (PEM) for https. Connections are kept
 * alive and concurrent readers share one in-flight request: every episode, delivery and timer asks for the time,
 * and a TLS handshake per question would dominate the host's CPU.
 */
export class HttpClock implements ClockSource {
    readonly kind = 'http';
    private last: number | undefined;
    private readonly listeners = new Listeners();
    private readonly poller: NodeJS.Timeout;
    private readonly agent: HttpAgent;
    private inFlight: Promise<number> | undefined;

    constructor(
        private readonly url: string,
        pollMs = 100,
        ca?: string,
    ) {
        this.agent = url.startsWith('https:')
            ? new HttpsAgent({ keepAlive: true, maxSockets: 4, ca })
            : new HttpAgent({ keepAlive: true, maxSockets: 4 });
        this.poller = setInterval(() => {
            this.now().then(
                () => undefined,
                () => undefined,
            );
        }, pollMs);
        this.poller.unref();
    }

    now(): Promise<number> {
        this.inFlight ??= this.read().finally(() => (this.inFlight = undefined));
        return this.inFlight;
    }

    private async read(): Promise<number> {
        const body = (await getJson(this.url, this.agent, 5000)) as { now?: unknown } | null;
        const raw = body?.now;
        const value = typeof raw === 'string' || typeof raw === 'number' ? new Date(raw).getTime() : NaN;
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
        this.agent.destroy();
    }
}
