import { createHash } from 'node:crypto';

import { type EvidenceItem } from '../domain/evidence';
import { type Finding } from '../rotation/contracts';
import { normalizeVaultUrl } from '../rotation/markers';
import { type StateStorePort, unchanged } from '../scan/ports';
import { type PlanSummary, type StepRecord } from '../workflows/timeline';

/**
 * The immutable history of rotations: one record per rotation, kept in the state store (not in the Durable task
 * hub, whose instance history operators purge). A record is written when the rotation starts, may be updated
 * while it runs, and is frozen once it is final: any later write of a final record changes nothing. Records hold
 * references only (ids, fingerprints, versions, step details): never secret text.
 */
export type HistoryStatus = 'Running' | 'Completed' | 'AttentionRequired' | 'Failed' | 'Terminated';

export interface HistoryActor {
    readonly objectId: string | null;
    readonly appId: string | null;
    readonly name: string | null;
}

/** The operator's acceptance that nothing can show a consumer using the new key (recorded who, when, why). */
export interface NoEvidenceWaiver {
    readonly by: HistoryActor;
    readonly at: string;
    readonly reason: string;
}

export interface HistoryRecord {
    /** The Durable instance id (also the id of GET /api/rotations/{id} while the instance exists). */
    readonly id: string;
    readonly rotationId: string;
    readonly vaultUrl: string;
    readonly secretName: string;
    readonly dryRun: boolean;
    readonly trigger: 'timer' | 'keyVaultEvent' | 'api' | null;
    readonly reason: string;
    readonly startedBy: HistoryActor | null;
    readonly status: HistoryStatus;
    /** True once the rotation ended: the record never changes again. */
    readonly final: boolean;
    readonly startedAt: string;
    readonly updatedAt: string;
    readonly finishedAt: string | null;
    readonly appId: string | null;
    readonly oldKeyId: string | null;
    readonly newKeyId: string | null;
    readonly oldFingerprint: string | null;
    readonly newFingerprint: string | null;
    readonly newSecretVersion: string | null;
    readonly outcome: { readonly code: string; readonly message: string } | null;
    readonly findings: readonly Finding[];
    readonly plan: PlanSummary | null;
    readonly steps: readonly StepRecord[];
    readonly evidence: readonly EvidenceItem[];
    readonly waiver: NoEvidenceWaiver | null;
    /** An operator action the running rotation waits for (and until when), e.g. accepting "no evidence". */
    readonly awaiting: { readonly action: 'acceptNoEvidence'; readonly until: string } | null;
}

export interface RetentionPolicy {
    /** Final records of real rotations are kept this long after they finished. */
    readonly days: number;
    /** Final records of dry runs are kept this long. */
    readonly dryRunDays: number;
}

/** What the runtime knows of a rotation that ended outside its own steps. */
export interface RuntimeEnding {
    readonly instanceId: string;
    readonly rotationId: string;
    readonly vaultUrl: string;
    readonly secretName: string;
    readonly dryRun: boolean;
    readonly trigger: HistoryRecord['trigger'];
    readonly reason: string;
    readonly startedBy: HistoryActor | null;
    readonly startedAt: string;
    readonly status: 'Failed' | 'Terminated';
    readonly code: string;
    readonly message: string;
    /** The rotation's last custom status (its timeline), when it published one. */
    readonly timeline?: Partial<
        Pick<
            HistoryRecord,
            | 'appId'
            | 'oldKeyId'
            | 'newKeyId'
            | 'oldFingerprint'
            | 'newFingerprint'
            | 'newSecretVersion'
            | 'findings'
            | 'plan'
            | 'steps'
            | 'evidence'
            | 'waiver'
        >
    > | null;
}

export const DEFAULT_RETENTION: RetentionPolicy = { days: 400, dryRunDays: 30 };

interface SecretHistoryDocument {
    readonly schema: 1;
    readonly vaultUrl: string;
    readonly secretName: string;
    readonly records: readonly HistoryRecord[];
}

interface IndexEntry {
    readonly key: string;
    readonly vaultUrl: string;
    readonly secretName: string;
    /** The newest record's start: lets the all-secrets listing stop reading early. */
    readonly lastStartedAt: string;
}

interface IndexDocument {
    readonly schema: 1;
    readonly secrets: readonly IndexEntry[];
}

export const HISTORY_INDEX_KEY = 'history/index';

export type SaveOutcome = 'written' | 'unchanged' | 'frozen';

/** The per-secret document's state key (hashed: secret names and vault hosts are not all valid key characters). */
export function historyKey(vaultUrl: string, secretName: string): string {
    const id = `${normalizeVaultUrl(vaultUrl)}|${secretName.toLowerCase()}`;
    return `history/secret/${createHash('sha256').update(id, 'utf8').digest('hex').slice(0, 40)}`;
}

const DAY_MS = 86_400_000;

/** Whether a record has outlived its retention at `now` (running records never expire). */
export function expired(record: HistoryRecord, now: Date, retention: RetentionPolicy): boolean {
    if (!record.final || record.finishedAt === null) return false;
    const keepDays = record.dryRun ? retention.dryRunDays : retention.days;
    return now.getTime() - new Date(record.finishedAt).getTime() > keepDays * DAY_MS;
}

/**
 * Rotation records: one document per secret (conditional writes, so concurrent writers never lose a record) and
 * an index of the secrets that have one (for the all-secrets listing and the retention purge).
 */
export class RotationHistory {
    constructor(
        private readonly state: StateStorePort,
        private readonly retention: RetentionPolicy = DEFAULT_RETENTION,
    ) {}

    /**
     * Writes a rotation's record. Idempotent (a retried activity writes the same thing) and final records are
     * immutable: a later write of a frozen record is refused (`frozen`) and changes nothing. Expired records of
     * the same secret are dropped on the way.
     */
    async save(record: HistoryRecord, now: Date): Promise<SaveOutcome> {
        const key = historyKey(record.vaultUrl, record.secretName);
        let outcome = 'unchanged' as SaveOutcome;
        await this.state.update<SecretHistoryDocument>(key, (current) => {
            const doc = current ?? {
                schema: 1 as const,
                vaultUrl: normalizeVaultUrl(record.vaultUrl),
                secretName: record.secretName,
                records: [],
            };
            const existing = doc.records.find((r) => r.rotationId === record.rotationId);
            const kept = doc.records.filter((r) => !expired(r, now, this.retention));
            if (existing?.final) {
                outcome = 'frozen';
                return kept.length === doc.records.length ? unchanged : { ...doc, records: kept };
            }
            if (existing && JSON.stringify(existing) === JSON.stringify(record)) {
                outcome = 'unchanged';
                return kept.length === doc.records.length ? unchanged : { ...doc, records: kept };
            }
            outcome = 'written';
            const others = kept.filter((r) => r.rotationId !== record.rotationId);
            return { ...doc, records: [...others, record] };
        });
        if (outcome === 'written') await this.#index(key, record);
        return outcome;
    }

    /**
     * A rotation that ended in the Durable runtime (a crash, a non-determinism error, an operator's terminate)
     * never wrote its final record: the scan that finds it closes the record with what the runtime knows (its last
     * published timeline). A record that is already final is left alone; a missing one (a rotation started before
     * records existed) is created.
     */
    async endedInRuntime(ended: RuntimeEnding, now: Date): Promise<SaveOutcome> {
        const existing = await this.get(ended.vaultUrl, ended.secretName, ended.rotationId);
        if (existing?.final) return 'frozen';
        const t = ended.timeline ?? {};
        const at = now.toISOString();
        const record: HistoryRecord = {
            id: ended.instanceId,
            rotationId: ended.rotationId,
            vaultUrl: existing?.vaultUrl ?? normalizeVaultUrl(ended.vaultUrl),
            secretName: existing?.secretName ?? ended.secretName,
            dryRun: existing?.dryRun ?? ended.dryRun,
            trigger: existing?.trigger ?? ended.trigger,
            reason: existing?.reason ?? ended.reason,
            startedBy: existing?.startedBy ?? ended.startedBy,
            status: ended.status,
            final: true,
            startedAt: existing?.startedAt ?? ended.startedAt,
            updatedAt: at,
            finishedAt: at,
            appId: t.appId ?? existing?.appId ?? null,
            oldKeyId: t.oldKeyId ?? existing?.oldKeyId ?? null,
            newKeyId: t.newKeyId ?? existing?.newKeyId ?? null,
            oldFingerprint: t.oldFingerprint ?? existing?.oldFingerprint ?? null,
            newFingerprint: t.newFingerprint ?? existing?.newFingerprint ?? null,
            newSecretVersion: t.newSecretVersion ?? existing?.newSecretVersion ?? null,
            outcome: { code: ended.code, message: ended.message },
            findings: t.findings ?? existing?.findings ?? [],
            plan: t.plan ?? existing?.plan ?? null,
            steps: t.steps ?? existing?.steps ?? [],
            evidence: t.evidence ?? existing?.evidence ?? [],
            waiver: t.waiver ?? existing?.waiver ?? null,
            awaiting: null,
        };
        return this.save(record, now);
    }

    /** A secret's records, newest first. */
    async list(vaultUrl: string, secretName: string): Promise<readonly HistoryRecord[]> {
        const doc = await this.state.read<SecretHistoryDocument>(historyKey(vaultUrl, secretName));
        return newestFirst(doc?.records ?? []);
    }

    async get(vaultUrl: string, secretName: string, rotationId: string): Promise<HistoryRecord | undefined> {
        return (await this.list(vaultUrl, secretName)).find(
            (r) => r.rotationId.toLowerCase() === rotationId.toLowerCase(),
        );
    }

    /**
     * The newest `skip + top` records across every secret, newest first. Reads secret documents in the order of
     * their newest record and stops once no unread secret can hold a newer one.
     */
    async recent(top: number, skip: number): Promise<{ items: HistoryRecord[]; more: boolean }> {
        const index = (await this.state.read<IndexDocument>(HISTORY_INDEX_KEY))?.secrets ?? [];
        const order = [...index].sort((a, b) => b.lastStartedAt.localeCompare(a.lastStartedAt));
        const want = skip + top + 1;
        let found: HistoryRecord[] = [];
        for (const entry of order) {
            if (found.length >= want && entry.lastStartedAt < found[want - 1]!.startedAt) break;
            const doc = await this.state.read<SecretHistoryDocument>(entry.key);
            found = newestFirst([...found, ...(doc?.records ?? [])]);
        }
        return { items: found.slice(skip, skip + top), more: found.length > skip + top };
    }

    /** Drops every expired record (run by the timer scan). Returns how many records were removed. */
    async purge(now: Date): Promise<{ removed: number; secrets: number }> {
        const index = (await this.state.read<IndexDocument>(HISTORY_INDEX_KEY))?.secrets ?? [];
        let removed = 0;
        for (const entry of index) {
            let dropped = 0;
            let empty = false;
            await this.state.update<SecretHistoryDocument>(entry.key, (doc) => {
                if (!doc) {
                    empty = true;
                    return unchanged;
                }
                const kept = doc.records.filter((r) => !expired(r, now, this.retention));
                dropped = doc.records.length - kept.length;
                empty = kept.length === 0;
                return dropped === 0 ? unchanged : { ...doc, records: kept };
            });
            removed += dropped;
            // A writer that adds a record afterwards updates the entry's lastStartedAt, so it survives this removal.
            if (empty) {
                await this.state.update<IndexDocument>(HISTORY_INDEX_KEY, (current) => {
                    if (!current) return unchanged;
                    const next = current.secrets.filter(
                        (s) => !(s.key === entry.key && s.lastStartedAt === entry.lastStartedAt),
                    );
                    return next.length === current.secrets.length ? unchanged : { ...current, secrets: next };
                });
            }
        }
        return { removed, secrets: index.length };
    }

    async #index(key: string, record: HistoryRecord): Promise<void> {
        await this.state.update<IndexDocument>(HISTORY_INDEX_KEY, (current) => {
            const secrets = current?.secrets ?? [];
            const entry = secrets.find((s) => s.key === key);
            if (entry && entry.lastStartedAt >= record.startedAt) return unchanged;
            const next: IndexEntry = {
                key,
                vaultUrl: normalizeVaultUrl(record.vaultUrl),
                secretName: record.secretName,
                lastStartedAt: record.startedAt,
            };
            return { schema: 1, secrets: [...secrets.filter((s) => s.key !== key), next] };
        });
    }
}

function newestFirst(records: readonly HistoryRecord[]): HistoryRecord[] {
    return [...records].sort(
        (a, b) => b.startedAt.localeCompare(a.startedAt) || b.rotationId.localeCompare(a.rotationId),
    );
}
