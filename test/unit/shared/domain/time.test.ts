import { describe, expect, it } from 'vitest';

import {
    addDays,
    addHours,
    addMinutes,
    addSeconds,
    daysBetween,
    isBefore,
    laterOf,
    MS_PER_DAY,
    MS_PER_HOUR,
    MS_PER_MINUTE,
    parseInstant,
} from '../../../../shared/domain/time';

describe('parseInstant', () => {
    it.each<[string, string]>([
        ['2026-05-01T10:00:00Z', '2026-05-01T10:00:00.000Z'],
        ['2026-05-01T10:00:00.123Z', '2026-05-01T10:00:00.123Z'],
        ['2026-05-01T10:00:00.1234567Z', '2026-05-01T10:00:00.123Z'],
        ['2026-05-01T10:00Z', '2026-05-01T10:00:00.000Z'],
        ['2026-05-01T10:00:00+02:00', '2026-05-01T08:00:00.000Z'],
        ['2026-05-01T10:00:00-05:30', '2026-05-01T15:30:00.000Z'],
        ['2026-05-01', '2026-05-01T00:00:00.000Z'],
        ['2028-02-29T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    ])('reads %j', (text, iso) => {
        expect(parseInstant(text)?.toISOString()).toBe(iso);
    });

    it.each<[string, string | null | undefined]>([
        ['null', null],
        ['undefined', undefined],
        ['empty', ''],
        ['prose', 'not a date'],
        ['a bare number (Date.parse reads 2001-01-01)', '1'],
        ['a prose date', 'March 7, 2026'],
        ['an RFC 1123 date', 'Fri, 01 May 2026 10:00:00 GMT'],
        ['a time without an offset (machine-zone dependent)', '2026-05-01T10:00:00'],
        ['February 30th (Date.parse rolls it into March)', '2026-02-30T00:00:00Z'],
        ['a non-leap February 29th', '2026-02-29T00:00:00Z'],
        ['month 13', '2026-13-01T00:00:00Z'],
        ['hour 24', '2026-05-01T24:00:00Z'],
        ['surrounding spaces', ' 2026-05-01T10:00:00Z '],
    ])('rejects %s', (_name, text) => {
        expect(parseInstant(text)).toBeUndefined();
    });
});

describe('arithmetic', () => {
    const start = new Date('2026-03-28T12:00:00.000Z');

    it('adds days of exactly 24 hours (UTC has no DST)', () => {
        expect(addDays(start, 2).toISOString()).toBe('2026-03-30T12:00:00.000Z');
        expect(addDays(start, -1).toISOString()).toBe('2026-03-27T12:00:00.000Z');
        expect(addDays(start, 0.5).toISOString()).toBe('2026-03-29T00:00:00.000Z');
    });

    it('has the usual unit sizes', () => {
        expect([MS_PER_MINUTE, MS_PER_HOUR, MS_PER_DAY]).toEqual([60_000, 3_600_000, 86_400_000]);
    });

    it('adds seconds, minutes and hours', () => {
        expect(addSeconds(start, 90).toISOString()).toBe('2026-03-28T12:01:30.000Z');
        expect(addMinutes(start, 90).toISOString()).toBe('2026-03-28T13:30:00.000Z');
        expect(addHours(start, 36).toISOString()).toBe('2026-03-30T00:00:00.000Z');
        expect(addHours(start, -12).toISOString()).toBe('2026-03-28T00:00:00.000Z');
    });

    it('compares instants', () => {
        const later = addSeconds(start, 1);
        expect(isBefore(start, later)).toBe(true);
        expect(isBefore(later, start)).toBe(false);
        expect(isBefore(start, new Date(start.getTime()))).toBe(false);
        expect(laterOf(start, later)).toBe(later);
        expect(laterOf(later, start)).toBe(later);
        const same = new Date(start.getTime());
        expect(laterOf(start, same)).toBe(start);
    });

    it('measures fractional and negative days', () => {
        expect(daysBetween(start, addDays(start, 30))).toBe(30);
        expect(daysBetween(start, new Date(start.getTime() + MS_PER_DAY / 4))).toBe(0.25);
        expect(daysBetween(addDays(start, 3), start)).toBe(-3);
    });

    it('does not mutate its input', () => {
        const before = start.toISOString();
        addDays(start, 10);
        addMinutes(start, 10);
        addSeconds(start, 10);
        addHours(start, 10);
        expect(start.toISOString()).toBe(before);
    });
});
