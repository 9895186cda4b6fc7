import { InvocationContext } from '@azure/functions';
import { DummyOrchestrationContext } from 'durable-functions';
import { createOrchestrator, DurableOrchestrationInput } from 'durable-functions/lib/src/util/testingUtils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
    approval,
    counter,
    eventAfterTimer,
    longTimer,
    retrying,
    say,
    sequence,
} from './fixtures/app/functions/orchestrations';
import { durableUrl, postJson, START, startFixtureHost, until, type FixtureHost } from './helpers';
import { HistoryBuilder } from './historyBuilder';
import type { ManualClock } from './src/clock/clock';
import { EventType } from './src/durable/history';

/**
 * The same fixture orchestrators, run two ways: end to end in the host, and as one episode through the SDK's own
 * testing utilities (DummyOrchestrationContext + DurableOrchestrationInput, schema V4 as production sends) over a
 * hand-built history. Their outputs must be identical.
 */
const DAY = 24 * 3600_000;
const t0 = START.getTime();
const V4 = 3;

type Generator = Parameters<typeof createOrchestrator>[0];

async function runSdk(
    fn: unknown,
    history: HistoryBuilder,
    input: unknown,
): Promise<{ isDone: boolean; output: unknown }> {
    const handler = createOrchestrator(fn as Generator);
    const context = new DummyOrchestrationContext('fixture', 'invocation', () => undefined);
    const binding = new DurableOrchestrationInput(
        'sdk-instance',
        history.build(),
        input,
        '3.00:00:00',
        '6.00:00:00',
        30000,
        V4,
    );
    return (await handler(binding, context)) as { isDone: boolean; output: unknown };
}

let f: FixtureHost;
let clock: ManualClock;

beforeAll(async () => {
    f = await startFixtureHost({ timerTriggers: false });
    clock = f.host.clock as ManualClock;
});

afterAll(async () => {
    await f.dispose();
});

async function runHost(
    name: string,
    input: unknown,
    drive: (id: string) => Promise<void> = async () => {},
): Promise<unknown> {
    const res = await postJson(durableUrl(f.host, `orchestrators/${name}`), input);
    const { id } = (await res.json()) as { id: string };
    await f.host.waitForStatus(id, ['Running', 'Completed']);
    await f.host.idle();
    await drive(id);
    const done = await f.host.waitForStatus(id, ['Completed']);
    return JSON.parse(done.output ?? 'null');
}

describe('host output equals single-episode SDK output', () => {
    it('sequence', async () => {
        const cities = ['Tokyo', 'Seattle'];
        const history = new HistoryBuilder(START, 'sequence', cities).scheduled(0, 'Say').episode(t0 + 1000);
        history
            .completed(0, say('Tokyo', new InvocationContext()))
            .scheduled(1, 'Say')
            .episode(t0 + 2000);
        history.completed(1, say('Seattle', new InvocationContext()));
        const sdk = await runSdk(sequence, history, cities);
        expect(sdk.isDone).toBe(true);
        expect(await runHost('sequence', cities)).toEqual(sdk.output);
    });

    it('retrying (two failures, exponential backoff)', async () => {
        const history = new HistoryBuilder(START, 'retrying', 'eq').scheduled(0, 'Flaky');
        history
            .episode(t0)
            .failed(0, 'Flaky', 'flaky failure 1')
            .timer(1, t0 + 60_000);
        history
            .episode(t0 + 60_000)
            .fired(1, t0 + 60_000)
            .scheduled(2, 'Flaky');
        history
            .episode(t0 + 60_000)
            .failed(2, 'Flaky', 'flaky failure 2')
            .timer(3, t0 + 180_000);
        history
            .episode(t0 + 180_000)
            .fired(3, t0 + 180_000)
            .scheduled(4, 'Flaky');
        history.episode(t0 + 180_000).completed(4, 'ok after 3');
        const sdk = await runSdk(retrying, history, 'eq');
        const host = await runHost('retrying', 'eq', async (id) => {
            clock.advance(60_000);
            await until(
                () =>
                    (f.host.runtime.store.get(id)?.history ?? []).filter((e) => e.EventType === EventType.TaskFailed)
                        .length === 2,
            );
            await f.host.idle();
            clock.advance(120_000);
        });
        expect(host).toEqual(sdk.output);
        expect(sdk.output).toEqual({ result: 'ok after 3', finishedAt: new Date(t0 + 180_000).toISOString() });
    });

    it('longTimer (10 days in 3-day segments)', async () => {
        const start = clock.nowSync();
        const history = new HistoryBuilder(new Date(start), 'longTimer', undefined).timer(0, start + 3 * DAY);
        history
            .episode(start + 3 * DAY)
            .fired(0, start + 3 * DAY)
            .timer(1, start + 6 * DAY);
        history
            .episode(start + 6 * DAY)
            .fired(1, start + 6 * DAY)
            .timer(2, start + 10 * DAY);
        history.episode(start + 10 * DAY).fired(2, start + 10 * DAY);
        const sdk = await runSdk(longTimer, history, undefined);
        const host = await runHost('longTimer', undefined, async (id) => {
            for (const [days, timers] of [
                [3, 2],
                [3, 3],
                [4, 3],
            ] as const) {
                clock.advance(days * DAY);
                await until(
                    () =>
                        f.host.runtime.store.get(id)?.history.filter((e) => e.EventType === EventType.TimerCreated)
                            .length === timers,
                );
                await f.host.idle();
            }
        });
        expect(host).toEqual(sdk.output);
    });

    it('approval (event raised after the wait)', async () => {
        const start = clock.nowSync();
        const history = new HistoryBuilder(new Date(start), 'approval', undefined).timer(0, start + 2 * DAY);
        history.episode(start + 1000).raised('Approve', { by: 'bob' });
        const sdk = await runSdk(approval, history, undefined);
        const host = await runHost('approval', undefined, async (id) => {
            await postJson(durableUrl(f.host, `instances/${id}/raiseEvent/Approve`), {
                by: 'bob',
            });
        });
        expect(host).toEqual(sdk.output);
    });

    it('eventAfterTimer (event raised before the wait)', async () => {
        const start = clock.nowSync();
        const history = new HistoryBuilder(new Date(start), 'eventAfterTimer', undefined).timer(0, start + 3600_000);
        history.episode(start).raised('Approve', 'early');
        history.episode(start + 3600_000).fired(0, start + 3600_000);
        const sdk = await runSdk(eventAfterTimer, history, undefined);
        const host = await runHost('eventAfterTimer', undefined, async (id) => {
            await postJson(durableUrl(f.host, `instances/${id}/raiseEvent/Approve`), 'early');
            await f.host.idle();
            clock.advance(3600_000);
        });
        expect(host).toEqual(sdk.output);
    });

    it('counter (final execution after continueAsNew)', async () => {
        const history = new HistoryBuilder(START, 'counter', 3)
            .scheduled(0, 'Double')
            .episode(t0 + 1000)
            .completed(0, 6);
        const sdk = await runSdk(counter, history, 3);
        expect(await runHost('counter', 0)).toEqual(sdk.output);
    });
});
