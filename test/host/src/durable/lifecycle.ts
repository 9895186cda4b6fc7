import { randomUUID } from 'node:crypto';
import type { ClockSource } from '../clock/clock';
import type { Scheduler } from '../clock/scheduler';
import type { FunctionRegistry } from '../core/coreShim';
import type { Invoker } from '../core/invoke';
import { ActivityWorker } from './activities';
import type { Chaos } from './chaos';
import { orchestrationPayload, runOrchestratorEpisode } from './episode';
import { completionTarget, event, EventType, type HistoryEvent } from './history';
import { replayActions, type TimerSettings } from './replay';
import { TERMINAL, type InstanceRecord, type InstanceStore, type RuntimeStatus } from './store';

export interface DurableRuntimeOptions {
    store: InstanceStore;
    clock: ClockSource;
    scheduler: Scheduler;
    invoker: Invoker;
    registry: FunctionRegistry;
    chaos: Chaos;
    timers: TimerSettings;
    activityConcurrency: number;
    /** Also fill `TaskFailed.FailureDetails` (newer extensions do); off = classic Reason/Details only. */
    activityFailureDetails: boolean;
    /** Called when a chaos switch simulates a process crash. */
    onCrash: () => void;
    log: (message: string) => void;
}

export const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Orchestration execution: one episode at a time per instance (a promise chain per id), every state change
 * checkpointed to the store before any work it implies is dispatched, and everything needed to resume (open
 * activities, timers, sub-orchestrations, unprocessed messages) derivable from the stored records. Client
 * operations live in the subclass (`DurableRuntime`).
 */
export abstract class InstanceLifecycle {
    private readonly locks = new Map<string, Promise<void>>();
    private readonly kicked = new Set<string>();
    private readonly inflight = new Set<Promise<unknown>>();
    private readonly activities: ActivityWorker;
    stopped = false;

    constructor(protected readonly o: DurableRuntimeOptions) {
        this.activities = new ActivityWorker(
            o,
            (id, exec, make) => this.deliver(id, exec, make),
            () => this.crash(),
        );
    }

    get store(): InstanceStore {
        return this.o.store;
    }

    /**
     * The clock's time, waiting out a clock source that is briefly unreachable (the emulator restarting): losing
     * an activity result or a timer because the time could not be read would strand the instance.
     */
    protected async now(): Promise<number> {
        for (let attempt = 1; ; attempt++) {
            try {
                return await this.o.clock.now();
            } catch (err) {
                if (this.stopped || attempt >= 150) throw err;
                if (attempt === 1) this.o.log(`clock source unavailable, retrying: ${String(err)}`);
                await new Promise((resolve) => setTimeout(resolve, 200));
            }
        }
    }

    /** Creates an instance (the client operation; sub-orchestrations start through it too). */
    abstract startNew(
        name: string,
        instanceId: string | undefined,
        inputText: string | null,
        parent?: InstanceRecord['parent'],
    ): Promise<InstanceRecord>;

    /** Resume everything in flight after a restart: the stored records say what is still owed. */
    recover(): void {
        for (const record of this.o.store.all()) {
            if (TERMINAL.has(record.runtimeStatus)) continue;
            const answered = new Set(
                [...record.history, ...record.inbox].map(completionTarget).filter((t) => t !== undefined),
            );
            this.dispatch(
                record,
                record.history.filter((e) => e.EventId >= 0 && !answered.has(e.EventId)),
            );
            if (record.inbox.length > 0) this.kick(record.instanceId);
        }
    }

    protected kick(id: string): void {
        if (this.kicked.has(id) || this.stopped) return;
        this.kicked.add(id);
        this.track(
            this.withLock(id, async () => {
                this.kicked.delete(id);
                try {
                    await this.episode(id);
                } catch (err) {
                    // The messages stay in the inbox; try the episode again rather than strand the instance.
                    this.o.log(`episode for ${id} failed, retrying: ${String(err)}`);
                    setTimeout(() => this.kick(id), 1000).unref();
                }
            }),
        );
    }

    private async episode(id: string): Promise<void> {
        const record = this.o.store.get(id);
        if (this.stopped || !record || TERMINAL.has(record.runtimeStatus) || record.runtimeStatus === 'Suspended')
            return;
        if (record.inbox.length === 0) return;
        const fn = this.o.registry.get(record.name);
        const now = await this.now();
        if (!fn) {
            this.finish(record, 'Failed', JSON.stringify(`The function '${record.name}' doesn't exist.`), now);
            return;
        }
        const consumed = record.inbox.length;
        const episodeStart = record.history.length;
        const history = [...record.history, event(EventType.OrchestratorStarted, iso(now)), ...record.inbox];
        const payload = orchestrationPayload(id, history, episodeStart, record.parent?.instanceId, this.o.timers);
        const state = await runOrchestratorEpisode(this.o.invoker, fn, payload);
        if (this.stopped) return;
        const replay = replayActions(id, history, state.actions.flat(), this.o.timers, new Date(now));
        record.inbox = record.inbox.slice(consumed);
        record.customStatus = state.customStatus === undefined ? null : JSON.stringify(state.customStatus);
        const failure =
            customStatusTooLarge(record.customStatus) ??
            replay.nonDeterminism ??
            replay.unsupported ??
            (state.error !== undefined ? `Orchestrator function '${record.name}' failed: ${state.error}` : undefined);
        if (failure !== undefined) {
            this.o.log(`${record.name} (${id}) failed: ${failure}`);
            record.history = [...history, event(EventType.OrchestratorCompleted, iso(now))];
            this.finish(record, 'Failed', JSON.stringify(failure), now);
        } else if (state.isDone && replay.continueAsNewInput !== undefined) {
            record.executionId = randomUUID().replace(/-/g, '');
            record.input = replay.continueAsNewInput;
            record.history = [];
            record.canceledTimerIds = [];
            // The shim calls ContinueAsNew(input) with preserveUnprocessedEvents = false (verified): events already in
            // history but never awaited are dropped; messages not yet delivered go to the new execution (assumed).
            record.inbox = [
                event(EventType.ExecutionStarted, iso(now), { Name: record.name, Input: record.input, Version: '' }),
                ...record.inbox.filter((e) => e.EventType === EventType.EventRaised),
            ];
            this.update(record, 'Running', now);
            this.kick(id);
        } else if (state.isDone) {
            record.history = [...history, ...replay.newEvents, event(EventType.OrchestratorCompleted, iso(now))];
            this.finish(record, 'Completed', JSON.stringify(state.output ?? null), now);
        } else {
            record.history = [...history, ...replay.newEvents, event(EventType.OrchestratorCompleted, iso(now))];
            record.canceledTimerIds = [...new Set([...record.canceledTimerIds, ...replay.canceledTimerIds])];
            this.update(record, 'Running', now);
            this.dispatch(record, replay.newEvents);
            if (record.inbox.length > 0) this.kick(id);
        }
    }

    protected update(record: InstanceRecord, status: RuntimeStatus, now: number): void {
        record.runtimeStatus = status;
        record.lastUpdatedTime = iso(now);
        this.o.store.save(record);
    }

    protected finish(record: InstanceRecord, status: RuntimeStatus, outputText: string, now: number): void {
        record.output = outputText;
        record.inbox = [];
        if (status === 'Completed' || status === 'Failed') {
            record.history.push(
                event(EventType.ExecutionCompleted, iso(now), { OrchestrationStatus: status, Result: outputText }),
            );
        }
        this.update(record, status, now);
        this.notifyParent(record);
    }

    /** Sends a finished sub-orchestration's result to its parent (outside this instance's lock). */
    private notifyParent(record: InstanceRecord): void {
        const parent = record.parent;
        const status = record.runtimeStatus;
        const outputText = record.output ?? 'null';
        if (!parent) return;
        const result =
            status === 'Completed'
                ? { EventType: EventType.SubOrchestrationInstanceCompleted, Result: outputText }
                : {
                      EventType: EventType.SubOrchestrationInstanceFailed,
                      Reason: `Sub-orchestration '${record.name}' ${status.toLowerCase()}: ${String(JSON.parse(outputText))}`,
                      Details: outputText,
                  };
        this.track(
            this.deliver(parent.instanceId, parent.executionId, (at) =>
                event(result.EventType, iso(at), { ...result, TaskScheduledId: parent.taskScheduledId }),
            ),
        );
    }

    /** Sends the work implied by scheduling events: activities, timers, sub-orchestrations. */
    private dispatch(record: InstanceRecord, scheduled: HistoryEvent[]): void {
        const { instanceId, executionId } = record;
        for (const e of scheduled) {
            if (e.EventType === EventType.TaskScheduled) {
                this.activities.enqueue({
                    instanceId,
                    executionId,
                    taskId: e.EventId,
                    name: e.Name ?? '',
                    input: e.Input ?? null,
                });
            } else if (e.EventType === EventType.TimerCreated && !record.canceledTimerIds.includes(e.EventId)) {
                this.o.scheduler.at(Date.parse(e.FireAt ?? ''), () => {
                    this.track(
                        this.deliver(instanceId, executionId, (now) =>
                            event(EventType.TimerFired, iso(now), { TimerId: e.EventId, FireAt: e.FireAt }),
                        ),
                    );
                });
            } else if (e.EventType === EventType.SubOrchestrationInstanceCreated) {
                this.track(this.startChild(record, e));
            }
        }
    }

    private async startChild(parent: InstanceRecord, created: HistoryEvent): Promise<void> {
        const childId = created.InstanceId ?? '';
        const existing = this.o.store.get(childId);
        if (
            existing?.parent?.executionId === parent.executionId &&
            existing.parent.taskScheduledId === created.EventId
        ) {
            // Already started before a restart; if it already finished, its result may not have reached us.
            if (TERMINAL.has(existing.runtimeStatus)) this.notifyParent(existing);
            return;
        }
        try {
            await this.startNew(created.Name ?? '', childId, created.Input ?? null, {
                instanceId: parent.instanceId,
                executionId: parent.executionId,
                taskScheduledId: created.EventId,
            });
        } catch (err) {
            const message = err instanceof Error ? err.message : String(err);
            await this.deliver(parent.instanceId, parent.executionId, (now) =>
                event(EventType.SubOrchestrationInstanceFailed, iso(now), {
                    TaskScheduledId: created.EventId,
                    Reason: message,
                    Details: message,
                }),
            );
        }
    }

    /** Appends a message to an instance's inbox (if that execution is still current) and schedules an episode. */
    protected async deliver(id: string, executionId: string, make: (now: number) => HistoryEvent): Promise<void> {
        await this.withLock(id, async () => {
            const record = this.o.store.get(id);
            if (this.stopped || !record || record.executionId !== executionId || TERMINAL.has(record.runtimeStatus))
                return;
            record.inbox.push(make(await this.now()));
            this.o.store.save(record);
            this.kick(id);
        });
    }

    private crash(): void {
        this.stopped = true;
        this.o.store.frozen = true;
        this.o.scheduler.close();
        this.o.onCrash();
    }

    protected withLock<T>(id: string, work: () => Promise<T>): Promise<T> {
        const previous = this.locks.get(id) ?? Promise.resolve();
        const run = previous.then(work);
        const settled = run.then(
            () => undefined,
            () => undefined,
        );
        this.locks.set(id, settled);
        void settled.then(() => {
            if (this.locks.get(id) === settled) this.locks.delete(id);
        });
        return run;
    }

    private track(work: Promise<unknown>): void {
        const guarded = work.catch((err: unknown) => this.o.log(`background work failed: ${String(err)}`));
        this.inflight.add(guarded);
        void guarded.finally(() => this.inflight.delete(guarded));
    }

    /** Resolves once no episode, delivery or activity is in flight (timers may still be pending). */
    async idle(): Promise<void> {
        while (this.inflight.size > 0 || this.activities.busy) {
            await Promise.all([...this.inflight, this.activities.drained()]);
        }
    }

    close(): void {
        this.stopped = true;
    }
}

/** The extension's custom status limit (`SetCustomStatus`: MaxCustomStatusPayloadSizeInKB = 16). */
const MAX_CUSTOM_STATUS_KB = 16;

/**
 * The shim calls `SetCustomStatus` before it replays the episode's actions; the extension serializes the status with
 * a 16 KB limit on its UTF-16 size (`MessagePayloadDataConverter.Serialize(value, maxSizeInKB)`: whole KB, truncated,
 * must not be greater than 16) and throws an ArgumentException, which fails the orchestration. Null is never set.
 */
export function customStatusTooLarge(json: string | null): string | undefined {
    if (json === null || json === 'null') return undefined;
    const kb = Math.trunc((json.length * 2) / 1024);
    if (kb <= MAX_CUSTOM_STATUS_KB) return undefined;
    return `The UTF-16 size of the JSON-serialized payload must not exceed ${MAX_CUSTOM_STATUS_KB} KB. The current payload size is ${kb} KB.`;
}
