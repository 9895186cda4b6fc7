import { describe, expect, it } from 'vitest';

import { deliveryOutcome, isRetried, isSuccess, retryDelayMs } from './retryPolicy';

describe('Event Grid delivery rules (§5.3)', () => {
    it('success is 200–204 only', () => {
        expect([200, 201, 202, 203, 204].every(isSuccess)).toBe(true);
        expect([199, 205, 301, 400, 500].some(isSuccess)).toBe(false);
    });

    it('the schedule is 10 s, 30 s, 1 min, 5 min, 10 min, 30 min, 1 h, 3 h, 6 h, then every 12 h', () => {
        const seconds = Array.from({ length: 12 }, (_, i) => retryDelayMs(i + 1, 500, 1) / 1000);
        expect(seconds).toEqual([10, 30, 60, 300, 600, 1800, 3600, 10_800, 21_600, 43_200, 43_200, 43_200]);
        expect(retryDelayMs(1, 500, 0.01)).toBe(100);
    });

    it('404, 408 and 503 wait at least 5 min, 2 min and 30 s', () => {
        expect(retryDelayMs(1, 404, 1)).toBe(300_000);
        expect(retryDelayMs(1, 408, 1)).toBe(120_000);
        expect(retryDelayMs(1, 503, 1)).toBe(30_000);
        expect(retryDelayMs(5, 503, 1)).toBe(600_000);
    });

    it('webhooks are not retried on 400/401/403/413; Azure Functions are on 401', () => {
        for (const status of [400, 401, 403, 413]) expect(isRetried('WebHook', status)).toBe(false);
        for (const status of [400, 403, 413]) expect(isRetried('AzureFunction', status)).toBe(false);
        expect(isRetried('AzureFunction', 401)).toBe(true);
        for (const status of [404, 408, 429, 500, 503, undefined]) expect(isRetried('WebHook', status)).toBe(true);
    });

    it('names the last outcome like the dead-letter metadata does', () => {
        expect(deliveryOutcome(400, undefined)).toBe('BadRequest');
        expect(deliveryOutcome(408, undefined)).toBe('TimedOut');
        expect(deliveryOutcome(undefined, 'no response within 30000 ms')).toBe('TimedOut');
        expect(deliveryOutcome(500, undefined)).toBe('GenericError');
    });
});
