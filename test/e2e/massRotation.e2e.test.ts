import { describe, expect, it } from 'vitest';

import { runRotationBench } from '../bench/rotations';

/**
 * The CI-size run of `npm run bench:rotations`: a handful of credentials due at once under Graph quotas scaled
 * down 100× (30 writes per 150 s, one sign-in read per 10 s), so both quotas are reached within minutes. Outcome
 * assertions only; the timing numbers are the benchmark's to report.
 */
describe('many rotations at once under the quotas (bench:rotations, CI size)', () => {
    it('every rotation completes, with exactly two Graph writes each and no rotation lost to throttling', async () => {
        const result = await runRotationBench({ n: 8, quotaScale: 0.01, maxMinutes: 9 });
        expect(result.finished).toBe(true);
        expect(result.outcomes).toEqual({ Completed: 8 });
        expect(result.graph.writesPerRotation).toBe(2);
    }, 600_000);
});
