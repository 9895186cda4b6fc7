import { type OrchestrationContext, type Task } from 'durable-functions';
import { z } from 'zod';

import { addHours, addMinutes, addSeconds, isBefore, laterOf } from '../domain/time';
import { errorCodeOf } from '../errors/RotatorError';
import {
    type ConsumerRef,
    type CreateResult,
    type DeleteOldResult,
    type PublishResult,
    type RotationInput,
    RotationInputSchema,
    type RotationPlan,
    type SweepResult,
    type UsageResult,
    type VerifyResult,
} from '../rotation/contracts';
import { type EvidenceItem, item, judgeUsage, newKeySignIns, switchProven } from '../domain/evidence';
import { ErrorCodes } from '../errors/errorCodes';
import { EVIDENCE_WAIVER_TAG, EVIDENCE_WAIVER_VALUE } from '../rotation/markers';
import { ACCEPT_NO_EVIDENCE_EVENT, Activities } from '../rotation/names';
import { type LifecycleEvent, type RefreshOutcome } from '../rotation/ports';
import { callActivity, type CallOptions } from './callActivity';
import { boundedStatus } from './statusBudget';
import { type RotationRecord, type RotationStatus, type StepName, Timeline } from './timeline';

type Flow<T> = Generator<Task, T, unknown>;

/** What the operator API sends with ACCEPT_NO_EVIDENCE_EVENT (the caller from the verified token, and why). */
const WaiverEventSchema = z.object({
    by: z.object({
        objectId: z.string().max(64).nullable(),
        appId: z.string().max(64).nullable(),
        name: z.string().max(256).nullable(),
    }),
    reason: z.string().min(1).max(500),
});

/** Bounds on waiting, fixed in code so that a replay can never see different numbers. */
const VERIFY_FIRST_DELAY_SECONDS = 2;
const VERIFY_MAX_DELAY_SECONDS = 30;
const WEBHOOK_ATTEMPTS = 3;
/** Removal attempts for a just-created credential Graph does not list yet (1, 2, 4, 8 min apart: 15 min). */
const DISCARD_ATTEMPTS = 5;
/** Consecutive successful token requests before a new secret counts as usable everywhere. */
const VERIFY_SUCCESSES = 2;
/** How long a rotation without switch evidence offers the operator's "accept no evidence" before it ends. */
const WAIVER_WAIT_HOURS = 72;
/**
 * How long after its last create attempt a rotation trusts Graph to list every credential that attempt added.
 * Graph gives no read-after-write SLA (api-fidelity §1.11: a just-created credential can be missing from GET and
 * from removePassword); 15 minutes is far beyond the seconds observed, and later scans sweep whatever outlives it.
 */
const GRAPH_LAG_BOUND_MINUTES = 15;

/**
 * Rotates one managed client secret (a Key Vault secret tagged with its app and key ids).
 *
 * preflight → create (+ stash) → verifyNew (token round trip) → publish → refresh consumers → confirm →
 * grace timer → usage gate (sign-in logs) → deleteOld.
 *
 * Invariants: the old credential is deleted only after the new one verified, every `abort` consumer refreshed,
 * the grace period passed and the sign-in logs show no use of the old key; a verification failure removes the
 * new credential and keeps the old one. Inputs, outputs, custom status and events carry references only.
 */
export function* rotateCredential(context: OrchestrationContext): Flow<RotationRecord> {
    const input = RotationInputSchema.parse(context.df.getInput());
    const run = new Run(context, input);
    // The immutable history record: written first (a rotation that later dies in the runtime still has one) and
    // frozen at the end; Durable's own instance history is purged by operators and is not the audit trail.
    yield* run.saveHistory();
    yield* rotate(run);
    yield* run.saveHistory();
    return run.record();
}

function* rotate(run: Run): Flow<RotationRecord> {
    const { context, input } = run;
    const plan = yield* run.activity<RotationPlan>('preflight', Activities.preflight, {
        vaultUrl: input.vaultUrl,
        secretName: input.secretName,
        rotationId: input.rotationId,
        dryRun: input.dryRun,
        asOf: context.df.currentUtcDateTime.toISOString(),
    });
    if (!plan) return run.record();
    run.adoptPlan(plan);
    const blocking = plan.findings.find((f) => f.severity === 'error');
    if (input.dryRun) {
        // A dry run reports what a rotation would do and what would stop it; it changes and announces nothing.
        run.mark('preflight', blocking ? 'failed' : 'succeeded', blocking ? blocking.message : summarizePlan(plan));
        run.timeline.record.status = 'DryRun';
        return run.record();
    }
    if (blocking) return yield* run.finish('Failed', 'preflight', blocking.code, blocking.message);
    run.mark('preflight', 'succeeded', summarizePlan(plan));
    yield* run.emit('Rotation.Started', { trigger: input.trigger, reason: input.reason });

    // create: the value exists only inside the activity and the vault stash from here on.
    const createInput = {
        rotationId: input.rotationId,
        vaultUrl: input.vaultUrl,
        secretName: input.secretName,
        appId: plan.appId,
        appObjectId: plan.appObjectId,
        startDateTime: plan.newCredential.startDateTime,
        endDateTime: plan.newCredential.endDateTime,
    };
    run.mark('create', 'running');
    run.publishStatus();
    let created: CreateResult;
    try {
        created = yield* callActivity<CreateResult>(
            context,
            Activities.createCredential,
            createInput,
            undefined,
            run.waitingForQuota('create'),
        );
    } catch (error) {
        // Each failed attempt may have added a credential whose response was lost, and Graph may not list it yet:
        // finish() sweeps this rotation's marked credentials once the lag has passed and says what it found.
        run.createSettled();
        return yield* run.finish('Failed', 'create', errorCodeOf(error), firstLine(error));
    }
    run.createSettled();
    if (!created.ok) return yield* run.finish('Failed', 'create', created.code, created.message);
    run.timeline.record.newKeyId = created.keyId;
    run.timeline.record.newFingerprint = created.fingerprint;
    run.mark('create', 'succeeded', createDetail(created));
    yield* run.stepCompleted('create');

    const verified = yield* verifyWithPropagation(run, plan, created);
    if (!verified.ok) {
        const discard = {
            vaultUrl: input.vaultUrl,
            secretName: input.secretName,
            appObjectId: plan.appObjectId,
            keyId: created.keyId,
        };
        // Graph may not list a credential it just created (read-after-write lag): "not found" is retried after
        // waits that outlast the lag, and the outcome says what is true.
        let removed = false;
        for (let attempt = 1; ; attempt++) {
            const discarded = yield* run.activity<{ removed: boolean }>(
                'verifyNew',
                Activities.discardCredential,
                discard,
            );
            if (!discarded) return run.record();
            removed = discarded.removed;
            if (removed || attempt >= DISCARD_ATTEMPTS) break;
            yield context.df.createTimer(addMinutes(context.df.currentUtcDateTime, 2 ** (attempt - 1)));
        }
        const failure = `new credential did not authenticate (${verified.category}${verified.aadstsCode ? ` AADSTS${verified.aadstsCode}` : ''}): ${verified.detail}`;
        const swept = yield* run.sweep('verifyNew');
        if ('removed' in swept && swept.removed.includes(created.keyId)) removed = true;
        const gone =
            removed ||
            ('removed' in swept &&
                !swept.kept.some((k) => k.keyId === created.keyId) &&
                !swept.unconfirmed.includes(created.keyId));
        const what = gone
            ? 'it was removed and the old credential kept'
            : `Graph still did not list it after ${DISCARD_ATTEMPTS} removal attempts and a sweep after its lag, so it may still exist (named rotator:${input.rotationId}, its value kept in the pending secret); the old credential was kept`;
        return yield* run.finish(
            'AttentionRequired',
            'verifyNew',
            'verification_failed',
            `${failure}; ${what}${sweepNote(swept, input.rotationId, created.keyId, undefined, false)}`,
        );
    }

    const published = yield* run.activity<PublishResult>('publish', Activities.publishCredential, {
        rotationId: input.rotationId,
        vaultUrl: input.vaultUrl,
        secretName: input.secretName,
        appId: plan.appId,
        keyId: created.keyId,
        fingerprint: created.fingerprint,
        endDateTime: created.endDateTime,
        oldKeyId: plan.oldKeyId,
        asOf: context.df.currentUtcDateTime.toISOString(),
    });
    if (!published) return run.record();
    run.published = created.keyId;
    const publishedAt = context.df.currentUtcDateTime;
    run.timeline.record.newSecretVersion = published.version;
    run.mark(
        'publish',
        'succeeded',
        `new version ${published.version} of ${input.secretName}, fingerprint ${created.fingerprint}`,
    );
    yield* run.stepCompleted('publish');

    // From publication on, the shared sign-in collector records this app's sign-ins for the usage gate. The gate's
    // own sign-ins (markers) are named now, so the collector can tell them from consumers' from the first read.
    const gateMarkers = Array.from({ length: plan.usageGate.maxChecks }, (_, i) =>
        context.df.newGuid(`${input.rotationId}:gate:${i + 1}`),
    );
    try {
        yield* callActivity<void>(context, Activities.watchSignIns, {
            appId: plan.appId,
            from: publishedAt.toISOString(),
            until: watchUntil(plan, publishedAt).toISOString(),
            ownCorrelationIds: [...run.ownSignIns, ...gateMarkers],
        });
    } catch (error) {
        // Not fatal here: the gate then finds no records for the app and says "not proven" (never "unused").
        run.timeline.record.findings.push({
            severity: 'warning',
            code: 'signin_watch_failed',
            message: `the sign-in collector could not start watching the app (${errorCodeOf(error)}); the usage gate cannot prove the old key unused`,
        });
    }

    // refresh: consumers in order; an `abort` failure stops here with both credentials valid.
    run.mark('refresh', 'running', `${plan.consumers.length} consumer(s)`);
    const evidence: string[] = [];
    const confirmedProbes: string[] = [];
    const resolvedApps: string[] = [];
    for (const consumer of plan.consumers) {
        const outcome = yield* refreshConsumer(run, consumer, published.version, created.fingerprint);
        if (!outcome) return run.record();
        evidence.push(`${consumer.name}: ${outcome.ok ? 'ok' : 'failed'} (${outcome.detail})`);
        if (outcome.ok && consumer.type === 'probe') confirmedProbes.push(consumer.name);
        if (outcome.ok && consumer.type === 'appService') resolvedApps.push(consumer.name);
        if (!outcome.ok && consumer.onFailure === 'abort') {
            run.mark('refresh', 'failed', evidence.join('; '));
            return yield* run.finish(
                'AttentionRequired',
                'refresh',
                'consumer_refresh_failed',
                `consumer ${consumer.name} did not take the new secret (${outcome.detail}); the old credential is kept`,
            );
        }
    }
    run.mark('refresh', 'succeeded', evidence.join('; ') || 'no consumers configured');
    yield* run.stepCompleted('refresh');

    // confirm: what proves consumers switched. Probes answered above; sign-ins by consumers with the new key are
    // read at the usage gate. Without any of it the old key stays (unless the operator waived it for this secret).
    const refreshedAt = context.df.currentUtcDateTime;
    for (const name of confirmedProbes) {
        run.addEvidence('probe', 'newKeyInUse', `${name} reports the new fingerprint ${created.fingerprint}`);
    }
    for (const name of resolvedApps) {
        run.addEvidence(
            'appServiceReference',
            'newKeyInUse',
            `${name} re-resolved its Key Vault reference to the new version ${published.version}`,
        );
    }
    if (plan.acceptNoEvidence) {
        run.addEvidence(
            'tag',
            'noEvidenceAccepted',
            `tag ${EVIDENCE_WAIVER_TAG}=${EVIDENCE_WAIVER_VALUE} on the secret`,
        );
    }
    run.markConfirm();

    // grace: long enough for every consumer to have re-read the secret and for the sign-in window to be full.
    const gate = gateTiming(plan, publishedAt, refreshedAt);
    run.mark('grace', 'waiting', `until ${gate.at.toISOString()}`);
    run.publishStatus();
    if (isBefore(context.df.currentUtcDateTime, gate.at)) yield context.df.createTimer(gate.at);
    run.mark('grace', 'succeeded', `${plan.gracePeriodDays} day(s) passed`);

    if (plan.oldKeyPresent) {
        const outcome = yield* usageGate(run, plan, created, publishedAt, gate.windowStart, gateMarkers);
        if (outcome === undefined) return run.record();
        if (outcome !== 'clear')
            return yield* run.finish('AttentionRequired', outcome.step, outcome.code, outcome.message);
        const deleted = yield* run.activity<DeleteOldResult>('deleteOld', Activities.deleteOldCredential, {
            appObjectId: plan.appObjectId,
            keyId: plan.oldKeyId,
        });
        if (!deleted) return run.record();
        run.mark('deleteOld', 'succeeded', deleted.result === 'removed' ? `removed ${plan.oldKeyId}` : 'already gone');
    } else {
        run.mark('confirm', 'skipped', 'the old credential is already gone: nothing waits on the switch');
        run.mark('usageGate', 'skipped', 'the old credential is no longer on the application');
        run.mark('deleteOld', 'skipped', 'nothing to delete');
    }
    return yield* run.finish('Completed', 'deleteOld', 'completed', 'rotation completed');
}

/**
 * Verification across Entra's propagation delay: one attempt per activity, durable timers between. The new
 * secret counts as usable after VERIFY_SUCCESSES consecutive successes (a fresh secret can work on one replica
 * and not yet on another). It fails only once an attempt that *started* at or after the deadline failed, so an
 * orchestrator that wakes up late still tries at least once more, however late.
 */
function* verifyWithPropagation(
    run: Run,
    plan: RotationPlan,
    created: Extract<CreateResult, { ok: true }>,
): Flow<VerifyResult> {
    const { context, input } = run;
    const deadline = addSeconds(context.df.currentUtcDateTime, plan.propagationTimeoutSeconds);
    let delay = VERIFY_FIRST_DELAY_SECONDS;
    let streak = 0;
    for (let attempt = 1; ; attempt++) {
        run.mark('verifyNew', 'running', `attempt ${attempt}`);
        run.publishStatus();
        const startedAt = context.df.currentUtcDateTime;
        const correlationId = context.df.newGuid(`${input.rotationId}:verify:${attempt}`);
        run.ownSignIns.push(correlationId);
        let result: VerifyResult;
        try {
            result = yield* callActivity<VerifyResult>(context, Activities.verifyCredential, {
                vaultUrl: input.vaultUrl,
                secretName: input.secretName,
                appId: plan.appId,
                keyId: created.keyId,
                fingerprint: created.fingerprint,
                correlationId,
            });
        } catch (error) {
            // Could not even try (vault or network down past retries): unproven means not published.
            const detail = firstLine(error);
            result = {
                ok: false,
                category: errorCodeOf(error),
                aadstsCode: null,
                retryable: false,
                mayBePropagationDelay: false,
                detail,
            };
        }
        if (result.ok) {
            streak += 1;
            if (streak >= VERIFY_SUCCESSES) {
                run.mark(
                    'verifyNew',
                    'succeeded',
                    `token issued with the new secret (fresh client, no cache) ${streak} times in a row, last on attempt ${attempt}`,
                );
                yield* run.stepCompleted('verifyNew');
                return result;
            }
            yield context.df.createTimer(addSeconds(context.df.currentUtcDateTime, VERIFY_FIRST_DELAY_SECONDS));
            continue;
        }
        streak = 0;
        const worthWaiting = result.mayBePropagationDelay || result.retryable;
        if (!worthWaiting || !isBefore(startedAt, deadline)) {
            run.mark('verifyNew', 'failed', `${result.category}: ${result.detail} (attempt ${attempt})`);
            return result;
        }
        const now = context.df.currentUtcDateTime;
        // Past the deadline already (a late wake-up): the next attempt runs at once and is the last.
        if (isBefore(now, deadline)) {
            const next = addSeconds(now, delay);
            yield context.df.createTimer(isBefore(next, deadline) ? next : deadline);
        }
        delay = Math.min(delay * 2, VERIFY_MAX_DELAY_SECONDS);
    }
}

/** A webhook is retried a few times; a probe is polled until it reports the new fingerprint or time runs out. */
function* refreshConsumer(
    run: Run,
    consumer: ConsumerRef,
    version: string,
    fingerprint: string,
): Flow<RefreshOutcome | undefined> {
    const { context, input } = run;
    const request = {
        consumerName: consumer.name,
        vaultUrl: input.vaultUrl,
        secretName: input.secretName,
        secretVersion: version,
        fingerprint,
        rotationId: input.rotationId,
        requestedAt: context.df.currentUtcDateTime.toISOString(),
    };
    // Probes and App Service references are polled until they show the new version; webhooks are retried.
    const polled = consumer.type !== 'webhook';
    const deadline = addSeconds(context.df.currentUtcDateTime, polled ? consumer.maxWaitSeconds : 0);
    const interval = polled ? consumer.intervalSeconds : 5;
    for (let attempt = 1; ; attempt++) {
        let outcome: RefreshOutcome;
        try {
            outcome = yield* callActivity<RefreshOutcome>(context, Activities.refreshConsumer, request);
        } catch (error) {
            outcome = { ok: false, retryable: false, detail: `refresh call failed (${errorCodeOf(error)})` };
        }
        if (outcome.ok) return outcome;
        const keepTrying =
            consumer.type === 'probe'
                ? isBefore(context.df.currentUtcDateTime, deadline)
                : consumer.type === 'appService'
                  ? outcome.retryable && isBefore(context.df.currentUtcDateTime, deadline)
                  : outcome.retryable && attempt < WEBHOOK_ATTEMPTS;
        if (!keepTrying) return outcome;
        yield context.df.createTimer(addSeconds(context.df.currentUtcDateTime, interval * (polled ? 1 : attempt)));
    }
}

/**
 * When the gate first looks, and from when old-key sign-ins count: consumers are expected to have switched one
 * token lifetime after they were refreshed; the first check waits for the grace period and for that instant
 * plus the log's latency.
 */
function gateTiming(plan: RotationPlan, publishedAt: Date, refreshedAt: Date): { at: Date; windowStart: Date } {
    const tokenLifetime = plan.usageGate.tokenLifetimeMinutes ?? plan.usageGate.windowMinutes;
    const windowStart = addMinutes(refreshedAt, tokenLifetime);
    const latency = plan.usageGate.latencyMinutes ?? 0;
    return {
        windowStart,
        at: laterOf(addHours(publishedAt, plan.gracePeriodDays * 24), addMinutes(windowStart, latency)),
    };
}

/** How long the collector must keep this rotation's records: past the last re-check the gate can make. */
function watchUntil(plan: RotationPlan, publishedAt: Date): Date {
    const gate = plan.usageGate;
    const hours =
        plan.gracePeriodDays * 24 +
        ((gate.tokenLifetimeMinutes ?? gate.windowMinutes) + (gate.latencyMinutes ?? 0)) / 60 +
        gate.maxChecks * gate.recheckHours +
        WAIVER_WAIT_HOURS +
        24;
    return addMinutes(publishedAt, Math.ceil(hours * 60));
}

type GateOutcome = 'clear' | { step: StepName; code: string; message: string };

/**
 * The usage gate (rules in shared/domain/evidence.ts). Each check: the rotator signs in with the new key itself
 * (a known event), waits the log's latency, then reads every page of the app's successful sign-ins since the
 * switch. The old key may go only when the log is proven to reach past the grace period, shows no old-key
 * sign-in since consumers should have switched, and something other than the rotator showed the new key in use.
 * Returns undefined when the rotation already ended.
 */
function* usageGate(
    run: Run,
    plan: RotationPlan,
    created: Extract<CreateResult, { ok: true }>,
    publishedAt: Date,
    windowStart: Date,
    gateMarkers: readonly string[],
): Flow<GateOutcome | undefined> {
    const { context, input } = run;
    const markers: { correlationId: string; at: string }[] = [];
    let max = plan.usageGate.maxChecks;
    let last: GateOutcome = 'clear';
    for (let check = 1; check <= max; check++) {
        run.mark(
            'usageGate',
            'running',
            `check ${check} of ${max}: old-key sign-ins since ${windowStart.toISOString()}`,
        );
        run.publishStatus();

        // A known event: the log has caught up to this moment once it shows this sign-in.
        let correlationId = gateMarkers[check - 1];
        if (!correlationId) {
            // A check beyond those named at publication (after an operator's waiver): the collector must know this
            // sign-in as the rotator's own before it can appear, or it would count as a consumer using the new key.
            correlationId = context.df.newGuid(`${input.rotationId}:gate:${check}`);
            try {
                yield* callActivity<void>(context, Activities.watchSignIns, {
                    appId: plan.appId,
                    from: publishedAt.toISOString(),
                    until: watchUntil(plan, context.df.currentUtcDateTime).toISOString(),
                    ownCorrelationIds: [correlationId],
                });
            } catch {
                // Unregistered, the marker is not made: without it the log cannot be proven to have caught up,
                // so this check says "not proven" (never "unused").
                correlationId = undefined;
            }
        }
        const markerAt = context.df.currentUtcDateTime.toISOString();
        let own: VerifyResult = {
            ok: false,
            category: 'signin_watch_failed',
            aadstsCode: null,
            retryable: true,
            mayBePropagationDelay: false,
            detail: "the sign-in collector could not be told about the gate's own sign-in",
        };
        if (correlationId) {
            try {
                own = yield* callActivity<VerifyResult>(context, Activities.verifyCredential, {
                    vaultUrl: input.vaultUrl,
                    secretName: input.secretName,
                    appId: plan.appId,
                    keyId: created.keyId,
                    fingerprint: created.fingerprint,
                    source: 'live',
                    correlationId,
                });
            } catch (error) {
                own = {
                    ok: false,
                    category: errorCodeOf(error),
                    aadstsCode: null,
                    retryable: true,
                    mayBePropagationDelay: false,
                    detail: firstLine(error),
                };
            }
        }
        if (own.ok && correlationId) {
            markers.push({ correlationId, at: markerAt });
            run.ownSignIns.push(correlationId);
            if (own.evidenceWaived && !run.evidence.some((e) => e.kind === 'noEvidenceAccepted')) {
                run.addEvidence(
                    'tag',
                    'noEvidenceAccepted',
                    `tag ${EVIDENCE_WAIVER_TAG}=${EVIDENCE_WAIVER_VALUE} on the secret`,
                );
            }
        }
        const latency = plan.usageGate.latencyMinutes ?? 0;
        if (latency > 0) {
            run.mark(
                'usageGate',
                'waiting',
                `check ${check} of ${max}: ${latency} min for the sign-in log to take in the rotator's own sign-in`,
            );
            run.publishStatus();
            yield context.df.createTimer(addMinutes(context.df.currentUtcDateTime, latency));
        }

        run.mark('usageGate', 'running', `check ${check} of ${max}: reading the sign-in log`);
        run.publishStatus();
        let read: UsageResult;
        try {
            // The shared collector's records, from a complete read of the log that started after this moment
            // (after the log-latency wait): one tenant-wide query serves every gate due at the same time.
            read = yield* callActivity<UsageResult>(
                context,
                Activities.readSignInEvidence,
                {
                    appId: plan.appId,
                    keys: [
                        { keyId: plan.oldKeyId, since: windowStart.toISOString() },
                        { keyId: created.keyId, since: publishedAt.toISOString() },
                    ],
                    ownCorrelationIds: [...run.ownSignIns],
                    asOf: context.df.currentUtcDateTime.toISOString(),
                },
                undefined,
                run.waitingForQuota('usageGate'),
            );
        } catch (error) {
            // Still throttled after a day of waiting, or failing past retries: not proven, so re-check later.
            read = { complete: false, reason: `${errorCodeOf(error)}: ${firstLine(error)}` };
        }
        const now = context.df.currentUtcDateTime.toISOString();
        const newUse = newKeySignIns(read, created.keyId, now);
        if (newUse) run.setEvidence(newUse);
        const verdict = judgeUsage({
            oldKeyId: plan.oldKeyId,
            newKeyId: created.keyId,
            windowStart: windowStart.toISOString(),
            markers,
            read,
            now,
        });
        run.setEvidence(verdict.evidence);
        run.markConfirm();

        let detail: string;
        if (verdict.kind === 'clear') {
            if (switchProven(run.evidence)) {
                run.mark('usageGate', 'succeeded', `${verdict.evidence.detail} (check ${check})`);
                yield* run.stepCompleted('usageGate');
                return 'clear';
            }
            detail = `nothing shows a consumer using the new key ${created.keyId} (no probe, no consumer sign-in)`;
            last = {
                step: 'confirm',
                code: ErrorCodes.noSwitchEvidence,
                message: `${detail}; the old credential ${plan.oldKeyId} was kept. If no consumer can show it, set the tag ${EVIDENCE_WAIVER_TAG}=${EVIDENCE_WAIVER_VALUE} on the secret to let the sign-in log decide alone`,
            };
        } else if (verdict.kind === 'inUse') {
            detail = verdict.evidence.detail;
            yield* run.emit('Rotation.OldCredentialInUse', { step: 'usageGate', detail, check });
            last = {
                step: 'usageGate',
                code: ErrorCodes.stillInUse,
                message: `the old credential ${plan.oldKeyId} is still used for sign-ins after ${max} check(s) (${detail}); it was not deleted`,
            };
        } else {
            detail = verdict.reason;
            last = {
                step: 'usageGate',
                code: ErrorCodes.usageNotProven,
                message: `it could not be proven that nothing uses the old credential ${plan.oldKeyId} after ${max} check(s) (${detail}); it was not deleted`,
            };
        }
        if (check === max) {
            // No switch evidence: offer the operator's "accept no evidence" for a bounded time; once accepted,
            // one more full check runs (the old key may have come back into use while we waited).
            if (last.code === ErrorCodes.noSwitchEvidence && !run.timeline.record.waiver) {
                const accepted = yield* awaitNoEvidenceWaiver(run, last);
                if (accepted) {
                    max += 1;
                    continue;
                }
                last = { ...last, message: `${last.message}; no operator accepted "no evidence" in time` };
            }
            break;
        }
        run.mark('usageGate', 'waiting', `${detail}; re-checking in ${plan.usageGate.recheckHours} h`);
        run.publishStatus();
        yield context.df.createTimer(addHours(context.df.currentUtcDateTime, plan.usageGate.recheckHours));
    }
    return last;
}

/**
 * Waits (durable timer bound) for an operator to accept "no evidence" for this rotation through the operator API
 * (`POST /api/rotations/{id}/accept-no-evidence`, which raises ACCEPT_NO_EVIDENCE_EVENT). Meanwhile the rotation
 * shows AttentionRequired with the action offered. Returns whether it was accepted; the waiver (who, when, why)
 * goes into the evidence and the history record.
 */
function* awaitNoEvidenceWaiver(run: Run, pending: Exclude<GateOutcome, 'clear'>): Flow<boolean> {
    const { context } = run;
    const r = run.timeline.record;
    const deadline = addHours(context.df.currentUtcDateTime, WAIVER_WAIT_HOURS);
    const until = deadline.toISOString();
    r.status = 'AttentionRequired';
    r.reason = {
        code: pending.code,
        message: `${pending.message}. Or accept "no evidence" for this rotation (operator API, Rotation.Admin, with a reason) until ${until}`,
    };
    r.awaiting = { action: 'acceptNoEvidence', until };
    run.mark(
        'confirm',
        'waiting',
        `no evidence that a consumer uses the new key; an operator may accept that until ${until}`,
    );
    run.publishStatus();
    yield* run.saveHistory();
    yield* run.emit('Rotation.AttentionRequired', {
        step: 'confirm',
        code: pending.code,
        detail: r.reason.message,
        awaitingOperatorUntil: until,
    });
    const timer = context.df.createTimer(deadline);
    for (;;) {
        const event = context.df.waitForExternalEvent(ACCEPT_NO_EVIDENCE_EVENT);
        const winner = yield context.df.Task.any([event, timer]);
        r.awaiting = null;
        if (winner !== event) {
            r.status = 'Running';
            r.reason = null;
            return false;
        }
        const parsed = WaiverEventSchema.safeParse(event.result);
        // Only the API raises this event; anything else (a hand-made raise with a wrong shape) is ignored.
        if (!parsed.success) {
            r.awaiting = { action: 'acceptNoEvidence', until };
            continue;
        }
        timer.cancel();
        const at = context.df.currentUtcDateTime.toISOString();
        const by = parsed.data.by;
        r.waiver = { by, at, reason: parsed.data.reason };
        r.status = 'Running';
        r.reason = null;
        run.addEvidence(
            'operator',
            'noEvidenceAccepted',
            `${by.name ?? by.appId ?? by.objectId ?? 'an operator'} accepted "no evidence" for this rotation: ${parsed.data.reason}`,
        );
        run.markConfirm();
        run.publishStatus();
        yield* run.saveHistory();
        return true;
    }
}

/** Timeline, events and error handling around activity calls for one rotation. */
class Run {
    readonly timeline: Timeline;
    /** Correlation ids of the rotator's own sign-ins with the new key: never evidence that consumers switched. */
    readonly ownSignIns: string[] = [];
    /** When the create step's last attempt ended: from then on credentials marked with this rotation may exist. */
    createSettledAt: Date | undefined;
    /** The credential this rotation published (the secret holds it): the sweep keeps it. */
    published: string | undefined;
    #swept: SweepOutcome | undefined;

    /** When the orchestration began (its first execution's time, the same on every replay). */
    readonly startedAt: string;

    constructor(
        readonly context: OrchestrationContext,
        readonly input: RotationInput,
    ) {
        this.timeline = new Timeline(input.rotationId, input.vaultUrl, input.secretName);
        this.startedAt = context.df.currentUtcDateTime.toISOString();
    }

    /**
     * Writes the history record (idempotent activity, conditional write; final once the rotation ended). A store
     * that stays down is a warning on the rotation, never a reason to stop or fail it.
     */
    *saveHistory(): Flow<void> {
        const r = this.timeline.record;
        const now = this.context.df.currentUtcDateTime.toISOString();
        const final = r.status !== 'Running' && !r.awaiting;
        const record = {
            id: this.context.df.instanceId,
            rotationId: r.rotationId,
            vaultUrl: r.vaultUrl,
            secretName: r.secretName,
            dryRun: this.input.dryRun,
            trigger: this.input.trigger,
            reason: this.input.reason,
            startedBy: this.input.startedBy ?? null,
            status: r.status === 'DryRun' ? 'Completed' : r.status,
            final,
            startedAt: this.startedAt,
            updatedAt: now,
            finishedAt: final ? now : null,
            appId: r.appId,
            oldKeyId: r.oldKeyId,
            newKeyId: r.newKeyId,
            oldFingerprint: r.oldFingerprint,
            newFingerprint: r.newFingerprint,
            newSecretVersion: r.newSecretVersion,
            outcome: r.reason,
            findings: r.findings,
            plan: r.plan,
            steps: r.steps,
            evidence: r.evidence,
            waiver: r.waiver ?? null,
            awaiting: r.awaiting ?? null,
        };
        try {
            yield* callActivity<{ outcome: string }>(this.context, Activities.recordHistory, { asOf: now, record });
        } catch (error) {
            r.findings.push({
                severity: 'warning',
                code: 'history_not_recorded',
                message: `the rotation's history record could not be written (${errorCodeOf(error)})`,
            });
        }
    }

    mark(step: StepName, state: 'running' | 'waiting' | 'succeeded' | 'failed' | 'skipped', detail = ''): void {
        this.timeline.mark(step, state, this.context.df.currentUtcDateTime, detail);
    }

    get evidence(): readonly EvidenceItem[] {
        return this.timeline.record.evidence;
    }

    addEvidence(source: string, kind: EvidenceItem['kind'], detail: string): void {
        this.timeline.record.evidence.push(
            item(source, kind, this.context.df.currentUtcDateTime.toISOString(), detail),
        );
    }

    /** Keeps one item per source and kind: the latest read replaces the previous one. */
    setEvidence(entry: EvidenceItem): void {
        const list = this.timeline.record.evidence;
        const index = list.findIndex((e) => e.source === entry.source && e.kind === entry.kind);
        // A read that is no longer "not proven" (or "in use") supersedes the earlier sign-in log verdicts.
        if (entry.source === 'signInLog' && entry.kind !== 'newKeyInUse') {
            for (let i = list.length - 1; i >= 0; i--) {
                const e = list[i]!;
                if (e.source === 'signInLog' && e.kind !== 'newKeyInUse') list.splice(i, 1);
            }
            list.push(entry);
            return;
        }
        if (index >= 0) list[index] = entry;
        else list.push(entry);
    }

    /** The confirm step states what proves the switch, and is succeeded only when something does. */
    markConfirm(): void {
        const proofs = this.evidence.filter((e) => e.kind === 'newKeyInUse' || e.kind === 'noEvidenceAccepted');
        const detail =
            proofs.length > 0
                ? proofs.map((e) => `${e.source}: ${e.detail}`).join('; ')
                : 'no evidence yet that a consumer uses the new key (probes, consumer sign-ins with the new key)';
        this.mark('confirm', proofs.length > 0 ? 'succeeded' : 'waiting', detail);
    }

    publishStatus(): void {
        // Bounded: the extension fails the orchestration on a status over 16 KB (statusBudget.ts).
        this.context.df.setCustomStatus(boundedStatus(this.timeline.snapshot()));
    }

    record(): RotationRecord {
        this.publishStatus();
        return this.timeline.snapshot();
    }

    adoptPlan(plan: RotationPlan): void {
        const r = this.timeline.record;
        r.appId = plan.appId || null;
        r.oldKeyId = plan.oldKeyId || null;
        r.oldFingerprint = plan.oldFingerprint;
        r.findings = [...plan.findings];
        r.plan = {
            appObjectId: plan.appObjectId,
            appDisplayName: plan.appDisplayName,
            oldKeyPresent: plan.oldKeyPresent,
            oldEndDateTime: plan.oldEndDateTime,
            newCredential: plan.newCredential,
            gracePeriodDays: plan.gracePeriodDays,
            usageGate: plan.usageGate,
            consumers: plan.consumers.map((c) => `${c.name} (${c.type}, ${c.onFailure})`),
        };
    }

    /**
     * Runs a step's activity with retries. If it still fails, the rotation ends: as Failed before anything
     * changed, as AttentionRequired once a credential exists (a human decides; nothing is deleted blindly).
     * Returns undefined when the rotation ended.
     */
    *activity<T>(step: StepName, name: string, input: unknown): Flow<T | undefined> {
        this.mark(step, 'running');
        this.publishStatus();
        try {
            return yield* callActivity<T>(this.context, name, input, undefined, this.waitingForQuota(step));
        } catch (error) {
            const message = firstLine(error);
            const changed = this.timeline.record.newKeyId !== null;
            yield* this.finish(changed ? 'AttentionRequired' : 'Failed', step, errorCodeOf(error), message);
            return undefined;
        }
    }

    createSettled(): void {
        this.createSettledAt = this.context.df.currentUtcDateTime;
    }

    /**
     * Once per rotation, before it ends: waits until Graph's read-after-write lag has passed since the last create
     * attempt (so a credential whose addPassword response was lost, or whose attempt was killed before its stash,
     * is listed), then removes this rotation's marked credentials except the one it published.
     */
    *sweep(step: StepName): Flow<SweepOutcome> {
        if (this.#swept) return this.#swept;
        const { context, input } = this;
        const settled = this.createSettledAt ?? context.df.currentUtcDateTime;
        const seenPastLag = addMinutes(settled, GRAPH_LAG_BOUND_MINUTES);
        if (isBefore(context.df.currentUtcDateTime, seenPastLag)) {
            const before = this.timeline.record.steps.find((s) => s.name === step);
            this.mark(
                step,
                'waiting',
                `until ${seenPastLag.toISOString()}: Graph may not list a just-created credential yet; then this rotation's leftovers are removed`,
            );
            this.publishStatus();
            yield context.df.createTimer(seenPastLag);
            // A step that had succeeded keeps its own outcome; a failing one is marked by finish().
            if (before && before.state === 'succeeded') this.mark(step, before.state, before.detail);
        }
        try {
            this.#swept = yield* callActivity<SweepResult>(context, Activities.sweepCredentials, {
                rotationId: input.rotationId,
                vaultUrl: input.vaultUrl,
                secretName: input.secretName,
                appId: this.timeline.record.appId ?? '',
                ...(this.published ? { keepKeyId: this.published } : {}),
            });
        } catch (error) {
            this.#swept = { failed: `${errorCodeOf(error)}: ${firstLine(error)}` };
        }
        return this.#swept;
    }

    /** Shows a step sleeping for quota as `waiting`, so progress reports can tell it from work in progress. */
    waitingForQuota(step: StepName): CallOptions {
        return {
            onThrottled: (until) => {
                this.mark(step, 'waiting', `waiting for quota until ${until.toISOString()}`);
                this.publishStatus();
            },
        };
    }

    /** Notifications are best effort: a dead topic must not stop (or fail) a rotation that is going well. */
    *emit(type: string, extra: Readonly<Record<string, string | number | boolean | null>> = {}): Flow<void> {
        const event: LifecycleEvent = this.timeline.event(type, this.context.df.currentUtcDateTime, extra);
        try {
            yield* callActivity<void>(this.context, Activities.notify, { events: [event] });
        } catch (error) {
            this.timeline.record.findings.push({
                severity: 'warning',
                code: 'notification_failed',
                message: `${type} could not be published (${errorCodeOf(error)})`,
            });
        }
    }

    *stepCompleted(step: StepName): Flow<void> {
        const detail = this.timeline.record.steps.find((s) => s.name === step)?.detail ?? '';
        yield* this.emit('Rotation.StepCompleted', { step, detail });
    }

    *finish(
        status: Exclude<RotationStatus, 'Running' | 'DryRun'>,
        step: StepName,
        code: string,
        message: string,
    ): Flow<RotationRecord> {
        const r = this.timeline.record;
        let note = '';
        if (this.createSettledAt && !this.input.dryRun) {
            const already = this.#swept !== undefined;
            const swept = yield* this.sweep(step);
            const newKeyId = r.newKeyId ?? undefined;
            if (!already) note = sweepNote(swept, this.input.rotationId, newKeyId, this.published, true);
            if ('failed' in swept) {
                // Something of ours may be left on the application: a human should know, whatever else happened.
                if (status === 'Failed') status = 'AttentionRequired';
                r.findings.push({
                    severity: 'warning',
                    code: 'leftovers_not_checked',
                    message: sweepNote(swept, this.input.rotationId, newKeyId, this.published, false).slice(2),
                });
            } else {
                const leftovers = swept.removed.filter((k) => k !== newKeyId);
                if (leftovers.length > 0)
                    r.findings.push({
                        severity: 'info',
                        code: 'leftovers_removed',
                        message: `removed ${leftovers.length} credential(s) left by interrupted create attempts (${leftovers.join(', ')})`,
                    });
            }
        }
        r.status = status;
        if (status !== 'Completed') {
            r.reason = { code, message: `${message}${note}` };
            this.mark(step, 'failed', `${message}${note}`);
        }
        this.publishStatus();
        const type =
            status === 'Completed'
                ? 'Rotation.Completed'
                : status === 'Failed'
                  ? 'Rotation.Failed'
                  : 'Rotation.AttentionRequired';
        // A dry run announces nothing, even when it could not complete its checks.
        if (!this.input.dryRun) {
            yield* this.emit(
                type,
                status === 'Completed'
                    ? note
                        ? { detail: `${message}${note}` }
                        : {}
                    : { step, code, detail: `${message}${note}` },
            );
        }
        return this.record();
    }
}

type SweepOutcome = SweepResult | { readonly failed: string };

/**
 * What the sweep found, as a clause appended to the outcome ("; …"), empty when there was nothing to say.
 * `createdKeyId`: the rotation's own new credential, reported by the caller.
 */
function sweepNote(
    swept: SweepOutcome,
    rotationId: string,
    newKeyId: string | undefined,
    published: string | undefined,
    reportNew: boolean,
): string {
    if ('failed' in swept)
        return `; this rotation's credentials (named rotator:${rotationId}) could not be checked after Graph's lag (${swept.failed}): one may be left on the application until a later scan removes it`;
    const parts: string[] = [];
    const leftovers = swept.removed.filter((k) => k !== newKeyId);
    if (leftovers.length > 0)
        parts.push(
            `removed ${leftovers.length} credential(s) left by interrupted create attempts (${leftovers.join(', ')})`,
        );
    if (reportNew && newKeyId && newKeyId !== published) {
        const kept = swept.kept.find((k) => k.keyId === newKeyId);
        parts.push(
            swept.removed.includes(newKeyId)
                ? `the new credential ${newKeyId} was removed`
                : kept
                  ? `the new credential ${newKeyId} was kept (${kept.why})`
                  : swept.unconfirmed.includes(newKeyId)
                    ? `the new credential ${newKeyId} may still exist (Graph lists it but answered "not found" to removing it)`
                    : `the new credential ${newKeyId} is no longer on the application`,
        );
    }
    const stuck = swept.unconfirmed.filter((k) => k !== newKeyId);
    if (stuck.length > 0)
        parts.push(
            `credential(s) ${stuck.join(', ')} named rotator:${rotationId} may still exist (Graph lists them but answered "not found" to removing them)`,
        );
    for (const k of swept.kept)
        if (k.keyId !== newKeyId) parts.push(`kept credential ${k.keyId} named rotator:${rotationId} (${k.why})`);
    if (swept.stash === 'kept' && swept.stashDetail && !published)
        parts.push(`the pending secret was kept: ${swept.stashDetail}`);
    return parts.length > 0 ? `; ${parts.join('; ')}` : '';
}

/** Durable flattens a failed activity to "<message> \n <details>"; the first line is ours and safe to show. */
function firstLine(error: unknown): string {
    return error instanceof Error
        ? (error.message.split('\n')[0] ?? '').trim() || 'activity failed'
        : 'activity failed';
}

function summarizePlan(plan: RotationPlan): string {
    const warnings = plan.findings.filter((f) => f.severity !== 'error').map((f) => f.code);
    return [
        `app ${plan.appId}`,
        `old key ${plan.oldKeyId}${plan.oldKeyPresent ? '' : ' (absent)'}`,
        `new lifetime ${plan.newCredential.lifetimeDays} d${plan.newCredential.clamped ? ' (clamped)' : ''}`,
        `grace ${plan.gracePeriodDays} d`,
        `${plan.consumers.length} consumer(s)`,
        ...(warnings.length > 0 ? [`notes: ${warnings.join(', ')}`] : []),
    ].join('; ');
}

function createDetail(created: Extract<CreateResult, { ok: true }>): string {
    const parts = [`key ${created.keyId}`, `fingerprint ${created.fingerprint}`, `expires ${created.endDateTime}`];
    if (created.reused) parts.push('recovered from an interrupted attempt');
    if (created.orphansRemoved.length > 0) parts.push(`removed orphan(s) ${created.orphansRemoved.join(', ')}`);
    return parts.join('; ');
}
