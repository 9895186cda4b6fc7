import { runInNewContext } from 'node:vm';

import { describe, expect, it } from 'vitest';

import { DASHBOARD_LOGIC_JS } from '../../../shared/dashboard/clientLogic';

/* eslint-disable @typescript-eslint/no-explicit-any -- the browser script is untyped JavaScript */
function load(): any {
    const module = { exports: {} };
    runInNewContext(DASHBOARD_LOGIC_JS, { module, URLSearchParams, atob, TextDecoder, Uint8Array });
    return module.exports;
}
const L = load();

const record = (id: string, extra: Record<string, unknown> = {}) => ({
    id,
    rotationId: id,
    secretName: 'billing',
    status: 'Completed',
    final: true,
    createdAt: '2026-12-01T00:00:00.000Z',
    steps: [],
    evidence: [],
    waiver: null,
    awaiting: null,
    ...extra,
});

describe('dashboard history from the immutable records', () => {
    it('shows every record, a running one with its live view, and nothing the records do not hold', () => {
        const records = [
            record('r2', { status: 'Running', final: false, createdAt: '2026-12-02T00:00:00.000Z' }),
            record('r1'),
        ];
        const live = [
            { id: 'r2', secretName: 'billing', status: 'Running', steps: [{ name: 'create', state: 'succeeded' }] },
            { id: 'r1', secretName: 'billing', status: 'Completed', steps: [{ name: 'overwritten' }] },
            { id: 'r0', secretName: 'other', status: 'Completed' },
        ];
        const merged = L.mergeHistory(records, live);
        expect(merged.map((r: any) => r.id)).toEqual(['r2', 'r1']);
        expect(merged[0].steps).toEqual([{ name: 'create', state: 'succeeded' }]);
        // A final record is what the history shows, whatever Durable says now.
        expect(merged[1].steps).toEqual([]);
        expect(Object.keys(L.historyBySecret(merged))).toEqual(['billing']);
    });

    it('says who accepted "no evidence", when and why', () => {
        expect(
            L.waiverLine(
                record('r1', {
                    waiver: {
                        by: { objectId: 'o', appId: null, name: 'Ana' },
                        at: '2026-12-03T00:00:00Z',
                        reason: 'CHG-1',
                    },
                }),
            ),
        ).toBe('No evidence accepted by Ana at 2026-12-03T00:00:00Z \u2014 \u201cCHG-1\u201d');
        expect(L.waiverLine(record('r1'))).toBeNull();
    });

    it('a rotation waiting for the waiver is a Needs-action card that offers it', () => {
        const waiting = record('r3', {
            status: 'AttentionRequired',
            outcome: { code: 'no_switch_evidence', message: 'nothing shows a consumer using the new key' },
            awaiting: { action: 'acceptNoEvidence', until: '2026-12-09T00:00:00.000Z' },
        });
        const [card] = L.needsAction({ items: [] }, [waiting], {});
        expect(card).toMatchObject({ kind: 'rotation', rotationId: 'r3', awaiting: { action: 'acceptNoEvidence' } });
        expect(card.next).toContain('accept \u201cno evidence\u201d');
        expect(card.next).toContain('2026-12-09T00:00:00.000Z');
        const [ended] = L.needsAction({ items: [] }, [{ ...waiting, awaiting: null }], {});
        expect(ended.awaiting).toBeNull();
        expect(ended.next).not.toContain('no evidence');
    });
});
