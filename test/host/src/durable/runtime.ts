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

export class HttpError extends Error {
    constructor(
        readonly status: number,
        message: string,
    ) {
        super(message);
    }
}

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

const iso = (ms: number): string => new Date(ms).toISOString();

/** Validation from the extension's instance-id rules (length, reserved characters, '@' for entities). */
function validateInstanceId(id: string): void {
    // eslint-disable-next-line no-control-regex
    if (id.length === 0 || id.length > 256 || /[/\\?#\u0000-\u001f\u007f]/.test(id) || id.startsWith('@')) {
        throw new HttpError(400, `Invalid instance id "${id}".`);
    }
}

/**
 * Orchestration lifecycle: one episode at a time per instance (a promise chain per id), every state change
 * checkpointed to the store before any work it implies is dispatched, and everything needed to resume (open
 * activities, timers, sub-orchestrations, unprocessed messages) derivable from the stored records.
 */
export class DurableRuntime {
    private readonly locks = new Map<string, Promise<void>>();
    private readonly kicked = new Set<string>();
    private readonly inflight = new Set<Promise<unknown>>();
    private readonly activities: ActivityWorker;
    stopped = false;

    constructor(private readonly o: DurableRuntimeOptions) {
        this.activities = new ActivityWorker(
            o,
            (id, exec, make) => this.deliver(id, exec, make),
            () => this.crash(),
        );
    }

    get store(): InstanceStore {
        return this.o.store;
    }

    // ---- client operations -------------------------------------------------------------------------------------

    async startNew(
        name: string,
        instanceId: string | undefined,
        inputText: string | null,
        parent?: InstanceRecord['parent'],
        version = '',
    ): Promise<InstanceRecord> {
        const fn = this.o.registry.get(name);
        if (!fn || fn.trigger.type !== 'orchestrationTrigger') {
            throw new HttpError(
                400,
                `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`,
            );
        }
        const id = instanceId ?? randomUUID().replace(/-/g, '');
        validateInstanceId(id);
        return this.withLock(id, async () => {
            const existing = this.o.store.get(id);
            if (existing && !TERMINAL.has(existing.runtimeStatus)) {
                throw new HttpError(
                    409,
                    `An Orchestration instance with the status ${existing.runtimeStatus} already exists.`,
                );
            }
            const now = await this.o.clock.now();
            const record: InstanceRecord = {
                instanceId: id,
                name: fn.name,
                executionId: randomUUID().replace(/-/g, ''),
                runtimeStatus: 'Pending',
                input: inputText,
                output: null,
                customStatus: null,
                createdTime: iso(now),
                lastUpdatedTime: iso(now),
                history: [],
                inbox: [
                    event(EventType.ExecutionStarted, iso(now), { Name: fn.name, Input: inputText, Version: version }),
                ],
                canceledTimerIds: [],
                parent,
            };
            this.o.store.save(record);
            this.kick(id);
            return record;
        });
    }

    /** 404 for unknown instances, 410 once finished (Azure Storage checks status before raising). */
    assertAcceptsEvents(id: string): InstanceRecord {
        const record = this.existing(id);
        if (TERMINAL.has(record.runtimeStatus)) throw new HttpError(410, `Instance ${id} is ${record.runtimeStatus}.`);
        return record;
    }

    async raiseEvent(id: string, name: string, dataText: string | null): Promise<void> {
        const record = this.assertAcceptsEvents(id);
        await this.deliver(id, record.executionId, (now) =>
            event(EventType.EventRaised, iso(now), { Name: name, Input: dataText }),
        );
    }

    async terminate(id: string, reason: string): Promise<void> {
        await this.transition(id, (record, now) => {
            record.history.push(event(EventType.ExecutionTerminated, iso(now), { Input: JSON.stringify(reason) }));
            this.finish(record, 'Terminated', JSON.stringify(reason), now);
        });
    }

    async suspend(id: string, reason: string): Promise<void> {
        await this.transition(id, (record, now) => {
            if (record.runtimeStatus === 'Suspended') return;
            record.history.push(event(EventType.ExecutionSuspended, iso(now), { Input: reason }));
            this.update(record, 'Suspended', now);
        });
    }

    async resume(id: string, reason: string): Promise<void> {
        await this.transition(id, (record, now) => {
            if (record.runtimeStatus !== 'Suspended') return;
            record.history.push(event(EventType.ExecutionResumed, iso(now), { Input: reason }));
            this.update(record, 'Running', now);
            this.kick(id);
        });
    }

    /** Starts the same orchestrator with the same input, under a new id or (once finished) the same id. */
    async restart(id: string, newInstanceId: boolean): Promise<InstanceRecord> {
        const record = this.o.store.get(id);
        if (!record) throw new HttpError(400, 'InstanceId does not match a valid orchestration instance.');
        const started = record.history.find((e) => e.EventType === EventType.ExecutionStarted);
        const input = started?.Input ?? record.input;
        try {
            return await this.startNew(record.name, newInstanceId ? undefined : id, input ?? null);
        } catch (err) {
            if (err instanceof HttpError && err.status === 409) {
                throw new HttpError(409, 'A non-terminal instance with this instance ID already exists.');
            }
            throw err;
        }
    }

    purge(id: string): number {
        const record = this.existing(id);
        if (!TERMINAL.has(record.runtimeStatus)) throw new HttpError(412, `Instance ${id} is not in a terminal state.`);
        return this.o.store.delete(id) ? 1 : 0;
    }

    private existing(id: string): InstanceRecord {
        const record = this.o.store.get(id);
        if (!record) throw new HttpError(404, `No instance with ID '${id}' found.`);
        return record;
    }

    private async transition(
        id: string,
        change: (r: InstanceRecord, now: number) => void | Promise<void>,
    ): Promise<void> {
        this.existing(id);
        await this.withLock(id, async () => {
            const record = this.existing(id);
            if (TERMINAL.has(record.runtimeStatus))
                throw new HttpError(410, `Instance ${id} is ${record.runtimeStatus}.`);
            await change(record, await this.o.clock.now());
        });
    }

    // ---- execution -------------------------------------------------------------------------------------------

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

    private kick(id: string): void {
        if (this.kicked.has(id) || this.stopped) return;
        this.kicked.add(id);
        this.track(
            this.withLock(id, async () => {
                this.kicked.delete(id);
                await this.episode(id);
            }),
        );
    }

    private async episode(id: string): Promise<void> {
        const record = this.o.store.get(id);
        if (this.stopped || !record || TERMINAL.has(record.runtimeStatus) || record.runtimeStatus === 'Suspended')
            return;
        if (record.inbox.length === 0) return;
        const fn = this.o.registry.get(record.name);
        const now = await this.o.clock.now();
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
            // Messages that arrived meanwhile carry over to the new execution (DTFx BehaviorOnContinueAsNew.Carryover).
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

    private update(record: InstanceRecord, status: RuntimeStatus, now: number): void {
        record.runtimeStatus = status;
        record.lastUpdatedTime = iso(now);
        this.o.store.save(record);
    }

    private finish(record: InstanceRecord, status: RuntimeStatus, outputText: string, now: number): void {
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
    private async deliver(id: string, executionId: string, make: (now: number) => HistoryEvent): Promise<void> {
        await this.withLock(id, async () => {
            const record = this.o.store.get(id);
            if (this.stopped || !record || record.executionId !== executionId || TERMINAL.has(record.runtimeStatus))
                return;
            record.inbox.push(make(await this.o.clock.now()));
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

    private withLock<T>(id: string, work: () => Promise<T>): Promise<T> {
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
