import { describe, expect, it } from 'vitest';

import { GRAPH_SCOPE, QuotaBudget } from '../../../shared/pacing/quotaBudget';
import { isThrottledResult } from '../../../shared/pacing/throttled';
import { rotationActivities } from '../../../shared/rotation/activities/table';
import { Activities } from '../../../shared/rotation/names';
import { createInput } from '../../support/fakes/inputs';
import { createWorld } from '../../support/fakes/world';

describe('activity table: a step takes its quota turn before doing any work', () => {
    it('a create whose write turn is far off returns throttled without a single call, and runs when it comes back at its turn', async () => {
        const world = createWorld();
        let now = 1_000_000;
        const budget = new QuotaBudget({ share: 0.01, now: () => now }); // 30 writes per 150 s, one every 5.6 s
        // Other rotations hold the next turns.
        for (let i = 0; i < 5; i++) budget.admit('graphWrites', GRAPH_SCOPE, `other-${i}`);
        const deps = { ...world.deps, budget };
        const handler = rotationActivities.get(Activities.createCredential)!;
        const raw = { ...createInput(), pacing: { key: 'rotate@x|rotationCreateCredential', priority: 'normal' } };

        const first = await handler(deps, raw, world.log);
        expect(isThrottledResult(first)).toBe(true);
        const wait = (first as { throttled: { retryAfterSeconds: number } }).throttled.retryAfterSeconds;
        expect(wait).toBeGreaterThanOrEqual(25);
        expect(world.directory.calls).toEqual([]);

        now += wait * 1000;
        const second = (await handler(deps, raw, world.log)) as { ok: boolean };
        expect(second.ok).toBe(true);
        expect(world.directory.calls.map((c) => c.method)).toEqual(['getApplicationByAppId', 'addPassword']);
    });
});
