import { randomUUID } from 'node:crypto';

import { type DurableOrchestrationStatus } from 'durable-functions';
import { z } from 'zod';

import { type Binding } from '../enrollment/bindings';
import { enrolledSecrets } from '../enrollment/gate';
import { type QuotaLimit } from '../pacing/quotaBudget';
import { isValidSecretName, normalizeVaultUrl } from '../rotation/markers';
import { type StartRequest, type StartResult } from '../rotation/starter';
import { type ManagedSecretIndexPort, type ManagedSecretRef, type StateStorePort } from '../scan/ports';
import { OperatorRoles, type AuthResult, type OperatorRole } from './operatorAuth';
import { apiError, type ApiRequest, type ApiResponse, parseJsonBody, toRotationView } from './rotationsApi';

export interface BatchApiDeps {
    readonly authorize: (authorization: string | null, role: OperatorRole) => Promise<AuthResult>;
    readonly getStatus: (instanceId: string) => Promise<DurableOrchestrationStatus | undefined>;
    readonly start: (request: StartRequest) => Promise<StartResult>;
    readonly index: ManagedSecretIndexPort;
    /** Enrollment: a batch selects among enrolled secrets only; tags never select one. */
    readonly bindings: { list(): Promise<readonly Binding[]> };
    readonly state: StateStorePort;
    readonly vaultUrls: readonly string[];
    readonly paused: boolean;
    readonly now: () => Promise<Date>;
    /** The limits this deployment paces itself to (documented quota × QUOTA_SHARE_PERCENT). */
    readonly quotas: { readonly graphWrites: QuotaLimit; readonly signInReads: QuotaLimit };
    readonly gracePeriodDays: number;
}

const MAX_ITEMS = 10_000;
const secretName = z
    .string()
    .refine(isValidSecretName, 'must be a Key Vault secret name (1-127 letters, digits, dashes)');
const httpsUrl = z.url({ protocol: /^https$/ });

const Selector = z.union([
    z.object({ all: z.literal(true) }).strict(),
    z.object({ vaultUrl: httpsUrl }).strict(),
    z.object({ secretNames: z.array(secretName).min(1).max(MAX_ITEMS), vaultUrl: httpsUrl.optional() }).strict(),
    z.object({ appIds: z.array(z.guid()).min(1).max(MAX_ITEMS) }).strict(),
]);

const BatchBody = z
    .object({
        selector: Selector,
        reason: z.string().trim().min(1, 'a reason is required').max(500),
        dryRun: z.boolean().default(false),
        /** Emergency batches go ahead of routine work in the quota budgets and ask Graph for high priority. */
        emergency: z.boolean().default(false),
    })
    .strict();
type Selector = z.output<typeof Selector>;

interface BatchItem {
    readonly vaultUrl: string;
    readonly secretName: string;
    readonly appId: string;
    readonly instanceId: string | null;
    readonly joined: boolean;
    readonly error?: string;
}

export interface BatchRecord {
    readonly id: string;
    readonly createdAt: string;
    readonly reason: string;
    readonly emergency: boolean;
    /** The operator who started the batch (absent in batches recorded before it was kept). */
    readonly startedBy?: {
        readonly objectId: string | null;
        readonly appId: string | null;
        readonly name: string | null;
    };
    readonly selector: Selector;
    readonly items: readonly BatchItem[];
    readonly skippedDisabled: readonly string[];
}

export const batchKey = (id: string): string => `batches/${id}`;

/**
 * POST /api/rotations/batch: rotate every managed secret a selector names (all, one vault, a list of secrets or
 * apps) for one reason. Each rotation starts through the same singleton rules as any other start (one per
 * secret; a running one is joined). Nothing starts when the body is invalid or names a secret or app that is not
 * managed. A dry run answers with the selection and the estimate and starts nothing.
 */
export async function startBatchRoute(deps: BatchApiDeps, request: ApiRequest): Promise<ApiResponse> {
    const auth = await deps.authorize(request.authorization, OperatorRoles.write);
    if (!auth.ok) return apiError(auth.status, auth.code, auth.message);
    const parsed = await parseJsonBody(request, BatchBody);
    if (!parsed.ok) return parsed.response;
    const body = parsed.data;
    const managedVaults = deps.vaultUrls.map(normalizeVaultUrl);
    const selectorVault =
        'vaultUrl' in body.selector && body.selector.vaultUrl ? normalizeVaultUrl(body.selector.vaultUrl) : undefined;
    if (selectorVault && !managedVaults.includes(selectorVault)) {
        return apiError(400, 'invalid_request', 'selector.vaultUrl is not one of the vaults this rotator manages');
    }
    const refs = (await enrolledSecrets(deps.index, deps.bindings, selectorVault ? [selectorVault] : managedVaults))
        .enrolled;
    const selected = select(refs, body.selector);
    if ('missing' in selected) {
        return apiError(
            400,
            'not_managed',
            `not managed by this rotator (nothing was started): ${selected.missing.slice(0, 20).join(', ')}${selected.missing.length > 20 ? ` and ${selected.missing.length - 20} more` : ''}`,
        );
    }
    const enabled = selected.refs.filter((r) => r.enabled);
    // A disabled current version is an operator's decision (as in the scan): reported, never rotated over.
    const skippedDisabled = selected.refs.filter((r) => !r.enabled).map((r) => r.secretName);
    if (enabled.length === 0)
        return apiError(400, 'nothing_selected', 'the selector matches no enabled managed secret');
    const now = await deps.now();
    const estimate = estimateFinish(
        deps,
        now,
        enabled.map(() => NOT_STARTED),
    );
    if (body.dryRun) {
        return {
            status: 200,
            jsonBody: {
                dryRun: true,
                total: enabled.length,
                secrets: enabled.map((r) => ({ vaultUrl: r.vaultUrl, secretName: r.secretName, appId: r.appId })),
                skippedDisabled,
                estimate,
            },
        };
    }
    if (deps.paused) return apiError(409, 'paused', 'rotation is paused (ROTATION_PAUSED); dry runs still work');

    const id = randomUUID();
    const items: BatchItem[] = [];
    // Who asked, as a single start records it: from the verified token (never the token itself).
    const startedBy = {
        objectId: auth.caller.objectId ?? null,
        appId: auth.caller.appId ?? null,
        name: auth.caller.name ?? null,
    };
    for (const ref of enabled) {
        try {
            const started = await deps.start({
                vaultUrl: ref.vaultUrl,
                secretName: ref.secretName,
                appId: ref.appId,
                keyId: ref.keyId,
                dryRun: false,
                reason: `batch ${id}: ${body.reason}`.slice(0, 500),
                trigger: 'api',
                priority: body.emergency ? 'high' : 'normal',
                startedBy,
            });
            items.push({
                vaultUrl: ref.vaultUrl,
                secretName: ref.secretName,
                appId: ref.appId,
                instanceId: started.id,
                joined: started.alreadyRunning,
            });
        } catch (error) {
            const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : 'start failed';
            items.push({
                vaultUrl: ref.vaultUrl,
                secretName: ref.secretName,
                appId: ref.appId,
                instanceId: null,
                joined: false,
                error: message.slice(0, 200),
            });
        }
    }
    const record: BatchRecord = {
        id,
        createdAt: now.toISOString(),
        reason: body.reason,
        emergency: body.emergency,
        startedBy,
        selector: body.selector,
        items,
        skippedDisabled,
    };
    await deps.state.write(batchKey(id), record);
    return {
        status: 202,
        jsonBody: {
            id,
            statusUrl: `/api/rotations/batch/${id}`,
            total: items.length,
            started: items.filter((i) => i.instanceId && !i.joined).length,
            joined: items.filter((i) => i.joined).length,
            failedToStart: items
                .filter((i) => !i.instanceId)
                .map((i) => ({ secretName: i.secretName, error: i.error })),
            skippedDisabled,
            estimate,
        },
    };
}

/** GET /api/rotations/batch/{id}: progress (done / waiting on quota / needs action) and the estimated finish. */
export async function getBatchRoute(deps: BatchApiDeps, request: ApiRequest): Promise<ApiResponse> {
    const auth = await deps.authorize(request.authorization, OperatorRoles.read);
    if (!auth.ok) return apiError(auth.status, auth.code, auth.message);
    const id = request.params.id ?? '';
    if (!/^[0-9a-f-]{36}$/i.test(id)) return apiError(404, 'not_found', 'no batch with that id');
    const record = await deps.state.read<BatchRecord>(batchKey(id));
    if (!record) return apiError(404, 'not_found', 'no batch with that id');
    const counts = { done: 0, running: 0, waitingOnQuota: 0, inGrace: 0, needsAction: 0, failedToStart: 0 };
    const needsAction: { secretName: string; status: string; reason: unknown }[] = [];
    const progress: Progress[] = [];
    for (const item of record.items) {
        if (!item.instanceId) {
            counts.failedToStart += 1;
            continue;
        }
        const status = await deps.getStatus(item.instanceId);
        const view = status ? toRotationView(status) : undefined;
        const state = classify(view);
        counts[state] += 1;
        if (state === 'needsAction')
            needsAction.push({
                secretName: item.secretName,
                status: typeof view?.status === 'string' ? view.status : 'missing',
                reason: view?.outcome ?? null,
            });
        if (state !== 'done' && state !== 'needsAction') progress.push(progressOf(view));
    }
    const now = await deps.now();
    return {
        status: 200,
        jsonBody: {
            id: record.id,
            createdAt: record.createdAt,
            reason: record.reason,
            emergency: record.emergency,
            startedBy: record.startedBy ?? null,
            total: record.items.length,
            ...counts,
            finished: progress.length === 0,
            needsActionItems: needsAction,
            skippedDisabled: record.skippedDisabled,
            estimate: estimateFinish(deps, now, progress),
        },
    };
}

type View = ReturnType<typeof toRotationView>;
type State = 'done' | 'running' | 'waitingOnQuota' | 'inGrace' | 'needsAction';

function classify(view: View | undefined): State {
    if (!view) return 'needsAction';
    const status = view.status as string;
    if (status === 'Completed') return 'done';
    if (status === 'Failed' || status === 'AttentionRequired' || status === 'Terminated') return 'needsAction';
    const steps = view.steps as { name: string; state: string; detail: string }[];
    if (steps.some((s) => s.state === 'waiting' && /^waiting for quota/.test(s.detail))) return 'waitingOnQuota';
    if (steps.some((s) => s.name === 'grace' && s.state === 'waiting')) return 'inGrace';
    return 'running';
}

/** Where an open rotation stands, as far as the quotas are concerned. */
interface Progress {
    readonly created: boolean;
    /** When its grace period ends, if it is in it. */
    readonly graceEnds: Date | undefined;
    readonly gateDone: boolean;
}

const NOT_STARTED: Progress = { created: false, graceEnds: undefined, gateDone: false };

function progressOf(view: View | undefined): Progress {
    const steps = (view?.steps ?? []) as { name: string; state: string; detail: string }[];
    const done = (name: string) =>
        steps.some((s) => s.name === name && (s.state === 'succeeded' || s.state === 'skipped'));
    const grace = steps.find((s) => s.name === 'grace' && s.state === 'waiting');
    const until = grace ? /until (\S+)/.exec(grace.detail)?.[1] : undefined;
    return {
        created: done('create'),
        graceEnds: until && !Number.isNaN(Date.parse(until)) ? new Date(until) : undefined,
        gateDone: done('usageGate'),
    };
}

/**
 * An honest lower bound on when the open rotations can all be done: each needs one Graph write to create and
 * one to delete, one sign-in read at its usage gate, and its grace period between. The binding quota is the one
 * whose remaining calls take longest at the paced rate. Assumes the deployment's quota share is free for this
 * work and that verification, consumers and re-checks add nothing; it is recomputed on every poll.
 */
export function estimateFinish(
    deps: Pick<BatchApiDeps, 'quotas' | 'gracePeriodDays'>,
    now: Date,
    open: readonly Progress[],
): {
    finishAt: string;
    seconds: number;
    bindingQuota: 'graphWrites' | 'signInReads' | 'gracePeriod' | 'none';
    assumptions: string;
} {
    const assumptions =
        'lower bound: paced at 90% of this deployment’s share of each quota, nothing else using it, no consumer, verification or usage re-check delays';
    if (open.length === 0) return { finishAt: now.toISOString(), seconds: 0, bindingQuota: 'none', assumptions };
    const perSecond = (q: QuotaLimit) => (q.limit * 0.9) / q.windowSeconds;
    const writeRate = perSecond(deps.quotas.graphWrites);
    const readRate = perSecond(deps.quotas.signInReads);
    const creates = open.filter((p) => !p.created).length;
    const writes = creates + open.length;
    // Usage gates share the sign-in collector's reads (shared/signins/collector.ts): however many are left, a
    // single read can serve them all, so the lower bound is one read, not one per rotation.
    const reads = open.some((p) => !p.gateDone) ? 1 : 0;
    const writeSeconds = writes / writeRate;
    const readSeconds = reads / readRate;
    // The last grace period to end: running ones know theirs; the rest start after the remaining creates.
    const graceSeconds = deps.gracePeriodDays * 86_400;
    let lastGraceEnd = now.getTime() + (creates > 0 ? creates / writeRate + graceSeconds : 0) * 1000;
    for (const p of open) if (p.graceEnds) lastGraceEnd = Math.max(lastGraceEnd, p.graceEnds.getTime());
    const graceBound = (lastGraceEnd - now.getTime()) / 1000 + 1 / readRate + 1 / writeRate;
    const seconds = Math.max(writeSeconds, readSeconds, graceBound);
    const bindingQuota =
        seconds === graceBound ? 'gracePeriod' : seconds === readSeconds ? 'signInReads' : 'graphWrites';
    return {
        finishAt: new Date(now.getTime() + seconds * 1000).toISOString(),
        seconds: Math.round(seconds),
        bindingQuota,
        assumptions,
    };
}

function select(
    refs: readonly ManagedSecretRef[],
    selector: Selector,
): { refs: ManagedSecretRef[] } | { missing: string[] } {
    if ('all' in selector) return { refs: [...refs] };
    if ('secretNames' in selector) {
        const byName = new Map(refs.map((r) => [r.secretName.toLowerCase(), r]));
        const wanted = [...new Set(selector.secretNames.map((n) => n.toLowerCase()))];
        const missing = wanted.filter((n) => !byName.has(n));
        return missing.length > 0 ? { missing } : { refs: wanted.map((n) => byName.get(n)!) };
    }
    if ('appIds' in selector) {
        const wanted = new Set(selector.appIds.map((a) => a.toLowerCase()));
        const matched = refs.filter((r) => wanted.has(r.appId.toLowerCase()));
        const found = new Set(matched.map((r) => r.appId.toLowerCase()));
        const missing = [...wanted].filter((a) => !found.has(a));
        return missing.length > 0 ? { missing } : { refs: matched };
    }
    return { refs: [...refs] };
}
