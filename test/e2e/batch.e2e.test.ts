import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { NO_EVIDENCE_SOURCE } from '../sandbox/seedTenant';
import { World } from './support/world';

interface BatchView {
    id: string;
    total: number;
    done: number;
    needsAction: number;
    waitingOnQuota: number;
    inGrace: number;
    running: number;
    finished: boolean;
    estimate: { finishAt: string; seconds: number; bindingQuota: string };
}

/** Emergency rotate-all through the operator API, on the local host against the emulator. */
describe('POST /api/rotations/batch', () => {
    let world: World;

    beforeAll(async () => {
        world = await World.start({
            apps: [
                { displayName: 'batch-a', expiresInDays: 200, secretName: 'batch-a-secret', tags: NO_EVIDENCE_SOURCE },
                { displayName: 'batch-b', expiresInDays: 200, secretName: 'batch-b-secret', tags: NO_EVIDENCE_SOURCE },
                { displayName: 'batch-c', expiresInDays: 200, secretName: 'batch-c-secret', tags: NO_EVIDENCE_SOURCE },
            ],
            settings: { GRACE_PERIOD_DAYS: '1' },
        });
    }, 120_000);

    afterAll(async () => {
        await world?.close();
    });

    it('a dry run lists the selection with an estimate and starts nothing', async () => {
        const res = await world.api<{ dryRun: boolean; total: number; estimate: { bindingQuota: string } }>(
            'POST',
            '/api/rotations/batch',
            { selector: { all: true }, reason: 'rehearsal', dryRun: true },
        );
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ dryRun: true, total: 3, estimate: { bindingQuota: 'gracePeriod' } });
        const list = await world.api<{ total: number }>('GET', '/api/rotations?days=365');
        expect(list.body.total).toBe(0);
    });

    it('rejects an unmanaged secret with nothing started', async () => {
        const res = await world.api('POST', '/api/rotations/batch', {
            selector: { secretNames: ['batch-a-secret', 'no-such-secret'] },
            reason: 'leak',
        });
        expect(res.status).toBe(400);
        const list = await world.api<{ total: number }>('GET', '/api/rotations?days=365');
        expect(list.body.total).toBe(0);
    });

    it('starts every selected rotation through the singleton rules (a running one is joined) and reports progress to the end', async () => {
        const running = await world.startRotation('batch-b-secret', { reason: 'already going' });
        const res = await world.api<{ id: string; statusUrl: string; total: number; started: number; joined: number }>(
            'POST',
            '/api/rotations/batch',
            { selector: { all: true }, reason: 'credential leak', emergency: true },
        );
        expect(res.status).toBe(202);
        expect(res.body).toMatchObject({ total: 3, started: 2, joined: 1 });

        let view: BatchView | undefined;
        const deadline = Date.now() + 120_000;
        while (Date.now() < deadline) {
            const progress = await world.api<BatchView>('GET', res.body.statusUrl);
            expect(progress.status).toBe(200);
            view = progress.body;
            expect(view.done + view.needsAction + view.waitingOnQuota + view.inGrace + view.running).toBe(3);
            if (view.finished) break;
            // Rotations sleep on durable timers (grace, the usage gate's wait for the sign-in log): move the virtual
            // clock once none is doing work, as time would pass in Azure.
            if (view.inGrace > 0 && view.inGrace + view.done === 3) await world.emu.advanceClock(86_400 + 3_600);
            else if (view.running > 0 && (await sleeping(world))) await world.emu.advanceClock(3_600);
            await new Promise((r) => setTimeout(r, 500));
        }
        expect(view).toMatchObject({ finished: true, done: 3, needsAction: 0, estimate: { seconds: 0 } });
        const joined = await world.rotation(running);
        expect(joined.status).toBe('Completed');
    });
});

/** True when every running rotation is waiting on a timer (a step in state `waiting`). */
async function sleeping(world: World): Promise<boolean> {
    const list = await world.api<{ items: { status: string; steps: { state: string }[] }[] }>(
        'GET',
        '/api/rotations?days=365',
    );
    const running = list.body.items.filter((r) => r.status === 'Running');
    return running.length > 0 && running.every((r) => r.steps.some((s) => s.state === 'waiting'));
}
