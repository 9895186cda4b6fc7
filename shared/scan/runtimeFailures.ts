import { type DurableClient, type DurableOrchestrationStatus, OrchestrationRuntimeStatus } from 'durable-functions';

import { type RotationHistory } from '../history/rotationHistory';
import { type Logger } from '../logging/logger';
import { type RotationInput } from '../rotation/contracts';
import { isRotationOrchestration } from '../rotation/names';
import { type LifecycleEvent, type NotifierPort } from '../rotation/ports';
import { type RotationRecord } from '../workflows/timeline';
import { type StateStorePort, unchanged } from './ports';

/** The state document remembering which runtime failures were announced (one document, conditional updates). */
export const ANNOUNCED_KEY = 'runtime-failures/announced';

/** A claim whose announcement never completed (the process died between claim and publish) is retried after this. */
const STALE_CLAIM_MS = 60 * 60 * 1000;

interface Entry {
    readonly by: string;
    readonly at: string;
    readonly sent: boolean;
}
interface Announced {
    readonly entries: Readonly<Record<string, Entry>>;
}

export interface RuntimeFailureDeps {
    readonly client: Pick<DurableClient, 'getStatusBy'>;
    readonly state: StateStorePort;
    readonly notifier: NotifierPort;
    /** The rotation records: each runtime failure closes its rotation's record (absent: records are not touched). */
    readonly history?: Pick<RotationHistory, 'endedInRuntime'>;
    readonly log?: Logger;
}

export interface RuntimeFailureOptions {
    readonly now: Date;
    /** Unique per scan: whose claim an entry is, so two concurrent scans never both announce. */
    readonly scanId: string;
    /** How far back instances are listed (the scan's window for rotation marks). */
    readonly lookbackDays?: number;
}

/**
 * Rotations that ended in the Durable runtime, not through our own finish path: an orchestrator that threw (a crash,
 * a non-determinism error after a deploy) is `Failed`, an operator's terminate is `Terminated`, and neither
 * emitted `Rotation.Failed`. Our own failures complete the orchestration with a Failed record, so a runtime status
 * of Failed/Terminated is always one of these. Each is announced once: the id is claimed in the state store with
 * a conditional update before publishing, and the event id is deterministic, so a retried publish dedupes too.
 */
export async function announceRuntimeFailures(
    deps: RuntimeFailureDeps,
    options: RuntimeFailureOptions,
): Promise<{ announced: string[]; alreadyAnnounced: number }> {
    const lookbackMs = (options.lookbackDays ?? 30) * 86_400_000;
    const statuses = await deps.client.getStatusBy({
        createdTimeFrom: new Date(options.now.getTime() - lookbackMs),
        runtimeStatus: [OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated],
    });
    const failed = statuses.filter(
        (s) =>
            isRotationOrchestration(s.name) &&
            (s.runtimeStatus === OrchestrationRuntimeStatus.Failed ||
                s.runtimeStatus === OrchestrationRuntimeStatus.Terminated) &&
            (s.input as { dryRun?: boolean } | null | undefined)?.dryRun !== true,
    );
    const announced: string[] = [];
    let alreadyAnnounced = 0;
    for (const status of failed) {
        const id = status.instanceId;
        await closeRecord(deps, status, options.now);
        if (!(await claim(deps.state, id, options))) {
            alreadyAnnounced += 1;
            continue;
        }
        try {
            await deps.notifier.publish([failedEvent(status, options.now)]);
        } catch (error) {
            // Release the claim so the next scan tries again; the event id stays the same.
            await deps.state.update<Announced>(ANNOUNCED_KEY, (current) => {
                if (current?.entries[id]?.by !== options.scanId) return unchanged;
                const { [id]: _released, ...rest } = current.entries;
                return { entries: rest };
            });
            deps.log?.warn('Runtime failure could not be announced', {
                rotationId: id,
                errorCode: error instanceof Error ? error.name : 'unknown',
            });
            continue;
        }
        await deps.state.update<Announced>(ANNOUNCED_KEY, (current) => {
            const entry = current?.entries[id];
            if (!current || !entry || entry.by !== options.scanId || entry.sent) return unchanged;
            return { entries: { ...current.entries, [id]: { ...entry, sent: true } } };
        });
        announced.push(id);
        deps.log?.warn('Rotation failed in the runtime; announced Rotation.Failed', { rotationId: id });
    }
    return { announced, alreadyAnnounced };
}

/** Its record says how it ended (idempotent: a final record is never changed). A failure here is only logged. */
async function closeRecord(deps: RuntimeFailureDeps, status: DurableOrchestrationStatus, now: Date): Promise<void> {
    if (!deps.history) return;
    const input = (status.input ?? {}) as Partial<RotationInput>;
    const timeline = recordOf(status.customStatus);
    const vaultUrl = input.vaultUrl ?? timeline?.vaultUrl;
    const secretName = input.secretName ?? timeline?.secretName;
    const rotationId = input.rotationId ?? timeline?.rotationId;
    if (!vaultUrl || !secretName || !rotationId) return;
    const event = failedEvent(status, now);
    const created = status.createdTime as Date | string | undefined;
    try {
        await deps.history.endedInRuntime(
            {
                instanceId: status.instanceId,
                rotationId,
                vaultUrl,
                secretName,
                dryRun: input.dryRun ?? false,
                trigger: input.trigger ?? null,
                reason: input.reason ?? '',
                startedBy: input.startedBy ?? null,
                startedAt: created ? new Date(created).toISOString() : now.toISOString(),
                status: status.runtimeStatus === OrchestrationRuntimeStatus.Terminated ? 'Terminated' : 'Failed',
                code: String(event.data.code),
                message: String(event.data.detail),
                timeline: timeline,
            },
            now,
        );
    } catch (error) {
        deps.log?.warn('The rotation record of a runtime failure could not be closed', {
            rotationId: status.instanceId,
            errorCode: error instanceof Error ? error.name : 'unknown',
        });
    }
}

async function claim(state: StateStorePort, id: string, options: RuntimeFailureOptions): Promise<boolean> {
    const nowMs = options.now.getTime();
    const keepMs = (options.lookbackDays ?? 30) * 86_400_000 + 86_400_000;
    const stored = await state.update<Announced>(ANNOUNCED_KEY, (current) => {
        const entry = current?.entries[id];
        const stale = entry !== undefined && !entry.sent && nowMs - Date.parse(entry.at) > STALE_CLAIM_MS;
        if (entry && !stale) return unchanged;
        // Entries older than the listing window can no longer be listed again: drop them so the document stays small.
        const kept = Object.entries(current?.entries ?? {}).filter(([, e]) => nowMs - Date.parse(e.at) <= keepMs);
        return {
            entries: {
                ...Object.fromEntries(kept),
                [id]: { by: options.scanId, at: options.now.toISOString(), sent: false },
            },
        };
    });
    return stored?.entries[id]?.by === options.scanId;
}

function failedEvent(status: DurableOrchestrationStatus, now: Date): LifecycleEvent {
    const input = (status.input ?? {}) as { vaultUrl?: string; secretName?: string; rotationId?: string };
    const record = recordOf(status.customStatus);
    const terminated = status.runtimeStatus === OrchestrationRuntimeStatus.Terminated;
    const step = record?.steps?.at(-1)?.name ?? null;
    const vaultUrl = input.vaultUrl ?? record?.vaultUrl ?? null;
    const secretName = input.secretName ?? record?.secretName ?? null;
    return {
        id: `${status.instanceId}:runtime-${terminated ? 'terminated' : 'failed'}`,
        type: 'Rotation.Failed',
        subject: `${vaultUrl ?? ''}/secrets/${secretName ?? ''}`,
        time: now.toISOString(),
        data: {
            rotationId: input.rotationId ?? record?.rotationId ?? status.instanceId,
            instanceId: status.instanceId,
            vaultUrl,
            secretName,
            appId: record?.appId ?? null,
            oldKeyId: record?.oldKeyId ?? null,
            newKeyId: record?.newKeyId ?? null,
            oldFingerprint: record?.oldFingerprint ?? null,
            newFingerprint: record?.newFingerprint ?? null,
            status: 'Failed',
            step,
            code: terminated ? 'terminated' : 'runtime_failed',
            detail: terminated
                ? 'the rotation was terminated in the Durable runtime; check the app and the vault for a new credential and a pending secret'
                : `the rotation failed in the Durable runtime (${firstLine(status.output)}); check the app and the vault for a new credential and a pending secret`,
        },
    };
}

/** The rotation's last published status (its timeline), when it got far enough to publish one. */
function recordOf(customStatus: unknown): Partial<RotationRecord> | null {
    return typeof customStatus === 'object' && customStatus !== null ? customStatus : null;
}

function firstLine(output: unknown): string {
    const text = typeof output === 'string' ? output : JSON.stringify(output ?? 'no output');
    return (text.split('\n')[0] ?? '').slice(0, 300);
}
