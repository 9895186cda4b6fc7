import * as df from 'durable-functions';
import { type OrchestrationContext, type Task } from 'durable-functions';

/**
 * Upstream calls (Graph, Key Vault, Event Grid) fail transiently; activities throw on those and Durable retries
 * them with backoff. Business outcomes are returned as values, so they are never retried.
 */
export const upstreamRetry: df.RetryOptions = (() => {
    const retry = new df.RetryOptions(5_000, 4);
    retry.backoffCoefficient = 2;
    retry.maxRetryIntervalInMilliseconds = 60_000;
    return retry;
})();

/** Schedules an activity and returns its typed result: `const r = yield* callActivity<R>(ctx, name, input)`. */
export function* callActivity<TOutput>(
    context: OrchestrationContext,
    name: string,
    input: unknown,
    retry: df.RetryOptions | undefined = upstreamRetry,
): Generator<Task, TOutput, unknown> {
    const task = retry ? context.df.callActivityWithRetry(name, retry, input) : context.df.callActivity(name, input);
    return (yield task) as TOutput;
}

export function* sleepUntil(context: OrchestrationContext, fireAt: Date): Generator<Task, void, unknown> {
    yield context.df.createTimer(fireAt);
}
