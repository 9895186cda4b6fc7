import type { FunctionRegistry } from '../core/coreShim';
import { typedDataToJsonText, type Invoker } from '../core/invoke';
import type { Chaos } from './chaos';
import { event, EventType, type HistoryEvent } from './history';

export interface ActivityWork {
    instanceId: string;
    executionId: string;
    taskId: number;
    name: string;
    /** `TaskScheduled.Input`: JSON text or null. */
    input: string | null;
}

type Deliver = (instanceId: string, executionId: string, make: (now: number) => HistoryEvent) => Promise<void>;

interface ActivityOptions {
    registry: FunctionRegistry;
    invoker: Invoker;
    chaos: Chaos;
    activityConcurrency: number;
    activityFailureDetails: boolean;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Executes activity work items with bounded concurrency. The result is recorded only after the function returns,
 * so a crash in between re-runs the activity on restart: at-least-once, as in Durable Task.
 */
export class ActivityWorker {
    private readonly queue: ActivityWork[] = [];
    private running = 0;
    private waiters: Array<() => void> = [];

    constructor(
        private readonly o: ActivityOptions,
        private readonly deliver: Deliver,
        private readonly crash: () => void,
    ) {}

    get busy(): boolean {
        return this.running > 0 || this.queue.length > 0;
    }

    drained(): Promise<void> {
        return this.busy ? new Promise((resolve) => this.waiters.push(resolve)) : Promise.resolve();
    }

    enqueue(work: ActivityWork): void {
        this.queue.push(work);
        this.pump();
    }

    private pump(): void {
        while (this.running < this.o.activityConcurrency && this.queue.length > 0) {
            const work = this.queue.shift() as ActivityWork;
            this.running++;
            void this.run(work).finally(() => {
                this.running--;
                this.pump();
                if (!this.busy) {
                    const waiters = this.waiters;
                    this.waiters = [];
                    for (const w of waiters) w();
                }
            });
        }
    }

    private async execute(work: ActivityWork): Promise<string | null> {
        const injected = this.o.chaos.takeFailure(work.name);
        if (injected !== undefined) throw new Error(injected);
        const fn = this.o.registry.get(work.name);
        if (!fn || fn.trigger.type !== 'activityTrigger') {
            throw new Error(`The function '${work.name}' doesn't exist, is disabled, or is not an activity function.`);
        }
        // The extension sends the activity input as a JSON string; the library JSON-parses it (fromRpcTypedData).
        const triggerData = work.input === null ? undefined : { string: work.input };
        // Assumption: the activity trigger's binding data exposes the orchestration instance id.
        const triggerMetadata = { instanceId: { string: work.instanceId } };
        let response = await this.o.invoker.invoke(fn, { triggerData, triggerMetadata });
        if (this.o.chaos.takeDuplicate(work.name)) {
            response = await this.o.invoker.invoke(fn, { triggerData, triggerMetadata });
        }
        return typedDataToJsonText(response.returnValue);
    }

    private async run(work: ActivityWork): Promise<void> {
        let make: (now: number) => HistoryEvent;
        try {
            const result = await this.execute(work);
            make = (now) => event(EventType.TaskCompleted, iso(now), { TaskScheduledId: work.taskId, Result: result });
        } catch (err) {
            make = (now) => this.failure(work, err, now);
        }
        if (this.o.chaos.takeCrash(work.name)) {
            this.crash();
            return;
        }
        await this.deliver(work.instanceId, work.executionId, make);
    }

    /**
     * `TaskFailed` as the extension's `TaskActivityShim` writes it: Reason "Activity function '<name>' failed: <msg>",
     * Details the serialized exception; newer extensions add FailureDetails (the SDK then raises TaskFailedError).
     */
    private failure(work: ActivityWork, err: unknown, now: number): HistoryEvent {
        const error = err instanceof Error ? err : new Error(String(err));
        const fields: Partial<HistoryEvent> = {
            TaskScheduledId: work.taskId,
            Reason: `Activity function '${work.name}' failed: ${error.message}`,
            Details: error.stack ?? error.message,
        };
        if (this.o.activityFailureDetails) {
            fields.FailureDetails = {
                ErrorType: error.name,
                ErrorMessage: error.message,
                StackTrace: error.stack,
                IsNonRetriable: false,
            };
        }
        return event(EventType.TaskFailed, iso(now), fields);
    }
}
