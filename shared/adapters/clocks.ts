import { type Clock } from '../domain/time';

export const systemClock: Clock = { now: () => Promise.resolve(new Date()) };

/**
 * Follows a virtual clock published as `{"now":"<ISO>"}` (the tenant emulator's `/_emulator/clock`). Only for
 * sandboxes: the config refuses it unless local endpoints are allowed. Read on every call: the virtual clock
 * can jump days at once, and a cached reading would make fresh tokens look issued in the future.
 */
export class HttpClock implements Clock {
    constructor(private readonly url: string) {}

    async now(): Promise<Date> {
        const response = await fetch(this.url, { signal: AbortSignal.timeout(5_000) });
        if (!response.ok) throw new Error(`clock source answered ${response.status}`);
        const body = (await response.json()) as { now?: unknown };
        const virtual = typeof body.now === 'string' ? Date.parse(body.now) : NaN;
        if (Number.isNaN(virtual)) throw new Error('clock source sent no "now"');
        return new Date(virtual);
    }
}
