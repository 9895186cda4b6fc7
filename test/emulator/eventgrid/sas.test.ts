import { describe, expect, it } from 'vitest';

import { parseServiceTime } from './sas';

describe('aeg-sas-token expiry format', () => {
    it('parses .NET en-US "M/d/yyyy h:mm:ss tt" as UTC, including 12 AM and 12 PM', () => {
        expect(parseServiceTime('6/5/2020 12:09:03 PM')?.toISOString()).toBe('2020-06-05T12:09:03.000Z');
        expect(parseServiceTime('6/5/2020 12:09:03 AM')?.toISOString()).toBe('2020-06-05T00:09:03.000Z');
        expect(parseServiceTime('12/31/2026 11:59:59 PM')?.toISOString()).toBe('2026-12-31T23:59:59.000Z');
        expect(parseServiceTime('2026-12-31T23:59:59Z')).toBeUndefined();
    });
});
