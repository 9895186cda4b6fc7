import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from './src/clock/clock';
import { EventType } from './src/durable/history';
import { durableUrl, postJson, START, startFixtureHost, until, type FixtureHost } from './helpers';

const DAY = 24 * 3600_000;
let f: FixtureHost;
let clock: ManualClock;

beforeAll(async () => {
    f = await startFixtureHost({ timerTriggers: false });
    clock = f.host.clock as ManualClock;
});

afterAll(async () => {
    await f.dispose();
});

const api = (path: string): string => durableUrl(f.host, path);

async function start(name: string, input?: unknown, id?: string): Promise<string> {
    const res = await postJson(api(`orchestrators/${name}${id ? `/${id}` : ''}`), input);
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
}

const output = (id: string): unknown => JSON.parse(f.host.runtime.store.get(id)?.output ?? 'null');
const history = (id: string) => f.host.runtime.store.get(id)?.history ?? [];
const scheduled = (id: string) =>
    history(id)
        .filter((e) => e.EventType === EventType.TaskScheduled || e.EventType === EventType.TimerCreated)
        .map((e) => ({ id: e.EventId, type: e.EventType, name: e.Name, fireAt: e.FireAt }));

describe('durable runner', () => {
    it('runs a multi-activity orchestration to Completed with custom status', async () => {
        const id = await start('sequence', ['Tokyo', 'Seattle', 'London']);
        await f.host.waitForStatus(id, ['Completed']);
        expect(output(id)).toEqual(['Hello Tokyo', 'Hello Seattle', 'Hello London']);
        expect(f.records('Say').map((r) => r.city)).toEqual(['Tokyo', 'Seattle', 'London']);
        expect(f.records('Say').every((r) => r.instanceId === id)).toBe(true);
        const status = await (await fetch(api(`instances/${id}`))).json();
        expect(status).toMatchObject({ runtimeStatus: 'Completed', customStatus: { done: 3 }, name: 'sequence' });
        expect(scheduled(id).map((s) => s.id)).toEqual([0, 1, 2]);
    });

    it('retries with exponential backoff on the virtual clock', async () => {
        const id = await start('retrying', 'k1');
        await until(() => f.records('Flaky').length === 1);
        await f.host.idle();
        // First retry waits firstRetryInterval (60 s) from the failure.
        expect(scheduled(id).at(-1)).toMatchObject({
            id: 1,
            type: EventType.TimerCreated,
            fireAt: iso(START.getTime() + 60_000),
        });
        clock.advance(59_000);
        await f.host.idle();
        expect(f.records('Flaky')).toHaveLength(1);
        clock.advance(1_000);
        await until(() => f.records('Flaky').length === 2);
        await f.host.idle();
        // Second retry: 60 s * 2^1.
        expect(scheduled(id).at(-1)).toMatchObject({
            id: 3,
            type: EventType.TimerCreated,
            fireAt: iso(START.getTime() + 180_000),
        });
        clock.advance(120_000);
        await f.host.waitForStatus(id, ['Completed']);
        expect(output(id)).toEqual({ result: 'ok after 3', finishedAt: iso(START.getTime() + 180_000) });
        expect(scheduled(id).map((s) => s.id)).toEqual([0, 1, 2, 3, 4]);
    });

    it('fails with the activity failure once attempts are exhausted (a timer follows every failure)', async () => {
        f.host.chaos.failNext(10, 'Flaky', 'vault unavailable');
        const id = await start('retrying', 'k2');
        for (let attempt = 1; attempt <= 4; attempt++) {
            await until(() => history(id).filter((e) => e.EventType === EventType.TaskFailed).length === attempt);
            await f.host.idle();
            clock.advance(10 * 60_000);
        }
        const failed = await f.host.waitForStatus(id, ['Failed']);
        const message = String(JSON.parse(failed.output ?? '""'));
        expect(message).toContain("Orchestrator function 'retrying' failed");
        expect(message).toContain("Activity function 'Flaky' failed: vault unavailable");
        expect(scheduled(id).map((s) => s.type)).toEqual([4, 10, 4, 10, 4, 10, 4, 10]);
        f.host.chaos.reset();
    });

    it('surfaces an activity failure as the SDK builds it from Reason/Details', async () => {
        f.host.chaos.failNext(1, 'Say', 'boom');
        const id = await start('catcher');
        await f.host.waitForStatus(id, ['Completed']);
        const caught = output(id) as { name: string; message: string };
        expect(caught.name).toBe('Error');
        expect(caught.message).toContain("Activity function 'Say' failed: boom");
    });

    it('fires a timer longer than six days after the clock advances, in 3-day segments', async () => {
        const t0 = clock.nowSync();
        const id = await start('longTimer');
        await f.host.waitForStatus(id, ['Running']);
        await f.host.idle();
        expect(scheduled(id)).toEqual([
            { id: 0, type: EventType.TimerCreated, name: undefined, fireAt: iso(t0 + 3 * DAY) },
        ]);
        clock.advance(3 * DAY);
        await until(() => scheduled(id).length === 2);
        clock.advance(3 * DAY);
        await until(() => scheduled(id).length === 3);
        expect(scheduled(id).map((s) => s.fireAt)).toEqual([iso(t0 + 3 * DAY), iso(t0 + 6 * DAY), iso(t0 + 10 * DAY)]);
        clock.advance(4 * DAY - 1);
        await f.host.idle();
        expect(f.host.runtime.store.get(id)?.runtimeStatus).toBe('Running');
        clock.advance(1);
        await f.host.waitForStatus(id, ['Completed']);
        expect(output(id)).toEqual({ firedAt: iso(t0 + 10 * DAY), fireAt: iso(t0 + 10 * DAY) });
    });

    it('completes a long timer when the clock jumps past it in one step', async () => {
        const t0 = clock.nowSync();
        const id = await start('longTimer');
        await f.host.waitForStatus(id, ['Running']);
        await f.host.idle();
        clock.advance(30 * DAY);
        await f.host.waitForStatus(id, ['Completed']);
        expect(output(id)).toMatchObject({ fireAt: iso(t0 + 10 * DAY), firedAt: iso(t0 + 30 * DAY) });
    });

    it('delivers an external event raised after the wait', async () => {
        const id = await start('approval');
        await f.host.waitForStatus(id, ['Running']);
        const res = await postJson(api(`instances/${id}/raiseEvent/Approve`), { by: 'alice' });
        expect(res.status).toBe(202);
        await f.host.waitForStatus(id, ['Completed']);
        expect(output(id)).toEqual({ approved: { by: 'alice' } });
        // The cancelled deadline timer never fires.
        expect(history(id).some((e) => e.EventType === EventType.TimerFired)).toBe(false);
        expect((await postJson(api(`instances/${id}/raiseEvent/Approve`), {})).status).toBe(410);
        expect((await postJson(api('instances/missing/raiseEvent/Approve'), {})).status).toBe(404);
    });

    it('buffers an external event raised before the orchestrator waits for it', async () => {
        const t0 = clock.nowSync();
        const id = await start('eventAfterTimer');
        await f.host.waitForStatus(id, ['Running']);
        await f.host.idle();
        expect((await postJson(api(`instances/${id}/raiseEvent/Approve`), 'early')).status).toBe(202);
        await f.host.idle();
        expect(f.host.runtime.store.get(id)?.runtimeStatus).toBe('Running');
        clock.advance(3600_000);
        await f.host.waitForStatus(id, ['Completed']);
        expect(output(id)).toEqual({ data: 'early', at: iso(t0 + 3600_000) });
    });

    it('times out the approval when no event arrives', async () => {
        const id = await start('approval');
        await f.host.waitForStatus(id, ['Running']);
        await f.host.idle();
        clock.advance(2 * DAY);
        await f.host.waitForStatus(id, ['Completed']);
        expect(output(id)).toEqual({ approved: false });
    });

    it('a start on an active id answers 500 like the extension (no 409); finished ids are overwritten', async () => {
        await start('approval', undefined, 'singleton-1');
        const conflict = await postJson(api('orchestrators/approval/singleton-1'));
        // HttpApiHandler has no catch for "already exists" on this path: its generic catch answers 500.
        expect(conflict.status).toBe(500);
        expect(await conflict.json()).toMatchObject({
            Message: 'Something went wrong while processing your request',
            ExceptionMessage: 'An Orchestration instance with the status Running already exists.',
        });
        // The durable client surfaces the 500 as a rejection.
        const viaClient = await postJson(`${f.host.baseUrl}/api/orchestrators/approval/singleton-1`);
        expect(viaClient.status).toBe(500);
        expect(f.host.logs.some((l) => l.message.includes('unexpected status code: 500'))).toBe(true);
        await postJson(api('instances/singleton-1/raiseEvent/Approve'), 1);
        await f.host.waitForStatus('singleton-1', ['Completed']);
        const firstCreated = f.host.runtime.store.get('singleton-1')?.executionId;
        await start('sequence', ['Rome'], 'singleton-1');
        await f.host.waitForStatus('singleton-1', ['Completed']);
        const record = f.host.runtime.store.get('singleton-1');
        expect(record?.name).toBe('sequence');
        expect(record?.executionId).not.toBe(firstCreated);
        expect(output('singleton-1')).toEqual(['Hello Rome']);
    });

    it('concurrent starts of one id all succeed for their callers and run one execution (runtime de-dupe)', async () => {
        // Started in the same tick, all three pass the (non-atomic) instance check before any has enqueued.
        const started = await Promise.all([1, 2, 3].map((n) => f.host.runtime.startNew('approval', 'race-1', `${n}`)));
        expect(new Set(started.map((r) => r.executionId)).size).toBe(1);
        expect(f.host.logs.filter((l) => l.message.includes('duplicate ExecutionStarted for race-1'))).toHaveLength(2);
        // Over HTTP the answers depend on timing: each is a 202 or the extension's 500, never a second execution.
        const answers = await Promise.all([1, 2].map((n) => postJson(api('orchestrators/approval/race-1'), n)));
        expect(answers.every((a) => a.status === 202 || a.status === 500)).toBe(true);
        await postJson(api('instances/race-1/raiseEvent/Approve'), 1);
        await f.host.waitForStatus('race-1', ['Completed']);
        expect(history('race-1').filter((e) => e.EventType === EventType.ExecutionStarted)).toHaveLength(1);
    });

    it('continues as new with a fresh history per execution', async () => {
        const id = await start('counter', 0);
        await f.host.waitForStatus(id, ['Completed']);
        expect(output(id)).toEqual({ n: 3, doubled: 6 });
        expect(f.records('Double').map((r) => r.n)).toEqual([0, 1, 2, 3]);
        const started = history(id).filter((e) => e.EventType === EventType.ExecutionStarted);
        expect(started.map((e) => e.Input)).toEqual(['3']);
    });

    it('fails a non-deterministic orchestrator with a clear message', async () => {
        const id = await start('nondeterministic');
        const failed = await f.host.waitForStatus(id, ['Failed']);
        const message = String(JSON.parse(failed.output ?? '""'));
        expect(message).toContain('Non-Deterministic workflow detected');
        expect(message).toContain("'Double'");
        expect(message).toContain("'Say'");
        expect(message).toContain('sequence ID 0');
    });

    it('runs sub-orchestrations', async () => {
        const id = await start('parent');
        await f.host.waitForStatus(id, ['Completed']);
        expect(output(id)).toEqual({ child: ['Hello Oslo', 'Hello Lima'] });
        const created = history(id).find((e) => e.EventType === EventType.SubOrchestrationInstanceCreated);
        expect(f.host.runtime.store.get(created?.InstanceId ?? '')?.runtimeStatus).toBe('Completed');
    });

    it("a custom status over 16 KB of UTF-16 fails the orchestration, as the extension's SetCustomStatus does", async () => {
        // {"next":"…"}: 8,000 characters of name are 16,022 bytes of UTF-16 (15 KB, allowed); 9,000 are 18,022 (17 KB).
        const fits = await start('sequence', ['x'.repeat(8_000)]);
        await f.host.waitForStatus(fits, ['Completed']);
        const tooLarge = await start('sequence', ['y'.repeat(9_000)]);
        await f.host.waitForStatus(tooLarge, ['Failed']);
        expect(output(tooLarge)).toBe(
            'The UTF-16 size of the JSON-serialized payload must not exceed 16 KB. The current payload size is 17 KB.',
        );
        // Nothing was scheduled: the shim sets the status before it replays the episode's actions.
        expect(scheduled(tooLarge)).toEqual([]);
    });
});

function iso(ms: number): string {
    return new Date(ms).toISOString();
}
