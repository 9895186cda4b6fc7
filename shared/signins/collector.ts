import { randomUUID } from 'node:crypto';

import { type SignInRead } from '../domain/evidence';
import {
    addWatch,
    claimRead,
    type CollectorDoc,
    emptyCollectorDoc,
    evidenceFromRecords,
    failRead,
    foldRead,
    freshFor,
    releaseRead,
    renewRead,
} from '../domain/signInCollection';
import { ErrorCodes } from '../errors/errorCodes';
import { isRotatorError } from '../errors/RotatorError';
import { throttledError } from '../pacing/throttled';
import { type SignInFeedPort } from '../rotation/ports';
import { type StateStorePort, unchanged } from '../scan/ports';

/** The collector's one document in the state store. */
export const COLLECTOR_KEY = 'signins/collector';

/**
 * The least overlap, whatever SIGNIN_LOG_LATENCY_MINUTES says: sign-ins are not ingested in order (the retired
 * "reporting latencies" page: 2 min at p95, 5 min at p99; practitioners report 15–30 min for service-principal
 * sign-ins), and an entry that appears later than the overlap behind the newest one would never be read.
 */
export const MIN_OVERLAP_MINUTES = 60;

export interface CollectorSettings {
    /** How far back each read reaches before the newest entry already seen (out-of-order ingestion). */
    readonly overlapMinutes: number;
    /** How long a read may hold the lease before another instance may take over. */
    readonly leaseSeconds?: number;
    /** How soon a reader that found a read under way asks again. */
    readonly busyRetrySeconds?: number;
    /**
     * Least time between the starts of two reads: gates that arrive meanwhile wait and share the next read, so a
     * burst of gates costs a few queries however they are spread.
     */
    readonly minIntervalSeconds?: number;
}

export interface EvidenceQuery {
    readonly appId: string;
    readonly keys: readonly { readonly keyId: string; readonly since: string }[];
    readonly ownCorrelationIds: readonly string[];
    /** The reader needs a complete read that started at or after this instant. */
    readonly need: string;
}

export interface WatchRequest {
    readonly appId: string;
    readonly from: string;
    readonly until: string;
    readonly own: readonly string[];
}

/**
 * The shared sign-in evidence collector (rules in shared/domain/evidence and signInCollection). Its state is one
 * document in the state store, changed only by conditional writes (ETag / If-Match on Blob Storage), because a
 * Flex Consumption app runs on several instances at once and any of them may serve a usage gate: the lease in the
 * document lets exactly one read run at a time across all of them, and the records it folds in serve every gate.
 * (A Durable entity would also serialise access, but entity operations cannot do I/O and activities cannot
 * read entity state directly; a singleton orchestration would add a history round trip to every gate.)
 *
 * Reads happen on demand: a gate that needs a read newer than the last one takes the lease and reads; a gate that
 * finds one under way waits (a throttled answer: the orchestrator sleeps on a durable timer) and then finds the
 * records fresh. So N gates due at once cost a handful of queries, not N.
 */
export class SignInCollector {
    readonly #leaseMs: number;
    readonly #busyRetryMs: number;
    readonly #overlapMs: number;
    readonly #minIntervalMs: number;

    constructor(
        private readonly state: StateStorePort,
        private readonly feed: SignInFeedPort,
        settings: CollectorSettings,
        private readonly newRunId: () => string = randomUUID,
        /**
         * The clock orchestrations run on (system time in Azure; the emulator's in the sandbox, where it runs fast
         * and jumps): the lease and the spacing between reads are measured against the same time as the gates'
         * durable timers that wait for them.
         */
        private readonly nowMs: () => number | Promise<number> = Date.now,
    ) {
        this.#overlapMs = Math.max(settings.overlapMinutes, MIN_OVERLAP_MINUTES) * 60_000;
        this.#leaseMs = (settings.leaseSeconds ?? 600) * 1000;
        this.#busyRetryMs = (settings.busyRetrySeconds ?? 10) * 1000;
        this.#minIntervalMs = (settings.minIntervalSeconds ?? 30) * 1000;
    }

    /** Starts recording an app's sign-ins (idempotent: a second call only adds correlation ids). */
    async watch(request: WatchRequest): Promise<void> {
        await this.state.update<CollectorDoc>(COLLECTOR_KEY, (doc) =>
            addWatch(doc ?? emptyCollectorDoc(), request, this.#overlapMs),
        );
    }

    /**
     * What the records show for one app, from a complete read that started at or after `need`; reads the log
     * first when the records are older. Throws `throttled` while another read is under way or Graph says wait;
     * a failed read answers "not complete" (never zero).
     */
    async evidence(query: EvidenceQuery): Promise<SignInRead> {
        for (let round = 0; round < 3; round++) {
            const doc = (await this.state.read<CollectorDoc>(COLLECTOR_KEY)) ?? emptyCollectorDoc();
            const failedSince = doc.lastFailure && doc.lastFailure.asOf >= query.need;
            if (freshFor(doc, query.need) || failedSince) return evidenceFromRecords(doc, query);
            const outcome = await this.collect(query.need);
            if (typeof outcome === 'object') {
                throw throttledError('waiting for the next shared sign-in read', outcome.retryAfterMs);
            }
        }
        const doc = (await this.state.read<CollectorDoc>(COLLECTOR_KEY)) ?? emptyCollectorDoc();
        return evidenceFromRecords(doc, query);
    }

    /**
     * One read of the tenant's log, if no other instance is reading: from the cursor, every page, folded into
     * the records. `need` is an instant no later than this call (the read is at least that fresh).
     */
    async collect(need: string): Promise<'read' | 'failed' | { retryAfterMs: number }> {
        const runId = this.newRunId();
        let claim = 'busy' as 'claimed' | 'busy' | 'fresh';
        let retryAfterMs = this.#busyRetryMs;
        const nowMs = await this.nowMs();
        const afterClaim = await this.state.update<CollectorDoc>(COLLECTOR_KEY, (doc) => {
            const result = claimRead(
                doc ?? emptyCollectorDoc(),
                runId,
                need,
                nowMs,
                this.#leaseMs,
                this.#overlapMs,
                this.#minIntervalMs,
            );
            claim = result.claimed ? 'claimed' : result.fresh ? 'fresh' : 'busy';
            retryAfterMs = result.retryAfterMs ?? this.#busyRetryMs;
            return result.fresh ? unchanged : result.doc;
        });
        if (claim === 'fresh') return 'read';
        if (claim === 'busy' || !afterClaim?.lease) return { retryAfterMs };
        const start = afterClaim.lease.start;
        let read: Awaited<ReturnType<SignInFeedPort['successfulSince']>>;
        try {
            // A long read (a busy tenant, days since the last one) renews its lease every half lease, so no other
            // instance starts the same read meanwhile; a read that lost its lease stops.
            let renewedAt = nowMs;
            const onPage = async (): Promise<void> => {
                const at = await this.nowMs();
                if (at - renewedAt < this.#leaseMs / 2) return;
                renewedAt = at;
                let kept = true;
                await this.state.update<CollectorDoc>(COLLECTOR_KEY, (doc) => {
                    const renewed = renewRead(doc ?? emptyCollectorDoc(), runId, at, this.#leaseMs);
                    kept = renewed !== null;
                    return renewed ?? unchanged;
                });
                if (!kept) throw new Error('the sign-in read lost its lease to another instance');
            };
            read = start ? await this.feed.successfulSince(start, onPage) : { entries: [], pages: 0 };
        } catch (error) {
            if (isRotatorError(error) && error.code === ErrorCodes.throttled) {
                await this.state.update<CollectorDoc>(COLLECTOR_KEY, (doc) =>
                    releaseRead(doc ?? emptyCollectorDoc(), runId),
                );
                throw error;
            }
            const reason = error instanceof Error ? (error.message.split('\n')[0] ?? '').slice(0, 300) : 'read failed';
            await this.state.update<CollectorDoc>(COLLECTOR_KEY, (doc) =>
                failRead(doc ?? emptyCollectorDoc(), runId, reason),
            );
            return 'failed';
        }
        let applied = false;
        await this.state.update<CollectorDoc>(COLLECTOR_KEY, (doc) => {
            const result = foldRead(doc ?? emptyCollectorDoc(), runId, read, this.#overlapMs, need);
            applied = result.applied;
            return result.doc;
        });
        return applied ? 'read' : { retryAfterMs: this.#busyRetryMs };
    }
}
