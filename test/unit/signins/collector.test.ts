import { describe, expect, it } from 'vitest';

import {
    addWatch,
    claimRead,
    type CollectedSignIn,
    type CollectorDoc,
    emptyCollectorDoc,
    evidenceFromRecords,
    foldRead,
    nextStart,
    usesSince,
} from '../../../shared/domain/signInCollection';
import { ErrorCodes } from '../../../shared/errors/errorCodes';
import { isRotatorError } from '../../../shared/errors/RotatorError';
import { throttledError } from '../../../shared/pacing/throttled';
import { COLLECTOR_KEY, SignInCollector } from '../../../shared/signins/collector';
import { FakeSignIns } from '../../support/fakes/FakeSignIns';
import { MemoryStateStore } from '../../support/fakes/MemoryStateStore';

const APP = '11111111-1111-4111-8111-111111111111';
const OTHER_APP = '22222222-2222-4222-8222-222222222222';
const OLD = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const NEW = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const MARKER = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc';
const T0 = Date.parse('2026-03-10T12:00:00.000Z');
const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();
const OVERLAP_MS = 60 * 60_000;

/** A tenant world: a fake log on a manual clock and one shared state store, seen by several instances. */
function tenant() {
    let now = T0;
    const log = new FakeSignIns(() => new Date(now));
    const store = new MemoryStateStore();
    const instance = (leaseSeconds = 600, overlapMinutes = 60) =>
        new SignInCollector(
            store,
            log,
            { overlapMinutes, leaseSeconds, busyRetrySeconds: 10, minIntervalSeconds: 30 },
            undefined,
            () => now,
        );
    return {
        log,
        store,
        instance,
        advance: (minutes: number) => void (now += minutes * 60_000),
        now: () => new Date(now).toISOString(),
        doc: () => JSON.parse(store.peekRaw(COLLECTOR_KEY) ?? 'null') as CollectorDoc,
    };
}

const query = (need: string, since = at(0)) => ({
    appId: APP,
    keys: [
        { keyId: OLD, since },
        { keyId: NEW, since },
    ],
    ownCorrelationIds: [MARKER],
    need,
});

describe('shared sign-in collector', () => {
    it('the next read starts at the newest entry the log has shown minus the overlap, not at the time of the read', async () => {
        const t = tenant();
        t.log.ingestionLatencyMs = 4 * 3_600_000; // a log four hours behind
        const collector = t.instance();
        await collector.watch({ appId: APP, from: at(0), until: at(10_000), own: [] });
        t.log.record(APP, OLD, at(10));
        t.advance(5 * 60); // 10 min entry visible at 4 h 10 min
        await collector.evidence(query(t.now()));
        expect(t.doc().highWater).toBe(at(10));
        // Created at 2 h, visible only at 6 h: a cursor at "time of the last read" (5 h) would skip it for good.
        t.log.record(APP, OLD, at(120));
        t.advance(90);
        const read = await collector.evidence(query(t.now()));
        expect(t.log.feedQueries.at(-1)).toBe(new Date(Date.parse(at(10)) - OVERLAP_MS).toISOString());
        expect(read.complete && read.keys.find((k) => k.keyId === OLD)).toMatchObject({ count: 2, last: at(120) });
    });

    it('an entry ingested out of order, up to an hour behind newer ones, is still read even with a zero latency setting', async () => {
        const t = tenant();
        const collector = t.instance(600, 0);
        await collector.watch({ appId: APP, from: at(0), until: at(10_000), own: [] });
        t.log.record(APP, NEW, at(100));
        t.advance(101);
        await collector.evidence(query(t.now()));
        // Made at 50 min but ingested only now, behind the newer entry the last read saw.
        t.log.record(APP, OLD, at(50));
        t.advance(1);
        const read = await collector.evidence(query(t.now()));
        expect(read.complete && read.keys.find((k) => k.keyId === OLD)?.count).toBe(1);
    });

    it('an entry read again inside the overlap is counted once', async () => {
        const t = tenant();
        const collector = t.instance();
        await collector.watch({ appId: APP, from: at(0), until: at(10_000), own: [] });
        t.log.record(APP, OLD, at(5));
        t.advance(10);
        await collector.evidence(query(t.now()));
        t.advance(10);
        const read = await collector.evidence(query(t.now()));
        expect(t.log.feedQueries).toHaveLength(2);
        expect(read.complete && read.keys.find((k) => k.keyId === OLD)?.count).toBe(1);
    });

    it("the rotator's own tagged sign-ins are recorded apart and never count as use", async () => {
        const t = tenant();
        const collector = t.instance();
        await collector.watch({ appId: APP, from: at(0), until: at(10_000), own: [MARKER] });
        t.log.record(APP, NEW, at(5), { correlationId: MARKER });
        t.advance(10);
        const read = await collector.evidence(query(t.now()));
        expect(read).toMatchObject({ complete: true, own: [{ correlationId: MARKER, keyId: NEW, at: at(5) }] });
        expect(read.complete && read.keys.find((k) => k.keyId === NEW)?.count).toBe(0);
    });

    it('records only watched apps, from where their coverage starts', async () => {
        const t = tenant();
        const collector = t.instance();
        await collector.watch({ appId: OTHER_APP, from: at(0), until: at(10_000), own: [] });
        t.log.record(APP, OLD, at(5));
        t.advance(10);
        await collector.evidence({ ...query(t.now()), appId: OTHER_APP });
        expect(t.doc().watches[APP]).toBeUndefined();
        // Watched later: coverage starts where the next read starts (newest seen minus overlap), so the earlier
        // entry is picked up by that read, and a gate asking for more than that is told "not complete".
        await collector.watch({ appId: APP, from: at(8), until: at(10_000), own: [] });
        expect(t.doc().watches[APP]?.coveredFrom).toBe(new Date(Date.parse(at(5)) - OVERLAP_MS).toISOString());
        t.advance(1);
        const read = await collector.evidence(query(t.now()));
        expect(read.complete && read.keys.find((k) => k.keyId === OLD)?.count).toBe(1);
        const early = await collector.evidence(query(t.now(), at(-60)));
        expect(early).toMatchObject({ complete: false });
        expect(!early.complete && early.reason).toContain('only from');
    });

    describe('fails closed', () => {
        it('a failed read is "not complete" with its reason, never zero, and the next gate reads again', async () => {
            const t = tenant();
            const collector = t.instance();
            await collector.watch({ appId: APP, from: at(0), until: at(10_000), own: [] });
            t.log.record(APP, OLD, at(5));
            t.log.failNext(new Error('unavailable: graph read sign-in logs (HTTP 503)'));
            t.advance(10);
            const failed = await collector.evidence(query(t.now()));
            expect(failed).toMatchObject({ complete: false });
            expect(!failed.complete && failed.reason).toContain('HTTP 503');
            t.advance(1);
            const next = await collector.evidence(query(t.now()));
            expect(next.complete && next.keys.find((k) => k.keyId === OLD)?.count).toBe(1);
        });

        it('records older than the reader needs are "not complete", never an answer', () => {
            let doc = addWatch(emptyCollectorDoc(), { appId: APP, from: at(0), until: at(999), own: [] }, OVERLAP_MS);
            doc = claimRead(doc, 'run-1', at(10), T0, 600_000, OVERLAP_MS).doc;
            doc = foldRead(doc, 'run-1', { entries: [], pages: 1 }, OVERLAP_MS, at(10)).doc;
            expect(evidenceFromRecords(doc, query(at(10)))).toMatchObject({ complete: true });
            const stale = evidenceFromRecords(doc, query(at(11)));
            expect(stale).toMatchObject({ complete: false });
        });

        it('an app that is not watched is "not complete"', () => {
            const doc = emptyCollectorDoc();
            expect(evidenceFromRecords(doc, query(at(0)))).toMatchObject({ complete: false });
        });

        it('a throttled read gives the lease back and tells the caller to wait', async () => {
            const t = tenant();
            const collector = t.instance();
            await collector.watch({ appId: APP, from: at(0), until: at(10_000), own: [] });
            t.log.failNext(throttledError('graph read sign-in logs (HTTP 429)', 20_000));
            const error = await collector.evidence(query(t.now())).catch((e: unknown) => e);
            expect(isRotatorError(error) && error.code).toBe(ErrorCodes.throttled);
            expect(t.doc().lease).toBeNull();
            expect(t.doc().lastSuccess).toBeNull();
        });
    });

    describe('concurrency across instances', () => {
        it('N gates due at once on three instances: one read of the log serves them all', async () => {
            const t = tenant();
            const instances = [t.instance(), t.instance(), t.instance()];
            await instances[0]!.watch({ appId: APP, from: at(0), until: at(10_000), own: [] });
            t.log.record(APP, OLD, at(5));
            t.advance(10);
            const need = t.now();
            const answers = await Promise.all(
                Array.from({ length: 30 }, (_, i) => instances[i % 3]!.evidence(query(need)).catch((e: unknown) => e)),
            );
            expect(t.log.feedQueries).toHaveLength(1);
            const waiting = answers.filter((a) => isRotatorError(a) && a.code === ErrorCodes.throttled);
            // The ones told to wait find the records fresh when they come back: no second read.
            const again = await Promise.all(waiting.map(() => instances[0]!.evidence(query(need))));
            expect(t.log.feedQueries).toHaveLength(1);
            for (const answer of [...answers.filter((a) => !isRotatorError(a)), ...again]) {
                expect(answer).toMatchObject({ complete: true });
            }
        });

        it('a reader that needed a later moment while a read ran gets a read of its own, which covers every such reader', async () => {
            const t = tenant();
            const collector = t.instance();
            await collector.watch({ appId: APP, from: at(0), until: at(10_000), own: [] });
            let doc = t.doc();
            doc = claimRead(doc, 'first', at(10), T0, 600_000, OVERLAP_MS).doc;
            // Two readers arrive while "first" reads: both are told to wait and leave what they need.
            doc = claimRead(doc, 'second', at(12), T0, 600_000, OVERLAP_MS).doc;
            doc = claimRead(doc, 'third', at(11), T0, 600_000, OVERLAP_MS).doc;
            expect(doc.wanted).toBe(at(12));
            doc = foldRead(doc, 'first', { entries: [], pages: 1 }, OVERLAP_MS, at(10)).doc;
            expect(doc.lastSuccess?.asOf).toBe(at(10));
            const next = claimRead(doc, 'fourth', at(11), T0, 600_000, OVERLAP_MS);
            expect(next.claimed).toBe(true);
            expect(next.doc.lease?.asOf).toBe(at(12));
        });

        it('reads are spaced: gates that need a newer read within the interval wait and then share one read', async () => {
            const t = tenant();
            const collector = t.instance();
            await collector.watch({ appId: APP, from: at(0), until: at(10_000), own: [] });
            t.advance(10);
            await collector.evidence(query(t.now()));
            const needs: string[] = [];
            for (let i = 0; i < 3; i++) {
                t.advance(0.1); // 6 s apart
                needs.push(t.now());
                const waiting = await collector.evidence(query(t.now())).catch((e: unknown) => e);
                expect(isRotatorError(waiting) && waiting.code).toBe(ErrorCodes.throttled);
                expect(isRotatorError(waiting) && waiting.retryAfterSeconds).toBeLessThanOrEqual(30 - 6 * i);
            }
            t.advance(0.25);
            for (const need of needs) expect(await collector.evidence(query(need))).toMatchObject({ complete: true });
            expect(t.log.feedQueries).toHaveLength(2);
        });

        it('a read that outlived its lease is dropped: the read that took over covers the same ground', () => {
            let doc = addWatch(emptyCollectorDoc(), { appId: APP, from: at(0), until: at(999), own: [] }, OVERLAP_MS);
            doc = claimRead(doc, 'slow', at(10), T0, 1_000, OVERLAP_MS).doc;
            const takeover = claimRead(doc, 'fast', at(10), T0 + 2_000, 600_000, OVERLAP_MS);
            expect(takeover.claimed).toBe(true);
            const entry: CollectedSignIn = { id: 'x', at: at(5), appId: APP, keyId: OLD, correlationId: null };
            const late = foldRead(takeover.doc, 'slow', { entries: [entry], pages: 1 }, OVERLAP_MS, at(10));
            expect(late.applied).toBe(false);
            expect(late.doc).toBe(takeover.doc);
        });

        it('a read that pages for longer than its lease renews it, so no other instance starts the same read', async () => {
            const t = tenant();
            const slow = t.instance(300);
            const other = t.instance(300);
            await slow.watch({ appId: APP, from: at(0), until: at(10_000), own: [] });
            for (let i = 0; i < 4; i++) t.log.record(APP, OLD, at(i + 1));
            t.advance(10);
            const need = t.now();
            t.log.pageSize = 1;
            const otherAnswers: unknown[] = [];
            t.log.betweenPages = async () => {
                t.advance(3); // 4 pages, 3 min apart: 9 min in all, past the 5-min lease
                otherAnswers.push(await other.collect(need));
            };
            await slow.evidence(query(need));
            t.log.betweenPages = undefined;
            expect(t.log.feedQueries).toHaveLength(1);
            expect(otherAnswers.every((a) => typeof a === 'object')).toBe(true);
            const read = await other.evidence(query(need));
            expect(read.complete && read.keys.find((k) => k.keyId === OLD)?.count).toBe(4);
        });

        it('watches from many instances at once are all kept (conditional writes)', async () => {
            const t = tenant();
            const apps = Array.from({ length: 12 }, (_, i) => `${String(i).padStart(8, '0')}-1111-4111-8111-111111111111`);
            await Promise.all(
                apps.map((appId, i) => t.instance().watch({ appId, from: at(i), until: at(10_000), own: [] })),
            );
            expect(Object.keys(t.doc().watches).sort()).toEqual(apps.sort());
        });
    });

    it('counts uses from a later instant than the first one with the recent list (a lower bound when it is full)', () => {
        const record = { count: 50, first: at(0), last: at(49), recent: [at(49), at(48), at(47)] };
        expect(usesSince(record, at(48))).toMatchObject({ count: 2, last: at(49) });
        expect(usesSince(record, at(50)).count).toBe(0);
        expect(usesSince(record, at(0)).count).toBe(50);
        expect(usesSince(undefined, at(0)).count).toBe(0);
    });

    it('before the first read, the next read starts at the earliest watch', () => {
        let doc = addWatch(emptyCollectorDoc(), { appId: APP, from: at(30), until: at(999), own: [] }, OVERLAP_MS);
        doc = addWatch(doc, { appId: OTHER_APP, from: at(10), until: at(999), own: [] }, OVERLAP_MS);
        expect(nextStart(doc, OVERLAP_MS)).toBe(at(10));
    });
});
