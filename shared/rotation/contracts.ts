import { z } from 'zod';

import { type SignInRead } from '../domain/evidence';
import { inputError } from '../errors/RotatorError';
import { type Consumer } from './consumers';

/**
 * Activity inputs and outputs. Everything here is a reference or metadata (ids, names, dates, fingerprints):
 * Durable persists all of it in the task hub, so secret text must never appear in these shapes.
 */
const id = z.string().min(1).max(256);
const instant = z.iso.datetime({ offset: true });
const vault = z.url({ protocol: /^https$/ });
const fingerprint = z.string().regex(/^[0-9a-f]{12}$/);

export const RotationInputSchema = z.object({
    vaultUrl: vault,
    secretName: z.string().regex(/^[0-9A-Za-z-]{1,127}$/),
    rotationId: id,
    dryRun: z.boolean().default(false),
    reason: z.string().max(500).default(''),
    trigger: z.enum(['timer', 'keyVaultEvent', 'api']).default('api'),
    /** Quota priority; absent: operator-started rotations are high, scheduled and event-driven ones normal. */
    priority: z.enum(['high', 'normal']).optional(),
    /**
     * Who asked, for operator API starts: the caller's object id, app id and display name from the verified token
     * (never the token). Optional, so instances started before it existed replay unchanged.
     */
    startedBy: z
        .object({
            objectId: z.string().max(64).nullable(),
            appId: z.string().max(64).nullable(),
            name: z.string().max(256).nullable(),
        })
        .optional(),
});
export type RotationInput = z.output<typeof RotationInputSchema>;

export const PreflightInputSchema = RotationInputSchema.pick({
    vaultUrl: true,
    secretName: true,
    rotationId: true,
    dryRun: true,
}).extend({
    /** The orchestration's current time: activities take time from their caller, never from a clock. */
    asOf: instant,
});
export type PreflightInput = z.output<typeof PreflightInputSchema>;

export interface Finding {
    readonly severity: 'error' | 'warning' | 'info';
    readonly code: string;
    readonly message: string;
}

export interface RotationPlan {
    readonly ok: boolean;
    readonly findings: readonly Finding[];
    readonly appId: string;
    readonly appObjectId: string;
    readonly appDisplayName: string | null;
    readonly oldKeyId: string;
    /** The old credential still exists on the application. */
    readonly oldKeyPresent: boolean;
    readonly oldEndDateTime: string | null;
    readonly oldFingerprint: string | null;
    readonly newCredential: {
        readonly startDateTime: string;
        readonly endDateTime: string;
        readonly lifetimeDays: number;
        readonly clamped: boolean;
    };
    readonly gracePeriodDays: number;
    readonly propagationTimeoutSeconds: number;
    readonly usageGate: {
        /** Sign-in log latency + token lifetime (kept for plans recorded before the fields below existed). */
        readonly windowMinutes: number;
        readonly recheckHours: number;
        readonly maxChecks: number;
        readonly latencyMinutes?: number;
        readonly tokenLifetimeMinutes?: number;
    };
    /**
     * The operator accepted (tag `rotation-evidence: none-accepted`) that nothing can show this secret's consumers
     * using the new key; the old key may then go on the sign-in log's silence alone.
     */
    readonly acceptNoEvidence?: boolean;
    readonly consumers: readonly ConsumerRef[];
}

/**
 * What the orchestration knows of a consumer: its name and how to treat it, never its URL (Durable stores
 * every input and output; a URL can carry a key, e.g. a Functions `?code=`). Activities resolve the name
 * against the configuration.
 */
export type ConsumerRef =
    | { readonly name: string; readonly type: 'webhook'; readonly onFailure: Consumer['onFailure'] }
    | {
          readonly name: string;
          readonly type: 'probe';
          readonly onFailure: Consumer['onFailure'];
          readonly maxWaitSeconds: number;
          readonly intervalSeconds: number;
      }
    | {
          readonly name: string;
          readonly type: 'appService';
          readonly onFailure: Consumer['onFailure'];
          readonly maxWaitSeconds: number;
          readonly intervalSeconds: number;
      };

export function toConsumerRef(consumer: Consumer): ConsumerRef {
    return consumer.type === 'webhook'
        ? { name: consumer.name, type: 'webhook', onFailure: consumer.onFailure }
        : {
              name: consumer.name,
              type: consumer.type,
              onFailure: consumer.onFailure,
              maxWaitSeconds: consumer.maxWaitSeconds,
              intervalSeconds: consumer.intervalSeconds,
          };
}

export const CreateInputSchema = z.object({
    rotationId: id,
    vaultUrl: vault,
    secretName: z.string().min(1),
    appId: id,
    appObjectId: id,
    startDateTime: instant,
    endDateTime: instant,
});
export type CreateInput = z.output<typeof CreateInputSchema>;

export type CreateResult =
    | {
          readonly ok: true;
          readonly keyId: string;
          readonly fingerprint: string;
          readonly endDateTime: string;
          readonly reused: boolean;
          readonly orphansRemoved: readonly string[];
      }
    | {
          readonly ok: false;
          readonly code: string;
          readonly message: string;
          readonly orphansRemoved: readonly string[];
      };

export const VerifyInputSchema = z.object({
    vaultUrl: vault,
    secretName: z.string().min(1),
    appId: id,
    keyId: id,
    fingerprint,
    /** Where the value is: the stash before publication, the live secret after (the usage gate's own sign-in). */
    source: z.enum(['stash', 'live']).default('stash'),
    /** Sent as client-request-id, so the sign-in log can tell the rotator's own sign-in apart. */
    correlationId: z.guid().optional(),
});
export type VerifyInput = z.input<typeof VerifyInputSchema>;

export interface VerifyResult {
    readonly ok: boolean;
    readonly category: string;
    readonly aadstsCode: number | null;
    readonly retryable: boolean;
    readonly mayBePropagationDelay: boolean;
    readonly detail: string;
    /** Read from the live secret's tags (source `live` only): the operator waived switch evidence. */
    readonly evidenceWaived?: boolean;
}

export const DiscardInputSchema = z.object({
    vaultUrl: vault,
    secretName: z.string().min(1),
    appObjectId: id,
    keyId: id,
});
export type DiscardInput = z.output<typeof DiscardInputSchema>;

export const DiscardOrphansInputSchema = z.object({
    rotationId: id,
    vaultUrl: vault,
    secretName: z.string().min(1),
    appId: id,
});
export type DiscardOrphansInput = z.output<typeof DiscardOrphansInputSchema>;

/**
 * The end-of-rotation sweep: this rotation's marked credentials, once Graph's read-after-write lag has passed.
 * `keepKeyId`: the credential the rotation published (absent when it published nothing).
 */
export const SweepInputSchema = z.object({
    rotationId: id,
    vaultUrl: vault,
    secretName: z.string().min(1),
    appId: id,
    keepKeyId: id.optional(),
});
export type SweepInput = z.output<typeof SweepInputSchema>;

export interface SweepResult {
    /** Marked credentials this sweep removed. */
    readonly removed: readonly string[];
    /** Marked credentials it left, and why (published by this rotation, held by the secret, named by a binding). */
    readonly kept: readonly { readonly keyId: string; readonly why: string }[];
    /** Marked credentials Graph listed but answered "not found" to removing (replicas disagree): may still exist. */
    readonly unconfirmed: readonly string[];
    /** The pending stash: deleted once no credential of its value is left; kept (with why) otherwise. */
    readonly stash: 'deleted' | 'absent' | 'kept';
    readonly stashDetail?: string;
}

export const PublishInputSchema = z.object({
    rotationId: id,
    vaultUrl: vault,
    secretName: z.string().min(1),
    appId: id,
    keyId: id,
    fingerprint,
    endDateTime: instant,
    /** The key the binding held before; the binding moves only from it (absent in instances started earlier). */
    oldKeyId: id.optional(),
    asOf: instant.optional(),
});
export type PublishInput = z.output<typeof PublishInputSchema>;
export interface PublishResult {
    readonly version: string;
    readonly reused: boolean;
}

export const RefreshInputSchema = z.object({
    consumerName: z.string().min(1).max(64),
    vaultUrl: vault,
    secretName: z.string().min(1),
    secretVersion: z.string().min(1),
    fingerprint,
    rotationId: id,
    requestedAt: instant,
});
export type RefreshInput = z.input<typeof RefreshInputSchema>;

export const UsageInputSchema = z.object({
    appId: id,
    /** Each credential is counted from its own instant (old key: from when consumers should have switched). */
    keys: z
        .array(z.object({ keyId: id, since: instant }))
        .min(1)
        .max(10),
    /** Correlation ids of the rotator's own sign-ins: reported apart, so they prove log freshness, not use. */
    ownCorrelationIds: z.array(z.guid()).max(1000).default([]),
});
export type UsageInput = z.input<typeof UsageInputSchema>;

/** Release 2: the gate reads the shared collector's records; the app is watched from publication on. */
export const SignInEvidenceInputSchema = UsageInputSchema.extend({
    /** The records must come from a complete read that started at or after this instant (orchestration time). */
    asOf: instant,
});
export type SignInEvidenceInput = z.input<typeof SignInEvidenceInputSchema>;

export const WatchSignInsInputSchema = z.object({
    appId: id,
    /** Records are needed from here on (publication). */
    from: instant,
    /** The last instant a gate of this rotation may read them. */
    until: instant,
    /** The rotator's own sign-ins with the new key (verification and gate markers): recorded apart. */
    ownCorrelationIds: z.array(z.guid()).max(1000).default([]),
});
export type WatchSignInsInput = z.input<typeof WatchSignInsInputSchema>;
/** A complete read of the sign-in log, or why it is not complete (never a partial count). */
export type UsageResult = SignInRead;

export const DeleteOldInputSchema = z.object({ appObjectId: id, keyId: id });
export type DeleteOldInput = z.output<typeof DeleteOldInputSchema>;
export interface DeleteOldResult {
    readonly result: 'removed' | 'notFound';
}

export const NotifyInputSchema = z.object({
    events: z.array(
        z.object({
            id: id,
            type: z.string().min(1),
            subject: z.string().min(1),
            time: instant,
            data: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.string())])),
        }),
    ),
});
export type NotifyInput = z.output<typeof NotifyInputSchema>;

/** Validates an activity input; a failure is our own bug (the orchestrator built it), so it is not retryable. */
export function parseActivityInput<T extends z.ZodType>(schema: T, raw: unknown, activity: string): z.output<T> {
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
        const fields = parsed.error.issues.map((i) => i.path.join('.') || '(input)').join(', ');
        throw inputError(`${activity}: invalid input (${fields})`);
    }
    return parsed.data;
}

const actor = z.object({
    objectId: z.string().max(64).nullable(),
    appId: z.string().max(64).nullable(),
    name: z.string().max(256).nullable(),
});

/** A rotation's history record (shared/history/rotationHistory.ts): references and step details only. */
export const RecordHistoryInputSchema = z.object({
    asOf: instant,
    record: z.object({
        id: id,
        rotationId: id,
        vaultUrl: vault,
        secretName: z.string().regex(/^[0-9A-Za-z-]{1,127}$/),
        dryRun: z.boolean(),
        trigger: z.enum(['timer', 'keyVaultEvent', 'api']).nullable(),
        reason: z.string().max(500),
        startedBy: actor.nullable(),
        status: z.enum(['Running', 'Completed', 'AttentionRequired', 'Failed', 'Terminated']),
        final: z.boolean(),
        startedAt: instant,
        updatedAt: instant,
        finishedAt: instant.nullable(),
        appId: z.string().max(256).nullable(),
        oldKeyId: z.string().max(256).nullable(),
        newKeyId: z.string().max(256).nullable(),
        oldFingerprint: z.string().max(64).nullable(),
        newFingerprint: z.string().max(64).nullable(),
        newSecretVersion: z.string().max(256).nullable(),
        outcome: z.object({ code: z.string().max(128), message: z.string().max(4000) }).nullable(),
        findings: z
            .array(
                z.object({
                    severity: z.enum(['error', 'warning', 'info']),
                    code: z.string().max(128),
                    message: z.string().max(4000),
                }),
            )
            .max(200),
        plan: z.record(z.string(), z.unknown()).nullable(),
        steps: z
            .array(
                z.object({
                    name: z.enum([
                        'preflight',
                        'create',
                        'verifyNew',
                        'publish',
                        'refresh',
                        'confirm',
                        'grace',
                        'usageGate',
                        'deleteOld',
                    ]),
                    state: z.enum(['running', 'waiting', 'succeeded', 'failed', 'skipped']),
                    at: instant,
                    detail: z.string().max(8000),
                }),
            )
            .max(20),
        evidence: z
            .array(
                z.object({
                    source: z.string().max(64),
                    kind: z.enum(['newKeyInUse', 'oldKeyInUse', 'oldKeyQuiet', 'notProven', 'noEvidenceAccepted']),
                    at: instant,
                    detail: z.string().max(4000),
                }),
            )
            .max(100),
        waiver: z.object({ by: actor, at: instant, reason: z.string().min(1).max(500) }).nullable(),
        awaiting: z.object({ action: z.literal('acceptNoEvidence'), until: instant }).nullable(),
    }),
});
export type RecordHistoryInput = z.output<typeof RecordHistoryInputSchema>;
