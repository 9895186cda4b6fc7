import { describe, expect, it } from 'vitest';

import {
    HISTORY_INDEX_KEY,
    type HistoryRecord,
    historyKey,
    RotationHistory,
} from '../../../shared/history/rotationHistory';
import { historyRecord } from '../../support/builders/historyRecord';
import { MemoryStateStore } from '../../support/fakes/MemoryStateStore';

const VAULT = 'https://kv-a.vault.azure.net';
const DAY = 86_400_000;
const T0 = new Date('2026-01-01T00:00:00.000Z');
const at = (days: number): string => new Date(T0.getTime() + days * DAY).toISOString();

function record(overrides: Partial<HistoryRecord> = {}): HistoryRecord {
    return historyRecord({
        vaultUrl: VAULT,
        startedBy: { objectId: 'oid-1', appId: null, name: 'Ana' },
        startedAt: at(0),
        updatedAt: at(0),
        appId: 'app',
        oldKeyId: 'old',
        ...overrides,
    });
}

const finished = (overrides: Partial<HistoryRecord> = {}): HistoryRecord =>
    record({ status: 'Completed', final: true, finishedAt: at(1), updatedAt: at(1), ...overrides });

describe('rotation history records', () => {
    it('a running record is updated, a final one is frozen: a second write cannot change it', async () => {
        const state = new MemoryStateStore();
        const history = new RotationHistory(state);
        expect(await history.save(record(), T0)).toBe('written');
        expect(await history.save(record({ newKeyId: 'new' }), T0)).toBe('written');
        expect(await history.save(finished({ newKeyId: 'new' }), T0)).toBe('written');
        const before = state.peekRaw(historyKey(VAULT, 'billing'));

        expect(
            await history.save(finished({ status: 'Failed', outcome: { code: 'x', message: 'rewritten' } }), T0),
        ).toBe('frozen');
        expect(await history.save(record({ status: 'Running' }), T0)).toBe('frozen');
        expect(state.peekRaw(historyKey(VAULT, 'billing'))).toBe(before);
        expect(await history.get(VAULT, 'billing', 'r1')).toMatchObject({ status: 'Completed', outcome: null });
    });

    it('an identical re-write (a retried activity) changes nothing', async () => {
        const state = new MemoryStateStore();
        const history = new RotationHistory(state);
        await history.save(record(), T0);
        const before = state.peekRaw(historyKey(VAULT, 'billing'));
        expect(await history.save(record(), T0)).toBe('unchanged');
        expect(state.peekRaw(historyKey(VAULT, 'billing'))).toBe(before);
    });

    it('every rotation of a secret keeps its own record, listed newest first; another secret is apart', async () => {
        const history = new RotationHistory(new MemoryStateStore());
        await history.save(finished({ rotationId: 'r1' }), T0);
        await history.save(finished({ rotationId: 'r2', startedAt: at(2), finishedAt: at(3), status: 'Failed' }), T0);
        await history.save(finished({ rotationId: 'r3', secretName: 'other', startedAt: at(5) }), T0);
        expect((await history.list(VAULT, 'billing')).map((r) => [r.rotationId, r.status])).toEqual([
            ['r2', 'Failed'],
            ['r1', 'Completed'],
        ]);
        // Vault URL and secret name are matched like Key Vault does (case-insensitive, trailing slash).
        expect(await history.list(`${VAULT.toUpperCase()}/`, 'BILLING')).toHaveLength(2);
        expect(await history.get(VAULT, 'billing', 'r3')).toBeUndefined();
        expect((await history.recent(10, 0)).items.map((r) => r.rotationId)).toEqual(['r3', 'r2', 'r1']);
        expect(await history.recent(1, 1)).toMatchObject({ items: [{ rotationId: 'r2' }], more: true });
    });

    it('concurrent writers of one secret never lose a record (conditional writes)', async () => {
        const state = new MemoryStateStore();
        const history = new RotationHistory(state);
        await Promise.all(
            Array.from({ length: 8 }, (_, i) => history.save(finished({ rotationId: `r${i}`, startedAt: at(i) }), T0)),
        );
        expect(await history.list(VAULT, 'billing')).toHaveLength(8);
    });

    it('retention: the purge drops finished records past their retention, dry runs sooner, never running ones', async () => {
        const state = new MemoryStateStore();
        const history = new RotationHistory(state, { days: 400, dryRunDays: 30 });
        await history.save(finished({ rotationId: 'old', finishedAt: at(1) }), T0);
        await history.save(finished({ rotationId: 'dry', dryRun: true, finishedAt: at(372) }), T0);
        await history.save(finished({ rotationId: 'recent', finishedAt: at(300) }), T0);
        await history.save(record({ rotationId: 'running', startedAt: at(0) }), T0);
        await history.save(finished({ rotationId: 'gone', secretName: 'retired', finishedAt: at(2) }), T0);

        // Day 400: nothing is old enough yet (the oldest finished on day 1).
        expect(await history.purge(new Date(at(400)))).toEqual({ removed: 0, secrets: 2 });
        // Day 403: the day-1 and day-2 records are past 400 days, the day-372 dry run past 30 days.
        expect(await history.purge(new Date(at(403)))).toEqual({ removed: 3, secrets: 2 });
        expect((await history.list(VAULT, 'billing')).map((r) => r.rotationId).sort()).toEqual(['recent', 'running']);
        expect(await history.list(VAULT, 'retired')).toEqual([]);
        // A secret with no record left leaves the index, so later purges do not read it again.
        const index = await state.read<{ secrets: { secretName: string }[] }>(HISTORY_INDEX_KEY);
        expect(index?.secrets.map((s) => s.secretName)).toEqual(['billing']);
    });

    it("a write also drops the same secret's expired records", async () => {
        const history = new RotationHistory(new MemoryStateStore(), { days: 400, dryRunDays: 30 });
        await history.save(finished({ rotationId: 'dry', dryRun: true, finishedAt: at(1) }), T0);
        await history.save(record({ rotationId: 'next', startedAt: at(40) }), new Date(at(40)));
        expect((await history.list(VAULT, 'billing')).map((r) => r.rotationId)).toEqual(['next']);
    });
});
