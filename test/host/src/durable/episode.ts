import type { RegisteredFunction } from '../core/coreShim';
import type { Invoker } from '../core/invoke';
import { stateFromOrchestratorError, type OrchestratorState } from './actions';
import { EventType, type HistoryEvent } from './history';
import type { TimerSettings } from './replay';

/** .NET TimeSpan text ("d.hh:mm:ss"), the format the extension uses for the timer settings. */
export function toTimeSpan(ms: number): string {
    const totalSeconds = Math.floor(ms / 1000);
    const days = Math.floor(totalSeconds / 86400);
    const pad = (n: number): string => String(n).padStart(2, '0');
    const rest = totalSeconds % 86400;
    return `${days}.${pad(Math.floor(rest / 3600))}:${pad(Math.floor((rest % 3600) / 60))}:${pad(rest % 60)}`;
}

/**
 * The orchestration trigger payload the Durable extension builds in
 * `OrchestrationTriggerAttributeBindingProvider.OrchestrationContextToString`. Schema: `upperSchemaVersionNew: 3`
 * selects ReplaySchema V4 in durable-functions 3.x (verified: `Orchestrator.handle`), what current extensions send.
 */
export function orchestrationPayload(
    instanceId: string,
    history: HistoryEvent[],
    episodeStart: number,
    parentInstanceId: string | undefined,
    timers: TimerSettings,
): Record<string, unknown> {
    const started = history.find((e) => e.EventType === EventType.ExecutionStarted);
    const inputText = started?.Input;
    return {
        history: history.map((e, i) => ({ ...e, IsPlayed: i < episodeStart })),
        input: inputText === null || inputText === undefined ? null : (JSON.parse(inputText) as unknown),
        instanceId,
        isReplaying: episodeStart > 0,
        parentInstanceId: parentInstanceId ?? null,
        upperSchemaVersion: 1,
        upperSchemaVersionNew: 3,
        longRunningTimerIntervalDuration: toTimeSpan(timers.longTimerIntervalMs),
        maximumShortTimerDuration: toTimeSpan(timers.maxShortTimerMs),
        defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
    };
}

/**
 * Runs one episode through the worker path. A user-code failure arrives as the SDK's `OrchestrationFailureError`
 * whose message embeds the state after `$OutOfProcData$:` (verified in 3.5.0: the prefix is the boolean
 * `orchestratorReturned`, the real message is the state's `error`).
 */
export async function runOrchestratorEpisode(
    invoker: Invoker,
    fn: RegisteredFunction,
    payload: Record<string, unknown>,
): Promise<OrchestratorState> {
    try {
        const response = await invoker.invoke(fn, { triggerData: { string: JSON.stringify(payload) } });
        const value = response.returnValue;
        const text = value?.json ?? value?.string;
        if (text === undefined) throw new Error('The orchestrator returned no state.');
        return JSON.parse(text) as OrchestratorState;
    } catch (err) {
        const state = stateFromOrchestratorError(err);
        if (state) return state;
        return {
            isDone: false,
            actions: [[]],
            error: err instanceof Error ? err.message : String(err),
            schemaVersion: 3,
        };
    }
}
