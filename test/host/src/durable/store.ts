import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { HistoryEvent } from './history';

export type RuntimeStatus =
    'Pending' | 'Running' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Canceled' | 'Terminated' | 'Suspended';

export const TERMINAL: ReadonlySet<RuntimeStatus> = new Set(['Completed', 'Failed', 'Canceled', 'Terminated']);

export interface InstanceRecord {
    instanceId: string;
    name: string;
    executionId: string;
    runtimeStatus: RuntimeStatus;
    /** JSON text, as stored by the Durable extension. */
    input: string | null;
    output: string | null;
    customStatus: string | null;
    createdTime: string;
    lastUpdatedTime: string;
    /** History of the current execution (continueAsNew starts a new one). */
    history: HistoryEvent[];
    /** Messages received but not yet applied by an episode (the control-queue backlog). */
    inbox: HistoryEvent[];
    /** Timer ids the orchestrator cancelled; they are never fired. */
    canceledTimerIds: number[];
    parent?: { instanceId: string; executionId: string; taskScheduledId: number };
}

/**
 * Instance store: an in-memory map mirrored to one JSON file per instance. Each write goes to a temp file that is
 * renamed over the old one, so a process killed at any point leaves either the previous or the new checkpoint.
 */
export class InstanceStore {
    private readonly records = new Map<string, InstanceRecord>();
    private readonly dir: string | undefined;
    /** Once frozen (simulated crash) nothing more reaches disk. */
    frozen = false;

    constructor(stateDir?: string) {
        this.dir = stateDir ? path.join(stateDir, 'instances') : undefined;
        if (!this.dir) return;
        mkdirSync(this.dir, { recursive: true });
        for (const file of readdirSync(this.dir)) {
            if (!file.endsWith('.json')) continue;
            const record = JSON.parse(readFileSync(path.join(this.dir, file), 'utf8')) as InstanceRecord;
            this.records.set(record.instanceId, record);
        }
    }

    get(instanceId: string): InstanceRecord | undefined {
        return this.records.get(instanceId);
    }

    all(): InstanceRecord[] {
        return [...this.records.values()];
    }

    save(record: InstanceRecord): void {
        if (this.frozen) return;
        this.records.set(record.instanceId, record);
        if (!this.dir) return;
        const file = this.fileFor(record.instanceId);
        const temp = `${file}.${process.pid}.tmp`;
        writeFileSync(temp, JSON.stringify(record));
        renameSync(temp, file);
    }

    delete(instanceId: string): boolean {
        if (this.frozen) return false;
        const existed = this.records.delete(instanceId);
        if (this.dir && existsSync(this.fileFor(instanceId))) rmSync(this.fileFor(instanceId));
        return existed;
    }

    private fileFor(instanceId: string): string {
        return path.join(this.dir as string, `${encodeURIComponent(instanceId)}.json`);
    }
}
