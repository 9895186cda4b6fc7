import { type RefreshOutcome } from '../ports';
import {
    type DeleteOldInput,
    type DeleteOldResult,
    type NotifyInput,
    type RefreshInput,
    RefreshInputSchema,
    type UsageInput,
    type UsageResult,
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

/** Step 8 (and the sign-in half of step 6): sign-in attempts with a credential, and optionally another, since an instant. */
export async function checkUsage(deps: RotationDeps, input: UsageInput): Promise<UsageResult> {
    const keys = [{ keyId: input.keyId, since: input.since }, ...(input.also ? [input.also] : [])];
    const [main, also] = await deps.signIns.signInsWithKeys(input.appId, keys);
    const view = (u: { count: number; lastSeen: string | undefined } | undefined) => ({
        count: u?.count ?? 0,
        lastSeen: u?.lastSeen ?? null,
    });
    return { ...view(main), ...(input.also ? { also: view(also) } : {}) };
}

/** Step 9: remove the old credential. Already gone counts as done (the activity may run twice). */
export async function deleteOldCredential(deps: RotationDeps, input: DeleteOldInput): Promise<DeleteOldResult> {
    return { result: await deps.credentials.removePassword(input.appObjectId, input.keyId) };
}

export async function notify(deps: RotationDeps, input: NotifyInput): Promise<void> {
    await deps.notifier.publish(input.events);
}
