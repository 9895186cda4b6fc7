import { describe, expect, it } from 'vitest';

import { type Admission, QuotaBudget } from '../../../shared/pacing/quotaBudget';

/** A budget on a hand-moved clock: sign-in reads, 5 per 10 s, paced at 90 % ⇒ one every 2.22 s. */
function budget(share = 1) {
    let now = 1_000_000;
    const b = new QuotaBudget({ share, now: () => now });
    return { b, advance: (ms: number) => (now += ms), at: () => now };
}
const waitOf = (a: Admission) => (a.admitted ? a.waitMs : a.retryAfterMs);

describe('QuotaBudget', () => {
    it('spaces a burst evenly below the limit and hands far turns out as reservations', () => {
        const { b } = budget();
        const answers = Array.from({ length: 10 }, (_, i) => b.admit('signInReads', 'app', `rotation-${i}`));
        expect(answers[0]).toEqual({ admitted: true, waitMs: 0 });
        const turns = answers.map(waitOf);
        // Evenly spaced, 10 s / (5 × 0.9) apart: never more than 4.5 in any 10 s window.
        for (let i = 1; i < turns.length; i++) expect(turns[i]! - turns[i - 1]!).toBeCloseTo(10_000 / 4.5, 0);
        expect(answers.slice(1).every((a) => !a.admitted)).toBe(true);
        expect(b.pending('signInReads', 'app')).toBe(9);
    });

    it('a caller coming back at its turn is admitted; coming back early it is told the rest of the wait', () => {
        const { b, advance } = budget();
        b.admit('signInReads', 'app', 'a');
        const first = b.admit('signInReads', 'app', 'b');
        const turn = waitOf(first);
        advance(turn / 2);
        expect(waitOf(b.admit('signInReads', 'app', 'b'))).toBeCloseTo(turn / 2, 0);
        advance(turn / 2);
        expect(b.admit('signInReads', 'app', 'b')).toMatchObject({ admitted: true });
        expect(b.pending('signInReads', 'app')).toBe(0);
    });

    it('never admits more than the paced limit in any window, even when everyone comes back late together', () => {
        const { b, advance, at } = budget();
        const admitted: number[] = [];
        const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
        for (const k of keys) if (b.admit('signInReads', 'app', k).admitted) admitted.push(at());
        // The host stalls: every reservation comes back 60 s late, repeatedly until admitted.
        advance(60_000);
        for (let round = 0; round < 400 && admitted.length < keys.length; round++) {
            for (const k of keys) if (b.admit('signInReads', 'app', k).admitted) admitted.push(at());
            advance(500);
        }
        admitted.sort((x, y) => x - y);
        for (const t of admitted)
            expect(admitted.filter((u) => u > t - 10_000 && u <= t).length).toBeLessThanOrEqual(4);
    });

    it('a 429 blocks the scope for its Retry-After and pushes every turn behind it', () => {
        const { b } = budget();
        b.admit('graphWrites', 'app', 'a');
        expect(b.throttled('graphWrites', 'app', 90_000)).toBe(90_000);
        expect(waitOf(b.admit('graphWrites', 'app', 'b'))).toBeGreaterThanOrEqual(90_000);
    });

    it('a 429 without Retry-After backs off, doubling', () => {
        const { b } = budget();
        const first = b.throttled('graphWrites', 'app', undefined);
        const second = b.throttled('graphWrites', 'app', undefined);
        expect(first).toBe(2_000);
        expect(second).toBe(4_000);
    });

    it('an emergency (high) caller goes ahead of every routine reservation', () => {
        const { b } = budget();
        for (let i = 0; i < 20; i++) b.admit('signInReads', 'app', `routine-${i}`, 'normal');
        const emergency = waitOf(b.admit('signInReads', 'app', 'emergency', 'high'));
        expect(emergency).toBeLessThan(2 * (10_000 / 4.5) + 1);
        // The routine caller that held that turn was moved back.
        const routine1 = waitOf(b.admit('signInReads', 'app', 'routine-1', 'normal'));
        expect(routine1).toBeGreaterThan(emergency);
    });

    it('pressure from x-ms-throttle-limit-percentage slows the pace; its absence restores it', () => {
        const { b } = budget();
        const base = b.estimateMs('graphWrites', 'app', 100);
        b.pressure('graphWrites', 'app', 0.99);
        expect(b.estimateMs('graphWrites', 'app', 100)).toBeGreaterThan(base);
        for (let i = 0; i < 20; i++) b.pressure('graphWrites', 'app', undefined);
        expect(b.estimateMs('graphWrites', 'app', 100)).toBeCloseTo(base, 0);
    });

    it('paces to a share of the documented quota', () => {
        expect(new QuotaBudget({ share: 0.05 }).limitOf('graphWrites')).toEqual({ limit: 150, windowSeconds: 150 });
        expect(new QuotaBudget().limitOf('signInReads')).toEqual({ limit: 5, windowSeconds: 10 });
    });
});
