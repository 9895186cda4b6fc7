import { createHash, randomUUID } from 'node:crypto';

import { type DurableClient, type DurableOrchestrationStatus, OrchestrationRuntimeStatus } from 'durable-functions';

import { type StateStorePort, unchanged } from '../scan/ports';
import { type RotationInput } from './contracts';
import { normalizeVaultUrl, rotationInstanceId } from './markers';
import { Orchestrations } from './names';

const ACTIVE: ReadonlySet<string> = new Set([
    OrchestrationRuntimeStatus.Pending,
    OrchestrationRuntimeStatus.Running,
    OrchestrationRuntimeStatus.ContinuedAsNew,
    OrchestrationRuntimeStatus.Suspended,
]);

/**
 * How long a lock may name an instance that does not exist yet: the starter that wrote it is between its lock
 * write and `startNew` (milliseconds), or died there. Wall-clock time: it measures this process, not the tenant.
 */
const UNSTARTED_LOCK_MS = 60_000;
const MAX_ATTEMPTS = 8;

export interface StartRequest {
    readonly vaultUrl: string;
    readonly secretName: string;
    /** The enrolled credential the secret holds: the singleton is per application credential. */
    readonly appId: string;
    readonly keyId: string;
    readonly dryRun: boolean;
    readonly reason: string;
    readonly trigger: RotationInput['trigger'];
    /** Quota priority (emergency batches: high); absent, it follows the trigger. */
    readonly priority?: RotationInput['priority'];
    /** The operator who asked (operator API starts only). */
    readonly startedBy?: RotationInput['startedBy'];
}

export interface StartResult {
    readonly id: string;
    readonly alreadyRunning: boolean;
}

export interface StarterDeps {
    readonly client: Pick<DurableClient, 'startNew' | 'getStatus'>;
    readonly state: StateStorePort;
    readonly wallNow?: () => number;
}

interface RotationLock {
    readonly instanceId: string | null;
    readonly at: number;
}

/**
 * Starts the rotation of one credential, or joins the one already running. At most one rotation runs per
 * application credential (app id + key id) and per secret, whatever points at them (timer, event, API, two
 * secrets holding one credential): the starter holds both locks in the state store (conditional writes) and names
 * the instance that owns them. Every rotation gets its own instance id, so correctness never depends on how the
 * Durable extension treats a start for an existing id (its HTTP API answers 500, not 409, for a running one).
 * Dry runs change nothing and take no lock.
 */
export async function startRotation(deps: StarterDeps, request: StartRequest): Promise<StartResult> {
    const rotationId = randomUUID();
    const id = rotationInstanceId(request.vaultUrl, request.secretName, rotationId, request.dryRun);
    const input: RotationInput = {
        vaultUrl: request.vaultUrl,
        secretName: request.secretName,
        rotationId,
        dryRun: request.dryRun,
        reason: request.reason,
        trigger: request.trigger,
        ...(request.priority ? { priority: request.priority } : {}),
        ...(request.startedBy ? { startedBy: request.startedBy } : {}),
    };
    if (request.dryRun) {
        await deps.client.startNew(Orchestrations.rotateCredential, { instanceId: id, input });
        return { id, alreadyRunning: false };
    }
    const now = deps.wallNow ?? Date.now;
    const keys = rotationLockKeys(request);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const locks = await Promise.all(keys.map((key) => deps.state.read<RotationLock>(key)));
        for (const lock of locks) {
            const holder = lock?.instanceId;
            if (!holder) continue;
            const status = await tryGetStatus(deps.client, holder);
            if (isActive(status)) return { id: holder, alreadyRunning: true };
            if (!status && now() - lock.at < UNSTARTED_LOCK_MS) return { id: holder, alreadyRunning: true };
        }
        const mine: RotationLock = { instanceId: id, at: now() };
        const taken: string[] = [];
        for (const [index, key] of keys.entries()) {
            // Compare-and-swap: take the lock only if it is still what we judged free (a conditional write).
            const seen = locks[index];
            const stored = await deps.state.update<RotationLock>(key, (current) =>
                sameLock(current, seen) ? mine : unchanged,
            );
            if (stored?.instanceId !== id) break;
            taken.push(key);
        }
        if (taken.length < keys.length) {
            // Another starter came first: give back what we took, then look at what it started.
            await release(deps.state, taken, id, now);
            continue;
        }
        try {
            await deps.client.startNew(Orchestrations.rotateCredential, { instanceId: id, input });
        } catch (error) {
            // The start may have been accepted before the error (a 5xx after the write): only the instance knows.
            if (await tryGetStatus(deps.client, id)) return { id, alreadyRunning: false };
            await release(deps.state, keys, id, now);
            throw error;
        }
        return { id, alreadyRunning: false };
    }
    throw new Error(`could not take the rotation lock for ${request.secretName}: too many concurrent starts`);
}

/** The state keys of the two locks: the application credential and the secret. */
export function rotationLockKeys(request: Pick<StartRequest, 'vaultUrl' | 'secretName' | 'appId' | 'keyId'>): string[] {
    const hash = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 40);
    return [
        `locks/credential/${hash(`${request.appId.toLowerCase()}|${request.keyId.toLowerCase()}`)}`,
        `locks/secret/${hash(`${normalizeVaultUrl(request.vaultUrl)}|${request.secretName.toLowerCase()}`)}`,
    ];
}

async function release(state: StateStorePort, keys: readonly string[], id: string, now: () => number): Promise<void> {
    for (const key of keys) {
        await state.update<RotationLock>(key, (current) =>
            current?.instanceId === id ? { instanceId: null, at: now() } : unchanged,
        );
    }
}

function sameLock(a: RotationLock | undefined, b: RotationLock | undefined): boolean {
    return a === undefined || b === undefined ? a === b : a.instanceId === b.instanceId && a.at === b.at;
}

/** durable-functions 3.x rejects getStatus with a plain Error on HTTP 404; only that means "no such instance". */
export async function tryGetStatus(
    client: Pick<DurableClient, 'getStatus'>,
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
