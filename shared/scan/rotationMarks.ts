import { type DurableClient, type DurableOrchestrationStatus, OrchestrationRuntimeStatus } from 'durable-functions';

import { type RotationMark } from '../domain/credential';
import { isRotationOrchestration } from '../rotation/names';
import { type RotationRecord } from '../workflows/timeline';
import { credentialKey } from './scanTenant';

const PUBLISHED_STEPS = new Set(['publish', 'refresh', 'confirm', 'grace', 'usageGate', 'deleteOld']);

/**
 * What rotations say about credentials that the clock cannot: the old key is Rotating until the new value is
 * published, then in GracePeriod until deleted; a rotation that needs a human marks it AttentionRequired.
 */
export function marksFromStatuses(statuses: readonly DurableOrchestrationStatus[]): Map<string, RotationMark> {
    const marks = new Map<string, RotationMark>();
    for (const status of statuses) {
        if (!isRotationOrchestration(status.name)) continue;
        const running = [
            OrchestrationRuntimeStatus.Running,
            OrchestrationRuntimeStatus.Pending,
            OrchestrationRuntimeStatus.Suspended,
        ].includes(status.runtimeStatus);
        const record = (running ? status.customStatus : status.output) as RotationRecord | null | undefined;
        if (!record?.appId || !record.oldKeyId) continue;
        const key = credentialKey(record.appId, record.oldKeyId);
        if (running) {
            const published = record.steps.some((s) => PUBLISHED_STEPS.has(s.name) && s.state !== 'failed');
            marks.set(key, published ? 'grace' : 'rotating');
        } else if (
            status.runtimeStatus === OrchestrationRuntimeStatus.Completed &&
            record.status === 'AttentionRequired'
        ) {
            marks.set(key, 'attentionRequired');
        }
    }
    return marks;
}

/** Active rotations plus those finished in the last `days` days (for AttentionRequired marks). */
export async function loadRotationMarks(
    client: DurableClient,
    now: Date,
    days = 30,
): Promise<Map<string, RotationMark>> {
    const statuses = await client.getStatusBy({ createdTimeFrom: new Date(now.getTime() - days * 86_400_000) });
    return marksFromStatuses(statuses);
}
