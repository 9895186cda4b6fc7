import { event, EventType, type HistoryEvent } from './src/durable/history';

/**
 * Hand-built histories in the upstream test style (durable-js `test/testobjects/testhistories.ts`): each episode
 * opens with OrchestratorStarted at its own timestamp; scheduling events carry the sequence id.
 */
export class HistoryBuilder {
    readonly events: HistoryEvent[] = [];
    private at: number;

    constructor(start: Date, name: string, input: unknown) {
        this.at = start.getTime();
        this.episode(this.at);
        this.push(EventType.ExecutionStarted, {
            Name: name,
            Input: input === undefined ? null : JSON.stringify(input),
        });
    }

    private push(type: HistoryEvent['EventType'], fields: Partial<HistoryEvent> = {}): this {
        this.events.push(event(type, new Date(this.at), fields));
        return this;
    }

    episode(atMs: number): this {
        if (this.events.length > 0) this.push(EventType.OrchestratorCompleted);
        this.at = atMs;
        return this.push(EventType.OrchestratorStarted);
    }

    scheduled(id: number, name: string): this {
        return this.push(EventType.TaskScheduled, { EventId: id, Name: name });
    }

    completed(id: number, result: unknown): this {
        return this.push(EventType.TaskCompleted, { TaskScheduledId: id, Result: JSON.stringify(result) });
    }

    failed(id: number, name: string, message: string): this {
        return this.push(EventType.TaskFailed, {
            TaskScheduledId: id,
            Reason: `Activity function '${name}' failed: ${message}`,
            Details: 'stack',
        });
    }

    timer(id: number, fireAtMs: number): this {
        return this.push(EventType.TimerCreated, { EventId: id, FireAt: new Date(fireAtMs).toISOString() });
    }

    fired(id: number, fireAtMs: number): this {
        return this.push(EventType.TimerFired, { TimerId: id, FireAt: new Date(fireAtMs).toISOString() });
    }

    raised(name: string, data: unknown): this {
        return this.push(EventType.EventRaised, { Name: name, Input: JSON.stringify(data) });
    }

    /** Past episodes are played; the last one is new (as the host sends them). */
    build(): HistoryEvent[] {
        const lastStart = this.events.map((e) => e.EventType).lastIndexOf(EventType.OrchestratorStarted);
        return this.events.map((e, i) => ({ ...e, IsPlayed: i < lastStart }));
    }
}
