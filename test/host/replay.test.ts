import { describe, expect, it } from 'vitest';
import { ActionType, type SdkAction } from './src/durable/actions';
import { event, EventType, type HistoryEvent } from './src/durable/history';
import { replayActions } from './src/durable/replay';
import { computeNextDelayMs } from './src/durable/retry';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const DAY = 24 * 3600_000;
const TIMERS = { maxShortTimerMs: 6 * DAY, longTimerIntervalMs: 3 * DAY };

const at = (ms: number): string => new Date(T0 + ms).toISOString();
const started = (ms = 0): HistoryEvent[] => [
    event(EventType.OrchestratorStarted, at(ms)),
    event(EventType.ExecutionStarted, at(ms), { Name: 'o', Input: null }),
];
const activity = (name: string, extra: Partial<SdkAction> = {}): SdkAction => ({
    actionType: ActionType.CallActivity,
    functionName: name,
    input: '"x"',
    ...extra,
});
const scheduledEvt = (id: number, name: string): HistoryEvent =>
    event(EventType.TaskScheduled, at(0), { EventId: id, Name: name });
const completedEvt = (id: number, ms = 1): HistoryEvent =>
    event(EventType.TaskCompleted, at(ms), { TaskScheduledId: id, Result: '1' });
const failedEvt = (id: number, ms: number): HistoryEvent =>
    event(EventType.TaskFailed, at(ms), { TaskScheduledId: id, Reason: 'r', Details: 'd' });
const episode = (ms: number): HistoryEvent => event(EventType.OrchestratorStarted, at(ms));
const run = (history: HistoryEvent[], actions: SdkAction[], ms = 0) =>
    replayActions('i', history, actions, TIMERS, new Date(T0 + ms));

describe('host-side replay (DTFx emulation)', () => {
    it('schedules the first action with sequence id 0 and passes pre-serialized string input through', () => {
        const result = run(started(), [activity('A')]);
        expect(result.newEvents).toMatchObject([
            { EventType: EventType.TaskScheduled, EventId: 0, Name: 'A', Input: '"x"' },
        ]);
        expect(result.nonDeterminism).toBeUndefined();
    });

    it('matches replayed names case-insensitively and schedules only new work', () => {
        const history = [...started(), scheduledEvt(0, 'say'), episode(1), completedEvt(0)];
        const result = run(history, [activity('Say'), activity('B')], 1);
        expect(result.nonDeterminism).toBeUndefined();
        expect(result.newEvents.map((e) => [e.EventId, e.Name])).toEqual([[1, 'B']]);
    });

    it('detects a different activity name at the same sequence id', () => {
        const history = [...started(), scheduledEvt(0, 'A'), episode(1), completedEvt(0)];
        expect(run(history, [activity('B')], 1).nonDeterminism).toMatch(/Non-Deterministic.*'B'.*sequence ID 0.*'A'/);
    });

    it('detects a different kind of action at the same sequence id', () => {
        const history = [...started(), event(EventType.TimerCreated, at(0), { EventId: 0, FireAt: at(10) })];
        expect(run(history, [activity('A')], 1).nonDeterminism).toContain('TimerCreated');
    });

    it('detects history the replay no longer schedules', () => {
        const history = [...started(), scheduledEvt(0, 'A'), episode(1), completedEvt(0), scheduledEvt(1, 'B')];
        const result = run(history, [activity('A')], 2);
        expect(result.nonDeterminism).toMatch(/scheduled TaskScheduled 'B' with sequence ID 1.*hasn't \(yet\?\)/);
    });

    it('numbers WhenAll children in order and retry timers as they occur', () => {
        const retry: SdkAction = {
            ...activity('A'),
            actionType: ActionType.CallActivityWithRetry,
            retryOptions: { firstRetryIntervalInMilliseconds: 1000, maxNumberOfAttempts: 2 },
        };
        const all: SdkAction = { actionType: ActionType.WhenAll, compoundActions: [retry, activity('B')] };
        const first = run(started(), [all]);
        expect(first.newEvents.map((e) => [e.EventId, e.Name])).toEqual([
            [0, 'A'],
            [1, 'B'],
        ]);
        const history = [...started(), ...first.newEvents, episode(5), failedEvt(0, 5)];
        const second = run(history, [all], 5);
        expect(second.newEvents).toMatchObject([{ EventType: EventType.TimerCreated, EventId: 2, FireAt: at(1005) }]);
    });

    it('retries sub-orchestrations with their own ids for attempts and timers', () => {
        const sub: SdkAction = {
            actionType: ActionType.CallSubOrchestratorWithRetry,
            functionName: 'child',
            instanceId: 'kid',
            input: { a: 1 },
            retryOptions: { firstRetryIntervalInMilliseconds: 2000, maxNumberOfAttempts: 2 },
        };
        const first = run(started(), [sub]);
        expect(first.newEvents).toMatchObject([
            {
                EventType: EventType.SubOrchestrationInstanceCreated,
                EventId: 0,
                Name: 'child',
                InstanceId: 'kid',
                Input: '{"a":1}',
            },
        ]);
        const failed = event(EventType.SubOrchestrationInstanceFailed, at(3), {
            TaskScheduledId: 0,
            Reason: 'r',
            Details: 'd',
        });
        const history = [...started(), ...first.newEvents, episode(3), failed];
        expect(run(history, [sub], 3).newEvents).toMatchObject([
            { EventType: EventType.TimerCreated, EventId: 1, FireAt: at(2003) },
        ]);
    });

    it('stops retrying without a timer once the retry timeout has passed (DTFx delay 0)', () => {
        const retry: SdkAction = {
            ...activity('A'),
            actionType: ActionType.CallActivityWithRetry,
            retryOptions: {
                firstRetryIntervalInMilliseconds: 1000,
                maxNumberOfAttempts: 5,
                retryTimeoutInMilliseconds: 500,
            },
        };
        const history = [...started(), scheduledEvt(0, 'A'), episode(900), failedEvt(0, 900)];
        const result = run(history, [retry, activity('Next')], 900);
        expect(result.newEvents.map((e) => [e.EventType, e.EventId])).toEqual([[EventType.TaskScheduled, 1]]);
    });

    it('splits long timers into 3-day segments and reports cancelled timers', () => {
        const timer: SdkAction = { actionType: ActionType.CreateTimer, fireAt: at(10 * DAY), isCanceled: false };
        expect(run(started(), [timer]).newEvents).toMatchObject([{ EventId: 0, FireAt: at(3 * DAY) }]);
        const wait: SdkAction = { actionType: ActionType.WaitForExternalEvent, externalEventName: 'Go' };
        const any: SdkAction = {
            actionType: ActionType.WhenAny,
            compoundActions: [wait, { actionType: ActionType.CreateTimer, fireAt: at(DAY), isCanceled: true }],
        };
        const history = [
            ...started(),
            event(EventType.TimerCreated, at(0), { EventId: 0, FireAt: at(DAY) }),
            episode(5),
            event(EventType.EventRaised, at(5), { Name: 'Go', Input: null }),
        ];
        const result = run(history, [any, activity('After')], 5);
        expect(result.canceledTimerIds).toEqual([0]);
        expect(result.newEvents.map((e) => [e.EventId, e.Name])).toEqual([[1, 'After']]);
    });

    it('starts the action after Task.all only once every child finished (Task.WhenAll), even after a failure', () => {
        const all: SdkAction = { actionType: ActionType.WhenAll, compoundActions: [activity('A'), activity('B')] };
        const history = [...started(), scheduledEvt(0, 'A'), scheduledEvt(1, 'B'), episode(5), failedEvt(0, 5)];
        expect(run(history, [all, activity('C')], 5).newEvents).toEqual([]);
        const later = [...history, episode(9), completedEvt(1, 9)];
        expect(run(later, [all, activity('C')], 9).newEvents.map((e) => [e.EventId, e.Name])).toEqual([[2, 'C']]);
    });

    it('reports continueAsNew input and rejects unsupported actions', () => {
        expect(run(started(), [{ actionType: ActionType.ContinueAsNew, input: '5' }]).continueAsNewInput).toBe('5');
        expect(run(started(), [{ actionType: ActionType.CallEntity }]).unsupported).toContain('does not support');
    });
});

describe('retry delay (DTFx RetryInterceptor.ComputeNextDelay)', () => {
    it('backs off exponentially, caps at the max interval, and stops after the timeout', () => {
        const o = {
            firstRetryIntervalInMilliseconds: 1000,
            maxNumberOfAttempts: 9,
            backoffCoefficient: 3,
            maxRetryIntervalInMilliseconds: 5000,
        };
        expect([0, 1, 2].map((a) => computeNextDelayMs(o, a, 0, 0))).toEqual([1000, 3000, 5000]);
        expect(computeNextDelayMs({ ...o, retryTimeoutInMilliseconds: 100 }, 0, 0, 100)).toBe(0);
        expect(computeNextDelayMs({ firstRetryIntervalInMilliseconds: 7, maxNumberOfAttempts: 2 }, 4, 0, 0)).toBe(7);
    });
});
