/**
 * The shared sign-in evidence collector's rules, pure so that each one can be stated in a test.
 *
 * One paged query of the tenant's successful service-principal sign-ins serves every rotation in flight: the
 * collector folds what it reads into per-app, per-credential first/last use for the apps rotations asked it to
 * watch, and records when the rotator's own tagged sign-ins (known correlation ids) appear. The usage gate reads
 * these records instead of querying Graph itself.
 *
 * Cursor: the next query starts at the newest `createdDateTime` the log has shown, minus an overlap. Basing it on
 * what the log has *shown* (not on the time of the query) keeps a lagging log from being skipped: with ingestion
 * L behind, the newest visible entry is about L old, so the next query reaches back that far on its own. The
 * overlap absorbs entries ingested out of order; entries read twice are recognised by id.
 */

import { type KeyUse, type SignInRead } from './evidence';

/** One successful service-principal sign-in as the collector needs it. */
export interface CollectedSignIn {
    readonly id: string;
    readonly at: string;
    readonly appId: string;
    readonly keyId: string | null;
    readonly correlationId: string | null;
}

/** Newest use timestamps kept per credential, to count uses from a later instant than the first one. */
export const RECENT_USES = 20;

export interface KeyRecord {
    count: number;
    first: string;
    last: string;
    /** The newest RECENT_USES use instants, newest first. */
    recent: string[];
}

export interface AppWatch {
    /** Every successful sign-in of this app at or after this instant that the log showed is recorded. */
    coveredFrom: string;
    /** The watch ends (and its records go) after this instant. */
    until: string;
    /** Correlation ids of the rotator's own sign-ins: recorded apart, never counted as use. */
    own: string[];
    /** Own sign-ins seen in the log: correlation id → key id and when. */
    seen: Record<string, { keyId: string; at: string }>;
    keys: Record<string, KeyRecord>;
}

export interface CollectorDoc {
    schema: 1;
    /** Newest `createdDateTime` any read has shown (null: nothing read yet). */
    highWater: string | null;
    /** Ids of recorded entries at or after the next query's start, so the overlap never counts one twice. */
    recentIds: Record<string, string>;
    /** The last complete read: every entry visible when it started (not earlier than `asOf`) is recorded. */
    lastSuccess: { asOf: string; pages: number; records: number } | null;
    /** The last failed read, if it came after the last complete one. */
    lastFailure: { asOf: string; reason: string } | null;
    /** Wall-clock ms when the last read was claimed (reads are spaced so that waiting readers share one). */
    lastStartMs?: number;
    /** At most one read at a time across instances. */
    lease: { runId: string; untilMs: number; asOf: string; start: string | null } | null;
    /** The newest instant a reader needed while a read was already running: the next read covers it. */
    wanted: string | null;
    watches: Record<string, AppWatch>;
}

export function emptyCollectorDoc(): CollectorDoc {
    return {
        schema: 1,
        highWater: null,
        recentIds: {},
        lastSuccess: null,
        lastFailure: null,
        lease: null,
        wanted: null,
        watches: {},
    };
}

/**
 * Where the next read starts. Before the first read: the earliest watch's start; afterwards the newest entry
 * shown, minus the overlap. Null when there is nothing to watch and nothing read yet.
 */
export function nextStart(doc: CollectorDoc, overlapMs: number): string | null {
    if (doc.highWater) return iso(Date.parse(doc.highWater) - overlapMs);
    const starts = Object.values(doc.watches).map((w) => Date.parse(w.coveredFrom));
    return starts.length > 0 ? iso(Math.min(...starts)) : null;
}

/**
 * Starts (or extends) watching an app. Coverage begins where the next read starts (that read sees every entry
 * from there on), or at `from` if that is later; an existing watch keeps its earlier coverage.
 */
export function addWatch(
    doc: CollectorDoc,
    watch: { appId: string; from: string; until: string; own: readonly string[] },
    overlapMs: number,
): CollectorDoc {
    const appId = watch.appId.toLowerCase();
    const own = watch.own.map((c) => c.toLowerCase());
    const existing = doc.watches[appId];
    if (existing) {
        const merged = [...new Set([...existing.own, ...own])];
        if (merged.length === existing.own.length && existing.until >= watch.until) return doc;
        const until = existing.until >= watch.until ? existing.until : watch.until;
        return { ...doc, watches: { ...doc.watches, [appId]: { ...existing, own: merged, until } } };
    }
    // Coverage starts where the next read starts (it sees every entry from there on); before the first read, at
    // `from`. A read already under way started where its lease says: never claim coverage before that.
    let coveredFrom = doc.highWater ? nextStart(doc, overlapMs)! : watch.from;
    if (doc.lease?.start && doc.lease.start > coveredFrom) coveredFrom = doc.lease.start;
    return {
        ...doc,
        watches: {
            ...doc.watches,
            [appId]: { coveredFrom, until: watch.until, own, seen: {}, keys: {} },
        },
    };
}

/**
 * Takes the read lease if nobody holds a live one. The lease's `asOf` is the newest instant a reader needed
 * before the read started (so no later than its start); `start` is where the read will begin.
 */
export function claimRead(
    doc: CollectorDoc,
    runId: string,
    need: string,
    nowMs: number,
    leaseMs: number,
    overlapMs: number,
    minIntervalMs = 0,
): { doc: CollectorDoc; claimed: boolean; fresh?: true; retryAfterMs?: number } {
    // A read that started after `need` finished while this reader was on its way: nothing to do.
    if (freshFor(doc, need)) return { doc, claimed: false, fresh: true };
    const leased = doc.lease && doc.lease.untilMs > nowMs && doc.lease.runId !== runId;
    // Reads are spaced: readers that arrive meanwhile leave what they need and share the next read.
    const spacedMs = doc.lastStartMs === undefined ? 0 : doc.lastStartMs + minIntervalMs - nowMs;
    if (leased || spacedMs > 0) {
        const wanted = doc.wanted && doc.wanted >= need ? doc.wanted : need;
        const retryAfterMs = Math.max(spacedMs, leased ? 0 : 1);
        return { doc: { ...doc, wanted }, claimed: false, ...(retryAfterMs > 0 ? { retryAfterMs } : {}) };
    }
    const asOf = doc.wanted && doc.wanted > need ? doc.wanted : need;
    const start = nextStart(doc, overlapMs);
    return {
        doc: { ...doc, lease: { runId, untilMs: nowMs + leaseMs, asOf, start }, wanted: null, lastStartMs: nowMs },
        claimed: true,
    };
}

/** Extends a read's lease while it pages through a long log; null when the lease is no longer this read's. */
export function renewRead(doc: CollectorDoc, runId: string, nowMs: number, leaseMs: number): CollectorDoc | null {
    if (doc.lease?.runId !== runId) return null;
    return { ...doc, lease: { ...doc.lease, untilMs: nowMs + leaseMs } };
}

/** Gives the lease back without recording anything (a throttled read: try again later). */
export function releaseRead(doc: CollectorDoc, runId: string): CollectorDoc {
    if (doc.lease?.runId !== runId) return doc;
    return { ...doc, lease: null, wanted: laterOf(doc.wanted, doc.lease.asOf) };
}

export function failRead(doc: CollectorDoc, runId: string, reason: string): CollectorDoc {
    if (doc.lease?.runId !== runId) return doc;
    return { ...doc, lease: null, lastFailure: { asOf: doc.lease.asOf, reason }, wanted: null };
}

/**
 * Folds one complete read (every page, started at `nextStart`) into the records. A read whose lease was lost
 * (it ran past its lease and another read took over) is dropped: the other read covers the same ground.
 */
export function foldRead(
    doc: CollectorDoc,
    runId: string,
    read: { entries: readonly CollectedSignIn[]; pages: number },
    overlapMs: number,
    nowIso: string,
): { doc: CollectorDoc; applied: boolean } {
    if (doc.lease?.runId !== runId) return { doc, applied: false };
    const asOf = doc.lease.asOf;
    const watches: Record<string, AppWatch> = {};
    for (const [appId, w] of Object.entries(doc.watches)) {
        // Ended watches go; so does a watch nobody has used since its end.
        if (w.until >= nowIso) watches[appId] = structuredClone(w);
    }
    let highWater = doc.highWater;
    for (const entry of read.entries) if (!highWater || entry.at > highWater) highWater = entry.at;
    const recentIds: Record<string, string> = { ...doc.recentIds };
    let records = 0;
    for (const entry of read.entries) {
        const watch = watches[entry.appId.toLowerCase()];
        if (!watch || entry.at < watch.coveredFrom || !entry.keyId) continue;
        if (recentIds[entry.id]) continue;
        recentIds[entry.id] = entry.at;
        records += 1;
        const keyId = entry.keyId.toLowerCase();
        const correlation = entry.correlationId?.toLowerCase();
        if (correlation && watch.own.includes(correlation)) {
            watch.seen[correlation] = { keyId, at: entry.at };
            continue;
        }
        const key = (watch.keys[keyId] ??= { count: 0, first: entry.at, last: entry.at, recent: [] });
        key.count += 1;
        if (entry.at < key.first) key.first = entry.at;
        if (entry.at > key.last) key.last = entry.at;
        key.recent = [...key.recent, entry.at].sort((a, b) => (a < b ? 1 : -1)).slice(0, RECENT_USES);
    }
    const next = highWater ? iso(Date.parse(highWater) - overlapMs) : null;
    for (const [id, at] of Object.entries(recentIds)) if (!next || at < next) delete recentIds[id];
    return {
        applied: true,
        doc: {
            ...doc,
            highWater,
            recentIds,
            watches,
            lease: null,
            lastFailure: null,
            lastSuccess: { asOf, pages: read.pages, records },
        },
    };
}

/** Whether the last complete read started late enough for a reader that needs everything visible at `need`. */
export function freshFor(doc: CollectorDoc, need: string): boolean {
    return !!doc.lastSuccess && doc.lastSuccess.asOf >= need;
}

/**
 * The gate's view of one app: a complete read only if the watch covers every key's `since`, and the last
 * complete read started after `need`. Anything else is incomplete, which the gate treats as "not proven".
 */
export function evidenceFromRecords(
    doc: CollectorDoc,
    query: {
        appId: string;
        keys: readonly { keyId: string; since: string }[];
        ownCorrelationIds: readonly string[];
        need: string;
    },
): SignInRead {
    const watch = doc.watches[query.appId.toLowerCase()];
    if (!watch) return { complete: false, reason: `the sign-in collector does not watch app ${query.appId}` };
    const earliest = query.keys.map((k) => k.since).sort()[0] ?? query.need;
    if (watch.coveredFrom > earliest) {
        return {
            complete: false,
            reason: `the sign-in collector has records of app ${query.appId} only from ${watch.coveredFrom}, not from ${earliest}`,
        };
    }
    if (!freshFor(doc, query.need)) {
        const failure = doc.lastFailure ? `; last read failed: ${doc.lastFailure.reason}` : '';
        return {
            complete: false,
            reason: `the sign-in collector has no complete read since ${query.need} (last: ${doc.lastSuccess?.asOf ?? 'none'}${failure})`,
        };
    }
    const keys: KeyUse[] = query.keys.map((k) => {
        const record = watch.keys[k.keyId.toLowerCase()];
        return { keyId: k.keyId, ...usesSince(record, k.since) };
    });
    const own = new Set(query.ownCorrelationIds.map((c) => c.toLowerCase()));
    const ownSeen = Object.entries(watch.seen)
        .filter(([correlationId]) => own.has(correlationId))
        .map(([correlationId, s]) => ({ correlationId, keyId: s.keyId, at: s.at }));
    return {
        complete: true,
        keys,
        own: ownSeen,
        pages: doc.lastSuccess!.pages,
        source: `shared sign-in collector (complete read as of ${doc.lastSuccess!.asOf})`,
    };
}

/** Uses at or after `since`: exact when every use is that late or the recent list reaches back past it. */
export function usesSince(
    record: KeyRecord | undefined,
    since: string,
): { count: number; first: string | null; last: string | null } {
    if (!record || record.last < since) return { count: 0, first: null, last: null };
    if (record.first >= since) return { count: record.count, first: record.first, last: record.last };
    const recent = record.recent.filter((at) => at >= since);
    // The recent list is full and all of it is that late: at least that many (a lower bound is enough for "in use").
    return { count: Math.max(1, recent.length), first: recent.at(-1) ?? null, last: record.last };
}

function laterOf(a: string | null, b: string): string {
    return a && a > b ? a : b;
}

function iso(ms: number): string {
    return new Date(ms).toISOString();
}
