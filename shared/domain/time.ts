export const MS_PER_MINUTE = 60_000;
export const MS_PER_HOUR = 3_600_000;
export const MS_PER_DAY = 86_400_000;

/**
 * A date, or a date-time with an explicit offset. `Date.parse` alone also accepts '1' (2001-01-01), prose
 * dates, offset-less times (read in the machine's zone) and rolls '02-30' over into March.
 */
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?$/i;

/** Parses an ISO-8601 instant; `undefined` for anything that is not one (never `Invalid Date`). */
export function parseInstant(value: string | null | undefined): Date | undefined {
    if (typeof value !== 'string') return undefined;
    const match = ISO_INSTANT.exec(value);
    if (!match) return undefined;
    const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = match
        .slice(1, 7)
        .map((part) => Number(part ?? 0));
    const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
    if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) {
        return undefined;
    }
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

/** The app's notion of now. Async so a sandbox can follow a virtual clock served over HTTP. */
export interface Clock {
    now(): Promise<Date>;
}
