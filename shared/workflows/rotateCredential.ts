import { type OrchestrationContext, type Task } from 'durable-functions';

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
    type UsageResult,
    type VerifyResult,
} from '../rotation/contracts';
import { Activities } from '../rotation/names';
import { type LifecycleEvent, type RefreshOutcome } from '../rotation/ports';
import { callActivity, type CallOptions } from './callActivity';
import { type RotationRecord, type RotationStatus, type StepName, Timeline } from './timeline';

type Flow<T> = Generator<Task, T, unknown>;

/** Bounds on waiting, fixed in code so that a replay can never see different numbers. */
const VERIFY_FIRST_DELAY_SECONDS = 2;
const VERIFY_MAX_DELAY_SECONDS = 30;
const WEBHOOK_ATTEMPTS = 3;

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
        // Each failed attempt may have added a credential whose response was lost: sweep them before giving up.
        const sweep = {
            rotationId: input.rotationId,
            vaultUrl: input.vaultUrl,
            secretName: input.secretName,
            appId: plan.appId,
        };
        let swept = 'leftovers of this rotation were removed';
        try {
            yield* callActivity<{ removed: string[] }>(context, Activities.discardOrphans, sweep);
        } catch (cleanup) {
            swept = `leftovers could not be removed (${errorCodeOf(cleanup)}); look for credentials named rotator:${input.rotationId}`;
            return yield* run.finish(
                'AttentionRequired',
                'create',
                errorCodeOf(error),
                `${firstLine(error)}; ${swept}`,
            );
        }
        return yield* run.finish('Failed', 'create', errorCodeOf(error), `${firstLine(error)}; ${swept}`);
    }
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
        const discarded = yield* run.activity<{ removed: boolean }>('verifyNew', Activities.discardCredential, discard);
        if (!discarded) return run.record();
        return yield* run.finish(
            'AttentionRequired',
            'verifyNew',
            'verification_failed',
            `new credential did not authenticate (${verified.category}${verified.aadstsCode ? ` AADSTS${verified.aadstsCode}` : ''}): ${verified.detail}; it was removed and the old credential kept`,
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
    });
    if (!published) return run.record();
    const publishedAt = context.df.currentUtcDateTime;
    run.timeline.record.newSecretVersion = published.version;
    run.mark(
        'publish',
        'succeeded',
        `new version ${published.version} of ${input.secretName}, fingerprint ${created.fingerprint}`,
    );
    yield* run.stepCompleted('publish');

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

    // confirm: evidence that consumers switched. Probes answered above; sign-ins with the new key are counted at
    // the usage gate, in the same log query, once the sign-in log has caught up. Absence is not fatal: the usage
    // gate is what protects the old credential.
    const probeNames = confirmedProbes.length > 0 ? ` (${confirmedProbes.join(', ')})` : '';
    const appEvidence =
        resolvedApps.length > 0
            ? `; ${resolvedApps.length} App Service app(s) re-resolved their Key Vault references to the new version (${resolvedApps.join(', ')})`
            : '';
    const probeEvidence = `${confirmedProbes.length} probe(s) report the new fingerprint${probeNames}${appEvidence}`;
    run.mark('confirm', 'succeeded', `${probeEvidence}; sign-ins with the new key are counted at the usage gate`);

    // grace: long enough for every consumer to have re-read the secret and for the sign-in window to be full.
    const windowMinutes = plan.usageGate.windowMinutes;
    const gateAt = laterOf(addHours(publishedAt, plan.gracePeriodDays * 24), addMinutes(publishedAt, windowMinutes));
    run.mark('grace', 'waiting', `until ${gateAt.toISOString()}`);
    run.publishStatus();
    if (isBefore(context.df.currentUtcDateTime, gateAt)) yield context.df.createTimer(gateAt);
    run.mark('grace', 'succeeded', `${plan.gracePeriodDays} day(s) passed`);

    if (plan.oldKeyPresent) {
        const clear = yield* usageGate(run, plan, publishedAt, created.keyId, probeEvidence);
        if (clear === undefined) return run.record();
        if (!clear) {
            return yield* run.finish(
                'AttentionRequired',
                'usageGate',
                'still_in_use',
                `the old credential ${plan.oldKeyId} is still used for sign-ins after ${plan.usageGate.maxChecks} check(s); it was not deleted`,
            );
        }
        const deleted = yield* run.activity<DeleteOldResult>('deleteOld', Activities.deleteOldCredential, {
            appObjectId: plan.appObjectId,
            keyId: plan.oldKeyId,
        });
        if (!deleted) return run.record();
        run.mark('deleteOld', 'succeeded', deleted.result === 'removed' ? `removed ${plan.oldKeyId}` : 'already gone');
    } else {
        run.mark('usageGate', 'skipped', 'the old credential is no longer on the application');
        run.mark('deleteOld', 'skipped', 'nothing to delete');
    }
    return yield* run.finish('Completed', 'deleteOld', 'completed', 'rotation completed');
}

/** Verification across Entra's propagation delay: one attempt per activity, durable timers between. */
function* verifyWithPropagation(
    run: Run,
    plan: RotationPlan,
    created: Extract<CreateResult, { ok: true }>,
): Flow<VerifyResult> {
    const { context, input } = run;
    const deadline = addSeconds(context.df.currentUtcDateTime, plan.propagationTimeoutSeconds);
    let delay = VERIFY_FIRST_DELAY_SECONDS;
    for (let attempt = 1; ; attempt++) {
        run.mark('verifyNew', 'running', `attempt ${attempt}`);
        run.publishStatus();
        let result: VerifyResult;
        try {
            result = yield* callActivity<VerifyResult>(context, Activities.verifyCredential, {
                vaultUrl: input.vaultUrl,
                secretName: input.secretName,
                appId: plan.appId,
                keyId: created.keyId,
                fingerprint: created.fingerprint,
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
            run.mark(
                'verifyNew',
                'succeeded',
                `token issued with the new secret (fresh client, no cache) on attempt ${attempt}`,
            );
            yield* run.stepCompleted('verifyNew');
            return result;
        }
        const now = context.df.currentUtcDateTime;
        const worthWaiting = result.mayBePropagationDelay || result.retryable;
        if (!worthWaiting || !isBefore(now, deadline)) {
            run.mark('verifyNew', 'failed', `${result.category}: ${result.detail} (attempt ${attempt})`);
            return result;
        }
        const next = addSeconds(now, delay);
        yield context.df.createTimer(isBefore(next, deadline) ? next : deadline);
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
 * The old key may go only when no sign-in used it in the last (log latency + token lifetime) window, counted
 * from after the switch. Returns true when clear, false when still used after every re-check.
 */
function* usageGate(
    run: Run,
    plan: RotationPlan,
    publishedAt: Date,
    newKeyId: string,
    probeEvidence: string,
): Flow<boolean | undefined> {
    const { context } = run;
    for (let check = 1; check <= plan.usageGate.maxChecks; check++) {
        const now = context.df.currentUtcDateTime;
        const since = laterOf(publishedAt, addMinutes(now, -plan.usageGate.windowMinutes));
        run.mark(
            'usageGate',
            'running',
            `check ${check} of ${plan.usageGate.maxChecks}: sign-ins since ${since.toISOString()}`,
        );
        run.publishStatus();
        const usage = yield* run.activity<UsageResult>('usageGate', Activities.checkUsage, {
            appId: plan.appId,
            keyId: plan.oldKeyId,
            since: since.toISOString(),
            also: { keyId: newKeyId, since: publishedAt.toISOString() },
        });
        if (!usage) return undefined;
        const newKeyUse = `${usage.also?.count ?? 0} sign-in(s) with the new key since publish`;
        run.mark('confirm', 'succeeded', `${probeEvidence}; ${newKeyUse}`);
        if (usage.count === 0) {
            run.mark(
                'usageGate',
                'succeeded',
                `no sign-ins with ${plan.oldKeyId} since ${since.toISOString()} (check ${check}); ${newKeyUse}`,
            );
            yield* run.stepCompleted('usageGate');
            return true;
        }
        const detail = `${usage.count} sign-in(s) with the old key since ${since.toISOString()}, last at ${usage.lastSeen ?? 'unknown'}; ${newKeyUse}`;
        yield* run.emit('Rotation.OldCredentialInUse', { step: 'usageGate', detail, check });
        if (check === plan.usageGate.maxChecks) {
            run.mark('usageGate', 'failed', detail);
            return false;
        }
        run.mark('usageGate', 'waiting', `${detail}; re-checking in ${plan.usageGate.recheckHours} h`);
        run.publishStatus();
        yield context.df.createTimer(addHours(context.df.currentUtcDateTime, plan.usageGate.recheckHours));
    }
    return false;
}

/** Timeline, events and error handling around activity calls for one rotation. */
class Run {
    readonly timeline: Timeline;

    constructor(
        readonly context: OrchestrationContext,
        readonly input: RotationInput,
    ) {
        this.timeline = new Timeline(input.rotationId, input.vaultUrl, input.secretName);
    }

    mark(step: StepName, state: 'running' | 'waiting' | 'succeeded' | 'failed' | 'skipped', detail = ''): void {
        this.timeline.mark(step, state, this.context.df.currentUtcDateTime, detail);
    }

    publishStatus(): void {
        this.context.df.setCustomStatus(this.timeline.snapshot());
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
        r.status = status;
        if (status !== 'Completed') {
            r.reason = { code, message };
            this.mark(step, 'failed', message);
        }
        this.publishStatus();
        const type =
            status === 'Completed'
                ? 'Rotation.Completed'
                : status === 'Failed'
                  ? 'Rotation.Failed'
                  : 'Rotation.AttentionRequired';
        // A dry run announces nothing, even when it could not complete its checks.
        if (!this.input.dryRun) yield* this.emit(type, status === 'Completed' ? {} : { step, code, detail: message });
        return this.record();
    }
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
