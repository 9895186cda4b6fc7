/**
 * Durable Task history events in the wire shape the Durable extension sends to out-of-process SDKs: PascalCase
 * Newtonsoft serialization of DTFx `HistoryEvent`s, `EventType` as an integer. Numbering verified against
 * durable-functions 3.5.0 `lib/src/history/HistoryEventType.js`; field names against `lib/src/history/*Event.js`
 * and the executor's reads in `orchestrations/TaskOrchestrationExecutor.js`.
 */
export const EventType = {
    ExecutionStarted: 0,
    ExecutionCompleted: 1,
    ExecutionFailed: 2,
    ExecutionTerminated: 3,
    TaskScheduled: 4,
    TaskCompleted: 5,
    TaskFailed: 6,
    SubOrchestrationInstanceCreated: 7,
    SubOrchestrationInstanceCompleted: 8,
    SubOrchestrationInstanceFailed: 9,
    TimerCreated: 10,
    TimerFired: 11,
    OrchestratorStarted: 12,
    OrchestratorCompleted: 13,
    EventSent: 14,
    EventRaised: 15,
    ContinueAsNew: 16,
    GenericEvent: 17,
    HistoryState: 18,
    ExecutionSuspended: 19,
    ExecutionResumed: 20,
} as const;

export type EventTypeValue = (typeof EventType)[keyof typeof EventType];

export const eventTypeName = (type: number): string =>
    Object.entries(EventType).find(([, v]) => v === type)?.[0] ?? `Unknown(${type})`;

export interface FailureDetails {
    ErrorType: string;
    ErrorMessage: string;
    StackTrace?: string;
    IsNonRetriable?: boolean;
}

export interface HistoryEvent {
    EventType: EventTypeValue;
    /** Sequence id for scheduling events (TaskScheduled, TimerCreated, SubOrchestrationInstanceCreated), else -1. */
    EventId: number;
    IsPlayed: boolean;
    Timestamp: string;
    Name?: string;
    Version?: string;
    Input?: string | null;
    Result?: string | null;
    TaskScheduledId?: number;
    TimerId?: number;
    FireAt?: string;
    Reason?: string;
    Details?: string;
    FailureDetails?: FailureDetails;
    InstanceId?: string;
    ParentInstance?: { Name: string; OrchestrationInstance: { InstanceId: string }; TaskScheduleId: number } | null;
    OrchestrationStatus?: string;
}

export function event(type: EventTypeValue, at: Date | string, fields: Partial<HistoryEvent> = {}): HistoryEvent {
    return {
        EventType: type,
        EventId: -1,
        IsPlayed: false,
        Timestamp: typeof at === 'string' ? at : at.toISOString(),
        ...fields,
    };
}

/** Scheduling events carry the sequence id the host assigned; completions point back at it. */
export const isSchedulingEvent = (e: HistoryEvent): boolean =>
    e.EventType === EventType.TaskScheduled ||
    e.EventType === EventType.TimerCreated ||
    e.EventType === EventType.SubOrchestrationInstanceCreated ||
    e.EventType === EventType.EventSent;

/** Id of the scheduling event a completion answers, or undefined. */
export function completionTarget(e: HistoryEvent): number | undefined {
    switch (e.EventType) {
        case EventType.TaskCompleted:
        case EventType.TaskFailed:
        case EventType.SubOrchestrationInstanceCompleted:
        case EventType.SubOrchestrationInstanceFailed:
            return e.TaskScheduledId;
        case EventType.TimerFired:
            return e.TimerId;
        default:
            return undefined;
    }
}
