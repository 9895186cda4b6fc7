import { type EmulatorClock } from './contract';

/**
 * The emulator's clock: real time plus an offset that only grows. Time keeps flowing (so SDK retry waits and
 * token lifetimes behave normally) while tests jump ahead to reach expiries without sleeping.
 */
export class VirtualClock implements EmulatorClock {
    private offsetMs = 0;
    private readonly listeners: ((from: Date, to: Date) => void | Promise<void>)[] = [];

    now(): Date {
        return new Date(Date.now() + this.offsetMs);
    }

    get offsetSeconds(): number {
        return this.offsetMs / 1000;
    }

    onAdvance(listener: (from: Date, to: Date) => void | Promise<void>): void {
        this.listeners.push(listener);
    }

    /** Moves time forward and waits for every listener, so events are published before the caller returns. */
    async advance(seconds: number): Promise<{ from: Date; to: Date }> {
        if (!Number.isFinite(seconds) || seconds < 0) {
            throw new RangeError('advanceSeconds must be a non-negative number');
        }
        const from = this.now();
        this.offsetMs += seconds * 1000;
        const to = this.now();
        for (const listener of this.listeners) {
            await listener(from, to);
        }
        return { from, to };
    }

    /** Restores a persisted offset (no listeners fire: nothing happened while the emulator was down). */
    restoreOffset(seconds: number): void {
        this.offsetMs = Math.max(0, seconds * 1000);
    }
}
