import { fingerprintOf } from '../../security/fingerprint';
import { type DiscardInput, type VerifyInput, type VerifyResult } from '../contracts';
import { type RotationDeps } from '../deps';
import { evidenceWaived, ManagedTags } from '../markers';
import { deleteStash, readStash } from '../stash';

/**
 * Step 3: one token round trip with the stashed value, through a brand-new client that cannot answer from a
 * cache. One attempt per call: the orchestrator waits out Entra's propagation delay with durable timers, so a
 * slow replication costs no worker time and survives restarts.
 */
export async function verifyCredential(deps: RotationDeps, input: VerifyInput): Promise<VerifyResult> {
    const live = input.source === 'live';
    // The stash is read only when it carries our mark; the live secret is read as it is.
    const stash = live
        ? await deps.secrets.getLatest(input.vaultUrl, input.secretName)
        : await readStash(deps.secrets, input.vaultUrl, input.secretName);
    if (!stash || stash.properties.tags[ManagedTags.keyId] !== input.keyId) {
        return live
            ? failed('live_changed', 'the live secret no longer holds this credential; it cannot be signed in with')
            : failed('stash_missing', 'the stashed value for this credential is missing; it cannot be verified');
    }
    if (fingerprintOf(stash.value) !== input.fingerprint) {
        return failed(
            live ? 'live_mismatch' : 'stash_mismatch',
            `the ${live ? 'live' : 'stashed'} value does not match the created credential`,
        );
    }
    const check = await deps.verifier.checkSecret(input.appId, stash.value, input.correlationId);
    if (check.ok) {
        return {
            ok: true,
            category: 'ok',
            aadstsCode: null,
            retryable: false,
            mayBePropagationDelay: false,
            detail: 'token issued',
            ...(live ? { evidenceWaived: evidenceWaived(stash.properties.tags) } : {}),
        };
    }
    const c = check.classification;
    return {
        ok: false,
        category: c.category,
        aadstsCode: c.code ?? c.codes[0] ?? null,
        retryable: c.retryable,
        mayBePropagationDelay: c.mayBePropagationDelay,
        detail: c.hint,
    };
}

function failed(category: string, detail: string): VerifyResult {
    return { ok: false, category, aadstsCode: null, retryable: false, mayBePropagationDelay: false, detail };
}

/** Undo of step 2 when verification fails for good: the old credential stays, the new one goes. */
export async function discardCredential(deps: RotationDeps, input: DiscardInput): Promise<{ removed: boolean }> {
    const result = await deps.credentials.removePassword(input.appObjectId, input.keyId);
    // "Not found" for a credential this rotation just created means Graph has not replicated it yet (read-after-
    // write lag), not that it is gone: keep the stash and let the orchestrator try again later.
    if (result !== 'removed') return { removed: false };
    await deleteStash(deps.secrets, input.vaultUrl, input.secretName);
    return { removed: true };
}
