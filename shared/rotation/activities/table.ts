import { setTimeout as sleep } from 'node:timers/promises';

import { z } from 'zod';

import { type Logger } from '../../logging/logger';
import { type PacingContext, runWithPacing } from '../../pacing/pacingContext';
import { GRAPH_SCOPE, type QuotaName } from '../../pacing/quotaBudget';
import { asThrottledResult, type ThrottledResult } from '../../pacing/throttled';
import { PACING_FIELD } from '../../workflows/callActivity';
import {
    CreateInputSchema,
    DeleteOldInputSchema,
    DiscardInputSchema,
    DiscardOrphansInputSchema,
    NotifyInputSchema,
    parseActivityInput,
    PreflightInputSchema,
    PublishInputSchema,
    RecordHistoryInputSchema,
    RefreshInputSchema,
    SignInEvidenceInputSchema,
    SweepInputSchema,
    UsageInputSchema,
    VerifyInputSchema,
    WatchSignInsInputSchema,
} from '../contracts';
import { type RotationDeps } from '../deps';
import { Activities } from '../names';
import { createCredential, discardOrphans } from './createCredential';
import { recordHistory } from './history';
import {
    checkUsage,
    deleteOldCredential,
    notify,
    readSignInEvidence,
    refreshConsumer,
    watchSignIns,
} from './observe';
import { preflight } from './preflight';
import { publishCredential } from './publishCredential';
import { sweepCredentials } from './sweepCredentials';
import { discardCredential, verifyCredential } from './verifyCredential';

/** Validates an activity's raw input, then runs its use-case. */
export type ActivityHandler = (deps: RotationDeps, raw: unknown, log: Logger) => Promise<unknown>;

function entry<S extends z.ZodType>(
    name: string,
    schema: S,
    run: (deps: RotationDeps, input: z.output<S>, log: Logger) => Promise<unknown>,
): [string, ActivityHandler] {
    return [
        name,
        async (deps, raw, log) => {
            const input = parseActivityInput(schema, raw, name);
            const pacing = pacingOf(raw);
            const quota = ACTIVITY_QUOTA.get(name);
            if (quota && deps.budget) {
                // Take the step's turn before its reads, so a step that must wait for quota costs no calls at all.
                const turn = deps.budget.admit(
                    quota,
                    GRAPH_SCOPE,
                    pacing.key && `${pacing.key}|${quota}`,
                    pacing.priority,
                );
                if (!turn.admitted) {
                    return {
                        throttled: {
                            retryAfterSeconds: Math.max(1, Math.ceil(turn.retryAfterMs / 1000)),
                            detail: `${name}: waiting for its ${quota} turn`,
                        },
                    } satisfies ThrottledResult;
                }
                if (turn.waitMs > 0) await sleep(turn.waitMs);
            }
            try {
                const context = { ...pacing, ...(quota && deps.budget ? { prepaid: new Set([quota]) } : {}) };
                return await runWithPacing(context, () => run(deps, input, log));
            } catch (error) {
                // Throttling is a reason to wait, not a failure: hand it back as a value so Durable spends no
                // retry on it and the orchestrator sleeps on a durable timer (callActivity).
                const throttled = asThrottledResult(error);
                if (!throttled) throw error;
                log.warn(`${name} throttled; the rotation waits for quota`, {
                    step: name,
                    durationMs: throttled.throttled.retryAfterSeconds * 1000,
                    errorCode: 'throttled',
                });
                return throttled;
            }
        },
    ];
}

/** The Graph quota each activity's main call spends (its first call on it uses the turn taken up front). */
const ACTIVITY_QUOTA: ReadonlyMap<string, QuotaName> = new Map<string, QuotaName>([
    [Activities.createCredential, 'graphWrites'],
    [Activities.deleteOldCredential, 'graphWrites'],
    [Activities.checkUsage, 'signInReads'],
]);

const PacingSchema = z
    .object({ key: z.string().max(1024).optional(), priority: z.enum(['high', 'normal', 'low']).default('normal') })
    .catch({ priority: 'normal' });

function pacingOf(raw: unknown): PacingContext {
    const value = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)[PACING_FIELD] : undefined;
    const parsed = PacingSchema.parse(value ?? {});
    return parsed.key === undefined ? { priority: parsed.priority } : { key: parsed.key, priority: parsed.priority };
}

/**
 * Every rotation activity: name → validated use-case. The function app registers exactly this table, and the
 * host-free orchestrator tests run it against fakes, so the two can never disagree.
 */
export const rotationActivities: ReadonlyMap<string, ActivityHandler> = new Map([
    entry(Activities.preflight, PreflightInputSchema, (deps, input) => preflight(deps, input)),
    entry(Activities.createCredential, CreateInputSchema, createCredential),
    entry(Activities.discardOrphans, DiscardOrphansInputSchema, discardOrphans),
    entry(Activities.sweepCredentials, SweepInputSchema, sweepCredentials),
    entry(Activities.verifyCredential, VerifyInputSchema, (deps, input) => verifyCredential(deps, input)),
    entry(Activities.discardCredential, DiscardInputSchema, (deps, input) => discardCredential(deps, input)),
    entry(Activities.publishCredential, PublishInputSchema, (deps, input) => publishCredential(deps, input)),
    entry(Activities.refreshConsumer, RefreshInputSchema, (deps, input) => refreshConsumer(deps, input)),
    entry(Activities.checkUsage, UsageInputSchema, (deps, input) => checkUsage(deps, input)),
    entry(Activities.watchSignIns, WatchSignInsInputSchema, (deps, input) => watchSignIns(deps, input)),
    // No quota turn up front: most gate reads are answered from the records; a read of the log takes its turns
    // per page in the Graph client.
    entry(Activities.readSignInEvidence, SignInEvidenceInputSchema, (deps, input) => readSignInEvidence(deps, input)),
    entry(Activities.deleteOldCredential, DeleteOldInputSchema, (deps, input) => deleteOldCredential(deps, input)),
    entry(Activities.notify, NotifyInputSchema, (deps, input) => notify(deps, input)),
    entry(Activities.recordHistory, RecordHistoryInputSchema, (deps, input) => recordHistory(deps, input)),
]);
