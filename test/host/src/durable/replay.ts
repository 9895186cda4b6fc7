import { ActionType, serializedActionInput, type SdkAction } from './actions';
import { completionTarget, event, EventType, eventTypeName, type EventTypeValue, type HistoryEvent } from './history';
import { computeNextDelayMs } from './retry';
import { DelegateTask, RetryTask, TimerChain, WhenAll, WhenAny, type HostTask } from './hostTasks';

export interface TimerSettings {
    /** `maximumShortTimerDuration`; Azure Storage uses 6 days. */
    maxShortTimerMs: number;
    /** `longRunningTimerIntervalDuration`; Azure Storage uses 3 days. */
    longTimerIntervalMs: number;
}

export interface ReplayResult {
    /** Scheduling events (TaskScheduled, TimerCreated, SubOrchestrationInstanceCreated) new in this episode. */
    newEvents: HistoryEvent[];
    canceledTimerIds: number[];
    continueAsNewInput?: string | null;
    /** Set when the action list no longer matches history (DTFx `NonDeterministicOrchestrationException`). */
    nonDeterminism?: string;
    unsupported?: string;
}

const NONDET = 'Non-Deterministic workflow detected:';
const CHANGED = 'Was a change made to the orchestrator code after this instance had already started running?';

class NonDeterminismError extends Error {}
class UnsupportedActionError extends Error {}

/**
 * The host half of out-of-proc orchestration: what the Durable extension does in
 * `OutOfProcOrchestrationShim.ReplayOOProcOrchestration` by driving a DTFx context with the SDK's cumulative action
 * list (verified: `ProcessAsyncActionsV2` awaits each action in turn). Actions are started in yield order, each after
 * the previous one completes, consuming sequence ids from one
 * counter exactly as DTFx does (retry attempts and retry timers, and each long-timer segment, take their own id). The
 * history is walked in order so ids taken "later" (after a failure, after a timer fires) land at the same point as
 * in the SDK's own replay. Ids already in history are checked against the replayed action (kind and
 * case-insensitive name); anything new becomes a scheduling event appended to this episode.
 */
export class ReplayEngine {
    private nextId = 0;
    private nowMs = 0;
    private walkIndex = 0;
    private lastEpisodeStart = 0;
    private cursor = 0;
    private readonly scheduledInHistory = new Map<number, HistoryEvent>();
    private readonly allocated = new Set<number>();
    private readonly open = new Map<number, (completion: HistoryEvent) => void>();
    private readonly eventWaiters = new Map<string, Array<() => void>>();
    private readonly eventBuffer = new Map<string, number>();
    private readonly result: ReplayResult = { newEvents: [], canceledTimerIds: [] };
    private readonly canceled: HostTask[] = [];

    constructor(
        private readonly instanceId: string,
        private readonly history: HistoryEvent[],
        private readonly actions: SdkAction[],
        private readonly timers: TimerSettings,
        private readonly episodeTime: Date,
    ) {
        for (const e of history) {
            if (
                e.EventType === EventType.TaskScheduled ||
                e.EventType === EventType.TimerCreated ||
                e.EventType === EventType.SubOrchestrationInstanceCreated
            ) {
                this.scheduledInHistory.set(e.EventId, e);
            }
        }
        this.lastEpisodeStart = history.map((e) => e.EventType).lastIndexOf(EventType.OrchestratorStarted);
    }

    run(): ReplayResult {
        try {
            for (this.walkIndex = 0; this.walkIndex < this.history.length; this.walkIndex++) {
                this.process(this.history[this.walkIndex] as HistoryEvent);
            }
            for (const [id, e] of this.scheduledInHistory) {
                if (!this.allocated.has(id)) {
                    throw new NonDeterminismError(
                        `${NONDET} A previous execution of this orchestration scheduled ${eventTypeName(e.EventType)}` +
                            `${e.Name ? ` '${e.Name}'` : ''} with sequence ID ${id}, but the current replay execution ` +
                            `hasn't (yet?) scheduled this task. ${CHANGED}`,
                    );
                }
            }
            this.result.canceledTimerIds = this.canceled.flatMap((t) => t.timerIds());
        } catch (err) {
            if (err instanceof NonDeterminismError) this.result.nonDeterminism = err.message;
            else if (err instanceof UnsupportedActionError) this.result.unsupported = err.message;
            else throw err;
        }
        return this.result;
    }

    get now(): number {
        return this.nowMs;
    }

    private process(e: HistoryEvent): void {
        switch (e.EventType) {
            case EventType.OrchestratorStarted:
                this.nowMs = Math.max(this.nowMs, Date.parse(e.Timestamp));
                return;
            case EventType.ExecutionStarted:
                this.startNextActions();
                return;
            case EventType.EventRaised:
                this.deliverEvent(e.Name ?? '');
                return;
            default: {
                const target = completionTarget(e);
                if (target === undefined) return;
                const handler = this.open.get(target);
                // DTFx ignores completions for unknown or already-completed ids (duplicate delivery).
                if (handler) {
                    this.open.delete(target);
                    handler(e);
                }
            }
        }
    }

    private startNextActions(): void {
        while (this.cursor < this.actions.length) {
            const action = this.actions[this.cursor++] as SdkAction;
            if (action.actionType === ActionType.ContinueAsNew) {
                this.result.continueAsNewInput = serializedActionInput(action);
                return;
            }
            const task = this.build(action);
            task.start();
            if (!task.done) {
                task.whenDone(() => this.startNextActions());
                return;
            }
        }
    }

    build(action: SdkAction): HostTask {
        switch (action.actionType) {
            case ActionType.CallActivity:
                return this.activity(action);
            case ActionType.CallActivityWithRetry:
                return new RetryTask(this, () => this.activity(action), action.retryOptions!, computeNextDelayMs);
            case ActionType.CallSubOrchestrator:
                return this.subOrchestration(action);
            case ActionType.CallSubOrchestratorWithRetry:
                return new RetryTask(
                    this,
                    () => this.subOrchestration(action),
                    action.retryOptions!,
                    computeNextDelayMs,
                );
            case ActionType.CreateTimer:
                return this.timer(action);
            case ActionType.WaitForExternalEvent:
                return this.waitForEvent(action.externalEventName ?? '');
            case ActionType.WhenAll:
                return new WhenAll((action.compoundActions ?? []).map((a) => this.build(a)));
            case ActionType.WhenAny:
                return new WhenAny((action.compoundActions ?? []).map((a) => this.build(a)));
            default:
                throw new UnsupportedActionError(
                    `The local host does not support action type ${action.actionType} (entities and callHttp are out of scope).`,
                );
        }
    }

    private activity(action: SdkAction): HostTask {
        return this.atomic(EventType.TaskScheduled, EventType.TaskCompleted, () => ({
            Name: action.functionName ?? '',
            Input: serializedActionInput(action),
        }));
    }

    private subOrchestration(action: SdkAction): HostTask {
        return this.atomic(
            EventType.SubOrchestrationInstanceCreated,
            EventType.SubOrchestrationInstanceCompleted,
            (id) => ({
                Name: action.functionName ?? '',
                // Assumption: an id-less sub-orchestration gets "<parent>:<seq>" (deterministic; stored in history).
                InstanceId: action.instanceId ?? `${this.instanceId}:${id.toString(16).padStart(4, '0')}`,
                Input: action.input === undefined ? null : JSON.stringify(action.input),
            }),
        );
    }

    timerAt(fireAtMs: number): HostTask {
        return this.atomic(EventType.TimerCreated, EventType.TimerFired, () => ({
            FireAt: new Date(fireAtMs).toISOString(),
        }));
    }

    private timer(action: SdkAction): HostTask {
        const fireAtMs = Date.parse(action.fireAt ?? '');
        const chain =
            fireAtMs - this.nowMs > this.timers.maxShortTimerMs
                ? new TimerChain(this, fireAtMs, this.timers)
                : this.timerAt(fireAtMs);
        if (action.isCanceled) this.canceled.push(chain);
        return chain;
    }

    private waitForEvent(name: string): HostTask {
        return new DelegateTask((complete) => {
            this.awaitEvent(name, () => complete(true));
            return undefined;
        });
    }

    private awaitEvent(name: string, onRaised: () => void): void {
        const buffered = this.eventBuffer.get(name) ?? 0;
        if (buffered > 0) {
            this.eventBuffer.set(name, buffered - 1);
            onRaised();
            return;
        }
        const waiters = this.eventWaiters.get(name) ?? [];
        waiters.push(onRaised);
        this.eventWaiters.set(name, waiters);
    }

    private deliverEvent(name: string): void {
        const waiter = this.eventWaiters.get(name)?.shift();
        if (waiter) waiter();
        else this.eventBuffer.set(name, (this.eventBuffer.get(name) ?? 0) + 1);
    }

    /** A task that takes the next sequence id for a scheduling event when started. */
    private atomic(
        scheduledType: EventTypeValue,
        successType: EventTypeValue,
        fields: (id: number) => Partial<HistoryEvent>,
    ): HostTask {
        return new DelegateTask(
            (complete) => this.schedule(scheduledType, successType, fields, complete),
            scheduledType === EventType.TimerCreated,
        );
    }

    private schedule(
        scheduledType: EventTypeValue,
        successType: EventTypeValue,
        fields: (id: number) => Partial<HistoryEvent>,
        complete: (ok: boolean) => void,
    ): number {
        const id = this.nextId++;
        this.allocated.add(id);
        const wanted = fields(id);
        const existing = this.scheduledInHistory.get(id);
        if (existing) {
            this.verify(id, existing, scheduledType, wanted.Name);
        } else if (this.walkIndex < this.lastEpisodeStart) {
            throw new NonDeterminismError(
                `${NONDET} the replay scheduled ${eventTypeName(scheduledType)}${wanted.Name ? ` '${wanted.Name}'` : ''} ` +
                    `with sequence ID ${id} at a point where the history records none. ${CHANGED}`,
            );
        } else {
            this.result.newEvents.push(event(scheduledType, this.episodeTime, { ...wanted, EventId: id }));
        }
        this.open.set(id, (completion) => complete(completion.EventType === successType));
        return id;
    }

    private verify(id: number, existing: HistoryEvent, type: EventTypeValue, name: string | undefined): void {
        const sameName = (existing.Name ?? '').toLowerCase() === (name ?? '').toLowerCase();
        if (existing.EventType !== type || !sameName) {
            throw new NonDeterminismError(
                `${NONDET} the replayed orchestrator scheduled ${eventTypeName(type)}${name ? ` '${name}'` : ''} with ` +
                    `sequence ID ${id}, but the history has ${eventTypeName(existing.EventType)}` +
                    `${existing.Name ? ` '${existing.Name}'` : ''} for that ID. ${CHANGED}`,
            );
        }
    }
}

export function replayActions(
    instanceId: string,
    history: HistoryEvent[],
    actions: SdkAction[],
    timers: TimerSettings,
    episodeTime: Date,
): ReplayResult {
    return new ReplayEngine(instanceId, history, actions, timers, episodeTime).run();
}
