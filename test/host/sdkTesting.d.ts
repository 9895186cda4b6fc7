/**
 * durable-functions 3.x ships its single-episode testing helpers in `lib/src/util/testingUtils.js` without typings
 * and without a package `exports` map, so a deep require works; these declarations cover what the tests use.
 */
declare module 'durable-functions/lib/src/util/testingUtils' {
    import type { InvocationContext } from '@azure/functions';

    export class DurableOrchestrationInput {
        constructor(
            instanceId?: string,
            history?: unknown[],
            input?: unknown,
            longRunningTimerIntervalDuration?: string,
            maximumShortTimerDuration?: string,
            defaultHttpAsyncRequestSleepTimeMillseconds?: number,
            schemaVersion?: number,
            isReplaying?: boolean,
            parentInstanceId?: string,
        );
    }

    export function createOrchestrator(
        fn: (context: never) => Generator<unknown, unknown, unknown>,
    ): (input: DurableOrchestrationInput, context: InvocationContext) => Promise<unknown>;
}
