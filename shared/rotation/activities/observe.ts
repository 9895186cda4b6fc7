import { ErrorCodes } from '../../errors/errorCodes';
import { isRotatorError } from '../../errors/RotatorError';
import { type RefreshOutcome } from '../ports';
import {
    type DeleteOldInput,
    type DeleteOldResult,
    type NotifyInput,
    type RefreshInput,
    RefreshInputSchema,
    type SignInEvidenceInput,
    type UsageInput,
    type UsageResult,
    type WatchSignInsInput,
} from '../contracts';
import { type RotationDeps } from '../deps';

/** Step 5: one refresh call or probe read for one consumer; the orchestrator owns ordering and polling. */
export async function refreshConsumer(deps: RotationDeps, input: RefreshInput): Promise<RefreshOutcome> {
    const parsed = RefreshInputSchema.parse(input);
    const consumer = deps.consumers
        .consumersFor(parsed.vaultUrl, parsed.secretName)
        .find((c) => c.name === parsed.consumerName);
    if (!consumer) {
        return {
            ok: false,
            retryable: false,
            detail: `consumer ${parsed.consumerName} is no longer configured for this secret`,
        };
    }
    return deps.refresher.refresh(consumer, {
        vaultUrl: parsed.vaultUrl,
        secretName: parsed.secretName,
        secretVersion: parsed.secretVersion,
        fingerprint: parsed.fingerprint,
        rotationId: parsed.rotationId,
        requestedAt: parsed.requestedAt,
    });
}

/**
 * Step 8 (and the sign-in half of step 6): one complete read of the app's successful sign-ins. A failed,
 * throttled or partial read is returned as "not complete", so the gate waits and re-checks instead of failing
 * the rotation, and never takes it for "no sign-ins".
 */
export async function checkUsage(deps: RotationDeps, input: UsageInput): Promise<UsageResult> {
    try {
        return await deps.signIns.successfulSignIns({
            appId: input.appId,
            keys: input.keys,
            ownCorrelationIds: input.ownCorrelationIds ?? [],
        });
    } catch (error) {
        // Throttling goes back to the orchestrator as a wait (callActivity sleeps until Retry-After and reads
        // again); anything else is an incomplete read, which the gate treats as "not proven".
        if (isRotatorError(error) && error.code === ErrorCodes.throttled) throw error;
        return { complete: false, reason: error instanceof Error ? firstLine(error.message) : 'read failed' };
    }
}

/** Release 2, after publication: the shared collector records this app's sign-ins from here on. */
export async function watchSignIns(deps: RotationDeps, input: WatchSignInsInput): Promise<void> {
    await deps.signInCollector.watch({
        appId: input.appId,
        from: input.from,
        until: input.until,
        own: input.ownCorrelationIds ?? [],
    });
}

/**
 * Release 2's gate read: the shared collector's records for this app (one tenant-wide query serves every gate).
 * Waiting for a read under way, or for Graph's quota, goes back as throttling (a durable timer); anything else
 * is "not complete", which the gate treats as "not proven".
 */
export async function readSignInEvidence(deps: RotationDeps, input: SignInEvidenceInput): Promise<UsageResult> {
    try {
        return await deps.signInCollector.evidence({
            appId: input.appId,
            keys: input.keys,
            ownCorrelationIds: input.ownCorrelationIds ?? [],
            need: input.asOf,
        });
    } catch (error) {
        if (isRotatorError(error) && error.code === ErrorCodes.throttled) throw error;
        return { complete: false, reason: error instanceof Error ? firstLine(error.message) : 'read failed' };
    }
}

function firstLine(message: string): string {
    return (message.split('\n')[0] ?? '').slice(0, 300);
}

/** Step 9: remove the old credential. Already gone counts as done (the activity may run twice). */
export async function deleteOldCredential(deps: RotationDeps, input: DeleteOldInput): Promise<DeleteOldResult> {
    return { result: await deps.credentials.removePassword(input.appObjectId, input.keyId) };
}

export async function notify(deps: RotationDeps, input: NotifyInput): Promise<void> {
    await deps.notifier.publish(input.events);
}
