import { describe, expect, it } from 'vitest';

import { runScanBench } from '../bench/scan';

/**
 * The CI-size run of `npm run bench:scan` (5,000 applications, 200 ms per Graph page): the real scan code in a
 * child process against the emulator. Completeness and memory are asserted exactly; the time ratio only
 * loosely, because fixed costs dominate six pages and CI machines are shared (the ≤ 1.15 target is for the
 * full-size run, reported separately).
 */
describe('scan benchmark, CI size', () => {
    it('scans 5,000 applications page by page, completely, within the memory bound', async () => {
        const apps = 5_000;
        const result = await runScanBench({ apps, pageLatencyMs: 200 });
        // The seeded apps plus the emulator's admin app and the bench's scanner identity.
        expect(result.apps).toBe(apps + 2);
        expect(result.credentials).toBe(apps + 2);
        expect(result.pages).toBe(Math.ceil((apps + 2) / 999));
        expect(result.idealSeconds).toBeCloseTo(result.pages * 0.2, 5);
        // The injected latency really applied to every page.
        expect(result.seconds).toBeGreaterThanOrEqual(result.idealSeconds);
        expect(result.ratio).toBeLessThan(4);
        expect(result.peakRssMb).toBeLessThan(200);
    }, 180_000);

    it('--delta: after one full sync, a 1% change is read from /applications/delta in one page, and nothing is missed', async () => {
        const apps = 5_000;
        const result = await runScanBench({ apps, pageLatencyMs: 20, deltaChangeFraction: 0.01 });
        expect(result.delta).toMatchObject({
            changed: 51,
            fullSync: { mode: 'full', graphPages: Math.ceil((apps + 2) / 999) + 1 },
            deltaPass: { mode: 'delta', graphPages: 1, changed: 51 },
        });
        // Every application is still classified, with the new credentials counted.
        expect(result.apps).toBe(apps + 2);
        expect(result.credentials).toBe(apps + 2 + 51);
    }, 180_000);
});
