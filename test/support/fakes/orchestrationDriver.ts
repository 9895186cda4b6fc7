import { createHash } from 'node:crypto';

import { type OrchestrationContext, type RetryOptions, type Task } from 'durable-functions';

import { type RotationRecord } from '../../../shared/workflows/timeline';
import { rotateCredential } from '../../../shared/workflows/rotateCredential';
import { activityHandlers } from './activityHost';
import { type World } from './world';

/** What the orchestrator asked for, as Durable would record it in the history. */
export type Action =
    | { readonly kind: 'activity'; readonly name: string; readonly input: unknown; readonly withRetry: boolean }
    | { readonly kind: 'timer'; readonly fireAt: string }
    | { readonly kind: 'event'; readonly name: string }
    /** `Task.any` of an external event and a timer: the outcome's result says which won (and the event's data). */
    | { readonly kind: 'any'; readonly of: readonly Action[] };

export type Outcome =
    { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly message: string };

export interface HistoryEntry {
    readonly action: Action;
    readonly outcome: Outcome;
    readonly clockAfter: string;
}

/** One execution of an activity function (a retried call has several). */
export interface Attempt {
    readonly name: string;
    readonly at: string;
    readonly ok: boolean;
    readonly error?: string;
}

export interface DriveOptions {
    readonly input: Record<string, unknown>;
    /** Time an activity takes, so `currentUtcDateTime` moves like it does between history events. */
    readonly activityLatencyMs?: number;
    /** Replay: answer from this history instead of running activities (isReplaying is true meanwhile). */
    readonly history?: readonly HistoryEntry[];
    /** Called before each activity execution: lets a test change the world at a given step. */
    readonly beforeActivity?: (name: string, input: unknown, world: World) => void;
    /**
     * At-least-once delivery: activities for which this returns true run twice (the first result is lost, as
     * when a worker dies before the host records it) and the orchestrator sees the second result.
     */
    readonly deliverTwice?: (name: string) => boolean;
    /**
     * How a failed activity reaches the orchestrator: `plain` is the TaskFailed reason; `rpc` is the out-of-proc
     * worker's multi-line "Result: Failure / Exception: … / Stack: …" text the extension may pass through.
     */
    readonly failureFormat?: 'plain' | 'rpc';
    readonly maxActions?: number;
    /**
     * External events: when the orchestrator waits for `name` (against a timer), this says what is raised before
     * the timer fires (undefined: nothing, the timer wins). Called with the wait's timer instant.
     */
    readonly externalEvent?: (name: string, world: World, timerAt: string) => unknown;
}

export interface DriveResult {
    readonly output: RotationRecord;
    readonly actions: Action[];
    readonly history: HistoryEntry[];
    /** Every custom status, as the JSON text Durable would store. */
    readonly statusTexts: string[];
    readonly attempts: Attempt[];
    /** Activity names in the order they were scheduled. */
    readonly activities: string[];
    readonly timers: string[];
}

interface FakeTask {
    readonly fake: Action;
    readonly retry: RetryOptions | undefined;
    readonly tasks?: readonly FakeTask[];
    result?: unknown;
    cancelled?: boolean;
    cancel(): void;
}

/**
 * Runs `rotateCredential` without a host: yielded tasks are resolved by running the real activity use-cases
 * against the world's fakes (with Durable's JSON round trip and retry policy), timers advance the clock.
 */
export async function driveRotation(world: World, options: DriveOptions): Promise<DriveResult> {
    const latency = options.activityLatencyMs ?? 1_000;
    const replay = options.history ?? [];
    const actions: Action[] = [];
    const history: HistoryEntry[] = [];
    const statusTexts: string[] = [];
    const attempts: Attempt[] = [];
    const schedule = (fake: Action, retry?: RetryOptions, tasks?: readonly FakeTask[]): Task => {
        const task: FakeTask = {
            fake,
            retry,
            ...(tasks ? { tasks } : {}),
            cancel() {
                this.cancelled = true;
            },
        };
        return task as unknown as Task;
    };
    const df = {
        instanceId: 'rotate@kv-rotator-test.vault.azure.net@graph-client-secret',
        get isReplaying(): boolean {
            return actions.length < replay.length;
        },
        get currentUtcDateTime(): Date {
            return world.clock.now();
        },
        getInput: (): unknown => JSON.parse(JSON.stringify(options.input)),
        callActivity: (name: string, input?: unknown): Task =>
            schedule({ kind: 'activity', name, input: roundTrip(input), withRetry: false }),
        callActivityWithRetry: (name: string, retry: RetryOptions, input?: unknown): Task =>
            schedule({ kind: 'activity', name, input: roundTrip(input), withRetry: true }, retry),
        createTimer: (fireAt: Date): Task => schedule({ kind: 'timer', fireAt: fireAt.toISOString() }),
        waitForExternalEvent: (name: string): Task => schedule({ kind: 'event', name }),
        Task: {
            any: (tasks: Task[]): Task => {
                const fakes = tasks as unknown as FakeTask[];
                return schedule({ kind: 'any', of: fakes.map((t) => t.fake) }, undefined, fakes);
            },
        },
        setCustomStatus: (status: unknown): void => void statusTexts.push(JSON.stringify(status)),
        // Deterministic like Durable's (name-based): the same name gives the same id on every replay.
        newGuid: (name: string): string => deterministicGuid(name),
    };
    const context = { df, invocationId: 'test' } as unknown as OrchestrationContext;

    const generator = rotateCredential(context);
    let step = generator.next();
    while (!step.done) {
        if (actions.length >= (options.maxActions ?? 500)) throw new Error('driver: too many actions (loop?)');
        const task = step.value as unknown as FakeTask;
        const action = task.fake;
        const recorded = replay[actions.length];
        actions.push(action);
        let outcome: Outcome = { ok: false, message: 'driver: no outcome' };
        if (recorded) {
            if (JSON.stringify(recorded.action) !== JSON.stringify(action)) {
                throw new Error(
                    `non-deterministic replay at action ${actions.length}: ${JSON.stringify(action)} vs ${JSON.stringify(recorded.action)}`,
                );
            }
            outcome = recorded.outcome;
            world.clock.advanceTo(new Date(recorded.clockAfter));
        } else if (action.kind === 'timer') {
            const fireAt = new Date(action.fireAt);
            if (fireAt > world.clock.now()) world.clock.advanceTo(fireAt);
            outcome = { ok: true, result: undefined };
        } else if (action.kind === 'any') {
            const event = action.of.find((a) => a.kind === 'event');
            const timer = action.of.find((a) => a.kind === 'timer');
            if (!event || !timer || event.kind !== 'event' || timer.kind !== 'timer')
                throw new Error('driver: Task.any supports one external event against one timer');
            const raised = options.externalEvent?.(event.name, world, timer.fireAt);
            if (raised === undefined) {
                const fireAt = new Date(timer.fireAt);
                if (fireAt > world.clock.now()) world.clock.advanceTo(fireAt);
                outcome = { ok: true, result: { winner: 'timer' } };
            } else {
                world.clock.advanceBy(latency);
                outcome = { ok: true, result: { winner: 'event', data: roundTrip(raised) } };
            }
        } else if (action.kind === 'event') {
            throw new Error('driver: a bare external event wait is not supported (wait against a timer)');
        } else {
            const times = options.deliverTwice?.(action.name) ? 2 : 1;
            for (let i = 0; i < times; i++) {
                outcome = await runActivity(world, action, task.retry, latency, attempts, options);
            }
        }
        history.push({ action, outcome, clockAfter: world.clock.now().toISOString() });
        let value = outcome.ok ? outcome.result : undefined;
        if (outcome.ok && action.kind === 'any' && task.tasks) {
            // Durable's Task.any resolves to the winning task itself; an event task carries the raised data.
            const result = outcome.result as { winner: 'event' | 'timer'; data?: unknown };
            const won = task.tasks.find((t) => t.fake.kind === result.winner)!;
            if (result.winner === 'event') won.result = result.data;
            value = won;
        }
        step = outcome.ok ? generator.next(value) : generator.throw(new Error(outcome.message));
    }
    return {
        output: roundTrip(step.value) as RotationRecord,
        actions,
        history,
        statusTexts,
        attempts,
        activities: actions.flatMap((a) => (a.kind === 'activity' ? [a.name] : [])),
        timers: actions.flatMap((a) => (a.kind === 'timer' ? [a.fireAt] : [])),
    };
}

/** Executes one scheduled activity, with Durable's retry policy when it was called with one. */
async function runActivity(
    world: World,
    action: Extract<Action, { kind: 'activity' }>,
    retry: RetryOptions | undefined,
    latency: number,
    attempts: Attempt[],
    options: DriveOptions,
): Promise<Outcome> {
    const handler = activityHandlers.get(action.name);
    if (!handler) return { ok: false, message: `The function '${action.name}' doesn't exist` };
    const max = retry ? retry.maxNumberOfAttempts : 1;
    let delay = retry?.firstRetryIntervalInMilliseconds ?? 0;
    for (let attempt = 1; ; attempt++) {
        options.beforeActivity?.(action.name, action.input, world);
        try {
            const result = roundTrip(await handler(world.deps, roundTrip(action.input), world.log));
            world.clock.advanceBy(latency);
            attempts.push({ name: action.name, at: world.clock.now().toISOString(), ok: true });
            return { ok: true, result };
        } catch (error) {
            world.clock.advanceBy(latency);
            const message = error instanceof Error ? error.message : String(error);
            attempts.push({ name: action.name, at: world.clock.now().toISOString(), ok: false, error: message });
            if (attempt >= max || !retry) {
                // What the extension hands the orchestrator once retries are exhausted.
                const reason =
                    options.failureFormat === 'rpc'
                        ? `Result: Failure\nException: ${message}\nStack: Error: ${message}\n    at handler (dist/functions/rotationActivities.js:41:23)`
                        : message;
                return { ok: false, message: `Activity function '${action.name}' failed: ${reason}` };
            }
            world.clock.advanceBy(delay);
            delay = Math.min(delay * retry.backoffCoefficient, retry.maxRetryIntervalInMilliseconds || delay);
        }
    }
}

/** Durable stores inputs and outputs as JSON: anything that does not survive that is lost in production. */
export function roundTrip(value: unknown): unknown {
    return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

function deterministicGuid(name: string): string {
    const hex = createHash('sha1').update(name).digest('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
