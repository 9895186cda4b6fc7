/**
 * Actions returned by the durable-functions orchestrator handler (`OrchestratorState.actions`), serialized with the
 * SDK's JS property names. Numbering verified against durable-functions 3.5.0 `lib/src/actions/ActionType.js`.
 */
export const ActionType = {
    CallActivity: 0,
    CallActivityWithRetry: 1,
    CallSubOrchestrator: 2,
    CallSubOrchestratorWithRetry: 3,
    ContinueAsNew: 4,
    CreateTimer: 5,
    WaitForExternalEvent: 6,
    CallEntity: 7,
    CallHttp: 8,
    SignalEntity: 9,
    WhenAny: 11,
    WhenAll: 12,
    LockEntities: 13,
    ReleaseEntities: 14,
} as const;

export interface WireRetryOptions {
    firstRetryIntervalInMilliseconds: number;
    maxNumberOfAttempts: number;
    backoffCoefficient?: number;
    maxRetryIntervalInMilliseconds?: number;
    retryTimeoutInMilliseconds?: number;
}

export interface SdkAction {
    actionType: number;
    functionName?: string;
    input?: unknown;
    instanceId?: string;
    version?: string;
    retryOptions?: WireRetryOptions;
    fireAt?: string;
    isCanceled?: boolean;
    externalEventName?: string;
    compoundActions?: SdkAction[];
}

export interface OrchestratorState {
    isDone: boolean;
    actions: SdkAction[][];
    output?: unknown;
    error?: string;
    customStatus?: unknown;
    schemaVersion: number;
}

/**
 * `Utils.processInput` JSON-stringifies *string* inputs of callActivity(WithRetry) and continueAsNew, so a string
 * there is already JSON text; anything else is a value to serialize (protocol doc §1.4 "input quirk").
 */
export function serializedActionInput(action: SdkAction): string | null {
    const preSerialized =
        action.actionType === ActionType.CallActivity ||
        action.actionType === ActionType.CallActivityWithRetry ||
        action.actionType === ActionType.ContinueAsNew;
    if (action.input === undefined) return null;
    if (preSerialized && typeof action.input === 'string') return action.input;
    return JSON.stringify(action.input);
}

export const OUT_OF_PROC_MARKER = '\n\n$OutOfProcData$:';

/** The SDK throws `OrchestrationFailureError` whose message embeds the state; split exactly as upstream tests do. */
export function stateFromOrchestratorError(err: unknown): OrchestratorState | undefined {
    const message = err instanceof Error ? err.message : String(err);
    const at = message.indexOf(OUT_OF_PROC_MARKER);
    if (at < 0) return undefined;
    return JSON.parse(message.slice(at + OUT_OF_PROC_MARKER.length)) as OrchestratorState;
}
