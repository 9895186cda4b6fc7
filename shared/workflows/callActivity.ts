import * as df from 'durable-functions';
import { type OrchestrationContext, type Task } from 'durable-functions';

import { addHours, addSeconds, isBefore } from '../domain/time';
import { ErrorCodes } from '../errors/errorCodes';
import { RotatorError } from '../errors/RotatorError';
import { type Priority } from '../pacing/quotaBudget';
import { isThrottledResult } from '../pacing/throttled';

/**
 * Upstream calls (Graph, Key Vault, Event Grid) fail transiently; activities throw on those and Durable retries
 * them with backoff. Business outcomes are returned as values, so they are never retried. Throttling is neither:
 * activities return it as a value (see `ThrottledResult`) and `callActivity` waits it out on durable timers, so
 * it never uses up these attempts.
 */
export const upstreamRetry: df.RetryOptions = (() => {
    const retry = new df.RetryOptions(5_000, 4);
    retry.backoffCoefficient = 2;
    retry.maxRetryIntervalInMilliseconds = 60_000;
    return retry;
})();

/**
 * How long one step keeps waiting for quota before it gives up as `throttled`. A day of waiting means the
 * tenant's quota is taken by something else entirely; a human should look. Fixed in code: replay must see the
 * same number.
 */
export const THROTTLE_WAIT_HOURS = 24;

/** The field activity inputs carry for the quota budgets; validation strips it before the use-case runs. */
export const PACING_FIELD = 'pacing';

export interface CallOptions {
    /** Stop waiting for quota at this time (default: THROTTLE_WAIT_HOURS after the first throttled answer). */
    readonly throttleDeadline?: Date;
    /** Called (deterministically, during replay too) before each wait for quota, e.g. to publish "waiting". */
    readonly onThrottled?: (until: Date) => void;
}

/** Schedules an activity and returns its typed result: `const r = yield* callActivity<R>(ctx, name, input)`. */
export function* callActivity<TOutput>(
    context: OrchestrationContext,
    name: string,
    input: unknown,
    retry: df.RetryOptions | undefined = upstreamRetry,
    options: CallOptions = {},
): Generator<Task, TOutput, unknown> {
    const payload = withPacing(context, name, input);
    let deadline = options.throttleDeadline;
    for (let attempt = 1; ; attempt++) {
        const task = retry
            ? context.df.callActivityWithRetry(name, retry, payload)
            : context.df.callActivity(name, payload);
        const result: unknown = yield task;
        if (!isThrottledResult(result)) return result as TOutput;
        const now = context.df.currentUtcDateTime;
        deadline ??= addHours(now, THROTTLE_WAIT_HOURS);
        if (!isBefore(now, deadline)) {
            throw new RotatorError(
                'upstream',
                ErrorCodes.throttled,
                `${name} was still throttled after waiting until ${deadline.toISOString()} (${attempt} attempts): ${result.throttled.detail}`,
                { retryable: true },
            );
        }
        const wakeAt = addSeconds(now, Math.max(1, result.throttled.retryAfterSeconds));
        const until = isBefore(wakeAt, deadline) ? wakeAt : deadline;
        options.onThrottled?.(until);
        yield context.df.createTimer(until);
    }
}

export function* sleepUntil(context: OrchestrationContext, fireAt: Date): Generator<Task, void, unknown> {
    yield context.df.createTimer(fireAt);
}

/**
 * Emergency rotations (started by an operator, or a batch marked emergency) go ahead of routine work in the
 * quota budgets and ask Graph for high priority.
 */
export function priorityOf(orchestrationInput: unknown): Priority {
    const input = (orchestrationInput ?? {}) as { priority?: unknown; trigger?: unknown };
    if (input.priority === 'high' || input.priority === 'normal') return input.priority;
    return input.trigger === 'api' ? 'high' : 'normal';
}

/** Tags the input with the step's identity (its reservation key) and priority. */
function withPacing(context: OrchestrationContext, name: string, input: unknown): unknown {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
    return {
        ...input,
        [PACING_FIELD]: { key: `${context.df.instanceId}|${name}`, priority: priorityOf(context.df.getInput()) },
    };
}
