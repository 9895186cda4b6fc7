import { randomUUID } from 'node:crypto';
import { event, EventType } from './history';
import { iso, InstanceLifecycle } from './lifecycle';
import { TERMINAL, type InstanceRecord } from './store';

export { type DurableRuntimeOptions } from './lifecycle';

export class HttpError extends Error {
    constructor(
        readonly status: number,
        message: string,
        /** The response body when the extension sends more than `{ message }` (its ASP.NET error responses). */
        readonly body?: unknown,
    ) {
        super(message);
    }
}

/**
 * What the extension's HTTP API answers when a start hits an instance that is still active: its
 * `HandleStartOrchestratorRequestAsync` does not catch the provider's "already exists" exception, so the handler's
 * generic `catch (Exception)` turns it into 500 with ASP.NET's error body (HttpApiHandler.cs; the body as captured
 * in Azure/azure-sdk-for-python#28602). There is no 409 on this path.
 */
export function alreadyExists(status: string): HttpError {
    const exceptionMessage = `An Orchestration instance with the status ${status} already exists.`;
    return new HttpError(500, exceptionMessage, {
        Message: 'Something went wrong while processing your request',
        ExceptionMessage: exceptionMessage,
        ExceptionType: 'DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException',
        StackTrace: null,
    });
}

/** Validation from the extension's instance-id rules (length, reserved characters, '@' for entities). */
function validateInstanceId(id: string): void {
    // eslint-disable-next-line no-control-regex
    if (id.length === 0 || id.length > 256 || /[/\\?#\u0000-\u001f\u007f]/.test(id) || id.startsWith('@')) {
        throw new HttpError(400, `Invalid instance id "${id}".`);
    }
}

/** The durable client operations (what the management API exposes) over the instance lifecycle. */
export class DurableRuntime extends InstanceLifecycle {
    override async startNew(
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
        // Azure Storage checks the instance table, then enqueues the start message: not atomic
        // (DurableTask.AzureStorage CreateTaskOrchestrationAsync). A start that sees an active instance fails.
        const seen = this.o.store.get(id);
        if (seen && !TERMINAL.has(seen.runtimeStatus)) throw alreadyExists(seen.runtimeStatus);
        // Two starts that both passed the check both enqueue and both succeed for their callers; the runtime keeps
        // one and discards the other's ExecutionStarted (durabletask PR #528, "runtime de-dupe ... start events").
        await new Promise((resolve) => setImmediate(resolve));
        return this.withLock(id, async () => {
            const existing = this.o.store.get(id);
            if (existing && !TERMINAL.has(existing.runtimeStatus)) {
                this.o.log(`discarded a duplicate ExecutionStarted for ${id}: a concurrent start won`);
                return existing;
            }
            const now = await this.now();
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
        // Same path as a start (DurableClient.RestartAsync calls StartNewAsync): an active id answers 500.
        return this.startNew(record.name, newInstanceId ? undefined : id, input ?? null);
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
            await change(record, await this.now());
        });
    }
}
