export const MS_PER_MINUTE = 60_000;
export const MS_PER_HOUR = 3_600_000;
export const MS_PER_DAY = 86_400_000;

/** Parses an ISO-8601 instant; `undefined` for anything that is not one (never `Invalid Date`). */
export function parseInstant(value: string | null | undefined): Date | undefined {
    if (typeof value !== 'string' || value.length === 0) return undefined;
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : new Date(ms);
}

export function addDays(instant: Date, days: number): Date {
    return new Date(instant.getTime() + days * MS_PER_DAY);
}

export function addMinutes(instant: Date, minutes: number): Date {
    return new Date(instant.getTime() + minutes * MS_PER_MINUTE);
}

/** Whole or fractional days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: Date, to: Date): number {
    return (to.getTime() - from.getTime()) / MS_PER_DAY;
}

export function addSeconds(instant: Date, seconds: number): Date {
    return new Date(instant.getTime() + seconds * 1000);
}

export function addHours(instant: Date, hours: number): Date {
    return new Date(instant.getTime() + hours * MS_PER_HOUR);
}

export function laterOf(a: Date, b: Date): Date {
    return a.getTime() >= b.getTime() ? a : b;
}

export function isBefore(a: Date, b: Date): boolean {
    return a.getTime() < b.getTime();
}
