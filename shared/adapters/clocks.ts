import { type Clock } from '../domain/time';

export const systemClock: Clock = { now: () => Promise.resolve(new Date()) };

/**
 * Follows a virtual clock published as `{"now":"<ISO>"}` (the tenant emulator's `/_emulator/clock`). Only for
 * sandboxes: the config refuses it unless local endpoints are allowed. The offset is re-read at most every
 * 200 ms, so a fast-running sandbox clock stays within a fraction of a virtual minute.
 */
export class HttpClock implements Clock {
    #offsetMs = 0;
    #readAt = Number.NEGATIVE_INFINITY;

    constructor(private readonly url: string) {}

    async now(): Promise<Date> {
        const real = Date.now();
        if (real - this.#readAt > 200) {
            const response = await fetch(this.url, { signal: AbortSignal.timeout(5_000) });
            if (!response.ok) throw new Error(`clock source answered ${response.status}`);
            const body = (await response.json()) as { now?: unknown };
            const virtual = typeof body.now === 'string' ? Date.parse(body.now) : NaN;
            if (Number.isNaN(virtual)) throw new Error('clock source sent no "now"');
            this.#offsetMs = virtual - Date.now();
            this.#readAt = real;
        }
        return new Date(Date.now() + this.#offsetMs);
    }
}
