import { type DurableClient, OrchestrationRuntimeStatus } from 'durable-functions';

import { type Binding } from '../enrollment/bindings';
import { errorCodeOf } from '../errors/RotatorError';
import { type HistoryRecord } from '../history/rotationHistory';
import { type Logger } from '../logging/logger';
import { isRotationOrchestration } from '../rotation/names';
import { type AppCredentialsPort, type LifecycleEvent, type NotifierPort } from '../rotation/ports';
import { type ManagedSecretIndexPort, type StateStorePort, unchanged } from './ports';
import { credentialKey, type MarkedCredential } from './scanTenant';

/** What the sweep reported and removed, across scans (one document, conditional updates). */
export const ORPHAN_SWEEP_KEY = 'orphans/sweep';

/** More candidates than this in one scan: report them first (nothing removed), remove them from the next scan on. */
export const SWEEP_AUTO_LIMIT = 10;
/** Graph writes one scan spends on the sweep at most; the rest waits for the next scan. */
export const SWEEP_MAX_PER_SCAN = 50;
/** Removal records kept in the sweep document (oldest dropped first). */
const LEDGER_ENTRIES = 500;

export interface SweepLedgerEntry {
    readonly at: string;
    readonly scanId: string;
    readonly appId: string;
    readonly keyId: string;
    readonly rotationId: string;
    readonly outcome: 'removed' | 'alreadyGone';
}

interface SweepDocument {
    /** Candidates announced in a report and not yet removed: a later scan may remove them. */
    readonly reported: Readonly<Record<string, { readonly at: string; readonly scanId: string }>>;
    readonly removed: readonly SweepLedgerEntry[];
}

export interface OrphanSweepDeps {
    readonly client: Pick<DurableClient, 'getStatusBy'>;
    readonly bindings: { list(): Promise<readonly Binding[]> };
    readonly history: {
        get(vaultUrl: string, secretName: string, rotationId: string): Promise<HistoryRecord | undefined>;
    };
    readonly managed: Pick<ManagedSecretIndexPort, 'listSecrets'>;
    readonly vaultUrls: readonly string[];
    readonly credentials: Pick<AppCredentialsPort, 'removePassword'>;
    readonly state: StateStorePort;
    readonly notifier: NotifierPort;
    readonly log?: Logger;
}

export interface OrphanSweepOptions {
    readonly now: Date;
    readonly scanId: string;
    /** The scan's marked credentials (from a complete listing of the tenant). */
    readonly marked: readonly MarkedCredential[];
    /** Rotations paused: report, remove nothing. */
    readonly paused: boolean;
    /** How far back Durable instances are listed (the scan's window for rotation marks). */
    readonly lookbackDays?: number;
    readonly autoLimit?: number;
    readonly maxPerScan?: number;
}

export interface OrphanSweepResult {
    readonly removed: readonly MarkedCredential[];
    /** Candidates reported this scan instead of removed (many at once, or paused). */
    readonly reported: readonly MarkedCredential[];
    /** Marked credentials left alone, and why. */
    readonly kept: readonly { readonly credential: MarkedCredential; readonly why: string }[];
}

const RUNNING: readonly OrchestrationRuntimeStatus[] = [
    OrchestrationRuntimeStatus.Running,
    OrchestrationRuntimeStatus.Pending,
    OrchestrationRuntimeStatus.Suspended,
    OrchestrationRuntimeStatus.ContinuedAsNew,
];
const OVER: readonly OrchestrationRuntimeStatus[] = [
    OrchestrationRuntimeStatus.Completed,
    OrchestrationRuntimeStatus.Failed,
    OrchestrationRuntimeStatus.Terminated,
];

/**
 * Later scans remove credentials a rotation created and left behind (its own end-of-rotation sweep could not see
 * or remove them). Fail closed, every condition proven: the credential carries the rotator's marker; its rotation
 * is over (its Durable instance ended, or its history record is final) and no instance of it runs; no enrollment
 * names the key (nor a publish in progress, `nextKeyId`); no managed secret's tags name it. Anything unproven is
 * kept and said why. More than `autoLimit` candidates at once are reported first (`Credential.OrphansFound`) and
 * removed from a later scan on; each removal is announced (`Credential.OrphanRemoved`) and recorded.
 */
export async function sweepMarkedCredentials(
    deps: OrphanSweepDeps,
    options: OrphanSweepOptions,
): Promise<OrphanSweepResult> {
    if (options.marked.length === 0) return { removed: [], reported: [], kept: [] };
    const { now } = options;
    const bindings = await deps.bindings.list();
    const bound = new Set<string>();
    for (const b of bindings) {
        bound.add(credentialKey(b.appId, b.keyId));
        if (b.nextKeyId) bound.add(credentialKey(b.appId, b.nextKeyId));
    }
    const held = new Set<string>();
    for (const s of await deps.managed.listSecrets(deps.vaultUrls))
        if (s.tags.appId && s.tags.keyId) held.add(credentialKey(s.tags.appId, s.tags.keyId));
    const runtime = await rotationStates(deps, now, options.lookbackDays ?? 30);

    const kept: { credential: MarkedCredential; why: string }[] = [];
    const candidates: MarkedCredential[] = [];
    for (const credential of options.marked) {
        const key = credentialKey(credential.appId, credential.keyId);
        const id = credential.rotationId.toLowerCase();
        const facts = runtime.get(id) ?? { running: false, over: false, published: new Set<string>() };
        if (!facts.running && !facts.over) await addHistory(deps, bindings, credential, facts);
        const why = bound.has(key)
            ? 'an enrollment names it'
            : held.has(key)
              ? 'a managed secret names it'
              : facts.running
                ? `rotation ${credential.rotationId} is running`
                : !facts.over
                  ? `rotation ${credential.rotationId} cannot be shown to be over (no ended instance, no final record)`
                  : facts.published.has(credential.keyId.toLowerCase())
                    ? `rotation ${credential.rotationId} published it: consumers may hold its value`
                    : undefined;
        if (why) kept.push({ credential, why });
        else candidates.push(credential);
    }
    if (candidates.length === 0) return { removed: [], reported: [], kept };

    const doc = (await deps.state.read<SweepDocument>(ORPHAN_SWEEP_KEY)) ?? { reported: {}, removed: [] };
    const keyOf = (c: MarkedCredential): string => credentialKey(c.appId, c.keyId);
    const approved = candidates.filter((c) => doc.reported[keyOf(c)] !== undefined);
    const fresh = candidates.filter((c) => doc.reported[keyOf(c)] === undefined);
    const few = candidates.length <= (options.autoLimit ?? SWEEP_AUTO_LIMIT);
    const report = options.paused ? candidates : few ? [] : fresh;
    const toRemove = options.paused
        ? []
        : (few ? candidates : approved).slice(0, options.maxPerScan ?? SWEEP_MAX_PER_SCAN);

    const removed: MarkedCredential[] = [];
    const entries: SweepLedgerEntry[] = [];
    for (const credential of toRemove) {
        try {
            const outcome = await deps.credentials.removePassword(credential.appObjectId, credential.keyId);
            removed.push(credential);
            entries.push({
                at: now.toISOString(),
                scanId: options.scanId,
                appId: credential.appId,
                keyId: credential.keyId,
                rotationId: credential.rotationId,
                outcome: outcome === 'removed' ? 'removed' : 'alreadyGone',
            });
        } catch (error) {
            deps.log?.warn('A leftover credential could not be removed; the next scan tries again', {
                rotationId: credential.rotationId,
                keyId: credential.keyId,
                errorCode: errorCodeOf(error),
            });
        }
    }
    const gone = new Set(removed.map(keyOf));
    await deps.state.update<SweepDocument>(ORPHAN_SWEEP_KEY, (current = { reported: {}, removed: [] }) => {
        if (gone.size === 0 && report.every((c) => current.reported[keyOf(c)] !== undefined)) return unchanged;
        const reported: Record<string, { at: string; scanId: string }> = {};
        for (const [key, value] of Object.entries(current.reported)) if (!gone.has(key)) reported[key] = value;
        for (const c of report) reported[keyOf(c)] ??= { at: now.toISOString(), scanId: options.scanId };
        return { reported, removed: [...current.removed, ...entries].slice(-LEDGER_ENTRIES) };
    });

    const events: LifecycleEvent[] = entries.map((entry) => removedEvent(entry, now));
    if (report.length > 0) events.push(reportEvent(report, options, now));
    if (events.length > 0) {
        try {
            await deps.notifier.publish(events);
        } catch (error) {
            // Recorded in the sweep document either way; the events are best effort like every notification.
            deps.log?.warn('Orphan sweep notifications could not be published', { errorCode: errorCodeOf(error) });
        }
    }
    return { removed, reported: report, kept };
}

interface RotationFacts {
    running: boolean;
    over: boolean;
    /** Keys the rotation published (its record shows a new secret version for them). */
    readonly published: Set<string>;
}

/** rotationId (lower case) → what Durable's instance listing says about that rotation. */
async function rotationStates(
    deps: OrphanSweepDeps,
    now: Date,
    lookbackDays: number,
): Promise<Map<string, RotationFacts>> {
    const statuses = await deps.client.getStatusBy({
        createdTimeFrom: new Date(now.getTime() - lookbackDays * 86_400_000),
    });
    const byRotation = new Map<string, RotationFacts>();
    for (const status of statuses) {
        if (!isRotationOrchestration(status.name)) continue;
        const id = (status.input as { rotationId?: unknown } | null | undefined)?.rotationId;
        if (typeof id !== 'string') continue;
        const facts = byRotation.get(id.toLowerCase()) ?? { running: false, over: false, published: new Set() };
        byRotation.set(id.toLowerCase(), facts);
        if (RUNNING.includes(status.runtimeStatus)) facts.running = true;
        if (!OVER.includes(status.runtimeStatus)) continue;
        // Our own endings return the record; a runtime failure leaves the last custom status. Without either,
        // what the rotation published is unknown, so it does not count as over.
        const record = recordOf(status.output) ?? recordOf(status.customStatus);
        if (!record) continue;
        facts.over = true;
        if (record.newSecretVersion && record.newKeyId) facts.published.add(record.newKeyId.toLowerCase());
    }
    return byRotation;
}

function recordOf(value: unknown): { newKeyId: string | null; newSecretVersion: string | null } | undefined {
    if (typeof value !== 'object' || value === null) return undefined;
    const r = value as { rotationId?: unknown; newKeyId?: unknown; newSecretVersion?: unknown };
    if (typeof r.rotationId !== 'string') return undefined;
    return {
        newKeyId: typeof r.newKeyId === 'string' ? r.newKeyId : null,
        newSecretVersion: typeof r.newSecretVersion === 'string' ? r.newSecretVersion : null,
    };
}

/** A final history record of the rotation, under any secret enrolled for the credential's application. */
async function addHistory(
    deps: OrphanSweepDeps,
    bindings: readonly Binding[],
    credential: MarkedCredential,
    facts: RotationFacts,
): Promise<void> {
    for (const b of bindings) {
        if (b.appId.toLowerCase() !== credential.appId.toLowerCase()) continue;
        const record = await deps.history.get(b.vaultUrl, b.secretName, credential.rotationId);
        if (!record) continue;
        if (!record.final || record.status === 'Running') {
            facts.running = true;
            return;
        }
        facts.over = true;
        if (record.newSecretVersion && record.newKeyId) facts.published.add(record.newKeyId.toLowerCase());
    }
}

function removedEvent(entry: SweepLedgerEntry, now: Date): LifecycleEvent {
    return {
        // Deterministic: two scans removing the same credential announce one event.
        id: `orphan-removed:${entry.appId}:${entry.keyId}`,
        type: 'Credential.OrphanRemoved',
        subject: `/applications/${entry.appId}/credentials/${entry.keyId}`,
        time: now.toISOString(),
        data: {
            appId: entry.appId,
            keyId: entry.keyId,
            rotationId: entry.rotationId,
            outcome: entry.outcome,
            reason: `created by rotation ${entry.rotationId}, which is over, and held by no secret or enrollment`,
        },
    };
}

function reportEvent(report: readonly MarkedCredential[], options: OrphanSweepOptions, now: Date): LifecycleEvent {
    return {
        id: `orphans-found:${options.scanId}`,
        type: 'Credential.OrphansFound',
        subject: '/applications',
        time: now.toISOString(),
        data: {
            count: report.length,
            credentials: report.slice(0, 100).map((c) => `${c.appId}/${c.keyId} (rotation ${c.rotationId})`),
            action: options.paused
                ? 'rotations are paused: nothing is removed'
                : 'reported only: a later scan removes them unless an enrollment, a secret or a running rotation claims them first',
        },
    };
}
