import { randomUUID } from 'node:crypto';

import { type DurableClient, type DurableOrchestrationStatus, OrchestrationRuntimeStatus } from 'durable-functions';

import { type RotationInput } from './contracts';
import { rotationInstanceId } from './markers';
import { Orchestrations } from './names';

const ACTIVE: ReadonlySet<string> = new Set([
    OrchestrationRuntimeStatus.Pending,
    OrchestrationRuntimeStatus.Running,
    OrchestrationRuntimeStatus.ContinuedAsNew,
    OrchestrationRuntimeStatus.Suspended,
]);

export interface StartRequest {
    readonly vaultUrl: string;
    readonly secretName: string;
    readonly dryRun: boolean;
    readonly reason: string;
    readonly trigger: RotationInput['trigger'];
    /** Quota priority (emergency batches: high); absent, it follows the trigger. */
    readonly priority?: RotationInput['priority'];
}

export interface StartResult {
    readonly id: string;
    readonly alreadyRunning: boolean;
}

/**
 * Starts the rotation of one credential, or joins the one already running: the instance id is derived from the
 * credential, so concurrent starts (timer, event, API, duplicates) converge on a single orchestration. Dry runs
 * change nothing and get their own ids.
 */
export async function startRotation(client: DurableClient, request: StartRequest): Promise<StartResult> {
    const rotationId = randomUUID();
    const singletonId = rotationInstanceId(request.vaultUrl, request.secretName);
    const id = request.dryRun ? `${singletonId}@dryrun@${rotationId}` : singletonId;
    if (!request.dryRun) {
        const existing = await tryGetStatus(client, id);
        if (existing && ACTIVE.has(existing.runtimeStatus)) return { id, alreadyRunning: true };
    }
    const input: RotationInput = {
        vaultUrl: request.vaultUrl,
        secretName: request.secretName,
        rotationId,
        dryRun: request.dryRun,
        reason: request.reason,
        trigger: request.trigger,
        ...(request.priority ? { priority: request.priority } : {}),
    };
    try {
        await client.startNew(Orchestrations.rotateCredential, { instanceId: id, input });
        return { id, alreadyRunning: false };
    } catch (error) {
        // Lost a race with another start between the status read and here. The Durable extension's HTTP start
        // answers 500 (not 409) for an id that is already active, so ask the instance itself what happened.
        if (isActive(await tryGetStatus(client, id))) return { id, alreadyRunning: true };
        throw error;
    }
}

/** durable-functions 3.x rejects getStatus with a plain Error on HTTP 404; only that means "no such instance". */
export async function tryGetStatus(
    client: DurableClient,
    instanceId: string,
): Promise<DurableOrchestrationStatus | undefined> {
    try {
        return await client.getStatus(instanceId, { showHistory: false, showInput: true });
    } catch (error) {
        if (error instanceof Error && /HTTP 404/.test(error.message)) return undefined;
        throw error;
    }
}

export function isActive(status: DurableOrchestrationStatus | undefined): boolean {
    return status !== undefined && ACTIVE.has(status.runtimeStatus);
}
