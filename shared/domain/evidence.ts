/**
 * The evidence rules: what must be seen before an old credential may be deleted. Pure, so the orchestrator can
 * apply them on replay and tests can state each rule on its own.
 *
 * An evidence item says what a source showed and when. New sources (an App Service Key Vault reference resolved
 * to the new version, say) add items with their own `source`; the rules below only look at `kind`.
 */

export type EvidenceKind =
    /** Something the rotator did not do itself used the new credential (or reports holding it). */
    | 'newKeyInUse'
    /** A successful sign-in with the old credential after consumers were expected to have switched. */
    | 'oldKeyInUse'
    /** The sign-in log, proven complete up to a moment, shows no successful old-key sign-in in the window. */
    | 'oldKeyQuiet'
    /** The sign-in log could not be read completely, or has not caught up: absence proves nothing. */
    | 'notProven'
    /** The operator accepted, for this secret, that no source can show use of the new key. */
    | 'noEvidenceAccepted';

export interface EvidenceItem {
    /** Where it came from: `probe`, `signInLog`, `operator`, `tag`, and whatever later sources name themselves. */
    readonly source: string;
    readonly kind: EvidenceKind;
    /** When it was observed (orchestration time). */
    readonly at: string;
    readonly detail: string;
}

/** The old credential may go only after something other than the rotator showed the new one in use, or the operator waived that. */
export function switchProven(items: readonly EvidenceItem[]): boolean {
    return items.some((i) => i.kind === 'newKeyInUse' || i.kind === 'noEvidenceAccepted');
}

/** Successful sign-ins with one credential, as one complete read of the log reported them. */
export interface KeyUse {
    readonly keyId: string;
    readonly count: number;
    readonly first: string | null;
    readonly last: string | null;
}

/** One complete read of the sign-in log (every page), or why it is not complete. */
export type SignInRead =
    | {
          readonly complete: true;
          /** Successful sign-ins by others (the rotator's own sign-ins excluded), per credential, each from its own `since`. */
          readonly keys: readonly KeyUse[];
          /** The rotator's own sign-ins found in the log, by the correlation id it sent. */
          readonly own: readonly { readonly correlationId: string; readonly keyId: string; readonly at: string }[];
          readonly pages: number;
          /** Which sources were consulted and how (e.g. the shared collector and the instant of its read). */
          readonly source?: string;
      }
    | { readonly complete: false; readonly reason: string };

export interface UsageCheck {
    readonly oldKeyId: string;
    readonly newKeyId: string;
    /** publish + refresh + one token lifetime: any old-key sign-in from here on is a consumer that did not switch. */
    readonly windowStart: string;
    /**
     * The rotator's own sign-ins with the new key, made at or after the end of the grace period (correlation id and
     * when each was asked for). The newest one the log shows is how far the log is proven to reach.
     */
    readonly markers: readonly { readonly correlationId: string; readonly at: string }[];
    readonly read: SignInRead;
    /** Orchestration time of the check. */
    readonly now: string;
}

export type UsageVerdict =
    | { readonly kind: 'clear'; readonly evidence: EvidenceItem }
    | { readonly kind: 'inUse'; readonly count: number; readonly last: string | null; readonly evidence: EvidenceItem }
    | { readonly kind: 'notProven'; readonly reason: string; readonly evidence: EvidenceItem };

/**
 * The usage gate's rules, in order:
 * 1. An incomplete, throttled or failed read proves nothing: not proven, never "zero".
 * 2. Any successful old-key sign-in since `windowStart` (across the whole grace period and every re-check) means
 *    the old key is in use, whatever else is true.
 * 3. Absence counts only as far as the log is proven to reach: one of the rotator's own sign-ins with the new key,
 *    made after the grace period, must be in the log; until one is, the log has not caught up and the gate waits.
 * 4. Otherwise the old key is quiet from `windowStart` up to the newest such sign-in the log shows.
 */
export function judgeUsage(check: UsageCheck): UsageVerdict {
    const { read, now } = check;
    if (!read.complete) {
        const reason = `the sign-in log could not be read completely (${read.reason}); absence is not proven`;
        return { kind: 'notProven', reason, evidence: item('signInLog', 'notProven', now, reason) };
    }
    const old = read.keys.find((k) => sameId(k.keyId, check.oldKeyId));
    if (old && old.count > 0) {
        const detail = `${old.count} successful sign-in(s) with the old key ${check.oldKeyId} since ${check.windowStart}, last at ${old.last ?? 'unknown'} (sources consulted: ${read.source ?? 'sign-in log, per-app query'})`;
        return {
            kind: 'inUse',
            count: old.count,
            last: old.last,
            evidence: item('signInLog', 'oldKeyInUse', now, detail),
        };
    }
    const seen = check.markers
        .filter((m) =>
            read.own.some((o) => o.correlationId === m.correlationId.toLowerCase() && sameId(o.keyId, check.newKeyId)),
        )
        .sort((a, b) => (a.at < b.at ? 1 : -1));
    const marker = seen[0];
    if (!marker) {
        const last = check.markers.at(-1);
        const reason = last
            ? `the sign-in log has not caught up to ${last.at}: the rotator's own sign-in with the new key is not in it yet`
            : 'the rotator could not sign in with the new key to prove how far the sign-in log reaches';
        return { kind: 'notProven', reason, evidence: item('signInLog', 'notProven', now, reason) };
    }
    const detail = `no successful sign-in with the old key ${check.oldKeyId} from ${check.windowStart} to ${marker.at} (log proven complete to there by the rotator's own sign-in; ${read.pages} page(s) read; sources consulted: ${read.source ?? 'sign-in log, per-app query'})`;
    return { kind: 'clear', evidence: item('signInLog', 'oldKeyQuiet', now, detail) };
}

/** Evidence that consumers (not the rotator) signed in with the new key. */
export function newKeySignIns(read: SignInRead, newKeyId: string, now: string): EvidenceItem | undefined {
    if (!read.complete) return undefined;
    const use = read.keys.find((k) => sameId(k.keyId, newKeyId));
    if (!use || use.count === 0) return undefined;
    return item(
        'signInLog',
        'newKeyInUse',
        now,
        `${use.count} successful sign-in(s) with the new key ${newKeyId} by consumers, first at ${use.first ?? 'unknown'}`,
    );
}

export function item(source: string, kind: EvidenceKind, at: string, detail: string): EvidenceItem {
    return { source, kind, at, detail };
}

function sameId(a: string, b: string): boolean {
    return a.toLowerCase() === b.toLowerCase();
}
