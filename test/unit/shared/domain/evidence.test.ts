import { describe, expect, it } from 'vitest';

import {
    type EvidenceItem,
    judgeUsage,
    newKeySignIns,
    type SignInRead,
    switchProven,
    type UsageCheck,
} from '../../../../shared/domain/evidence';

const OLD = 'aaaaaaaa-0000-4000-8000-000000000001';
const NEW = 'bbbbbbbb-0000-4000-8000-000000000002';
const MARK = 'cccccccc-0000-4000-8000-000000000003';
const read = (over: Partial<Extract<SignInRead, { complete: true }>> = {}): SignInRead => ({
    complete: true,
    keys: [
        { keyId: OLD, count: 0, first: null, last: null },
        { keyId: NEW, count: 0, first: null, last: null },
    ],
    own: [{ correlationId: MARK, keyId: NEW, at: '2026-03-08T10:00:05Z' }],
    pages: 1,
    ...over,
});
const check = (over: Partial<UsageCheck> = {}): UsageCheck => ({
    oldKeyId: OLD,
    newKeyId: NEW,
    windowStart: '2026-03-01T11:00:00.000Z',
    markers: [{ correlationId: MARK, at: '2026-03-08T10:00:00.000Z' }],
    read: read(),
    now: '2026-03-08T10:30:00.000Z',
    ...over,
});

describe('usage gate rules', () => {
    it('rule 1: an incomplete read is not proven, never zero', () => {
        const verdict = judgeUsage(check({ read: { complete: false, reason: 'throttled (HTTP 429)' } }));
        expect(verdict.kind).toBe('notProven');
        expect(verdict.evidence).toMatchObject({ kind: 'notProven', source: 'signInLog' });
    });

    it('rule 2: any old-key sign-in since the window start means in use, even if the log lags', () => {
        const verdict = judgeUsage(
            check({
                markers: [],
                read: read({
                    keys: [
                        {
                            keyId: OLD.toUpperCase(),
                            count: 1,
                            first: '2026-03-01T19:00:00Z',
                            last: '2026-03-01T19:00:00Z',
                        },
                    ],
                    own: [],
                }),
            }),
        );
        expect(verdict).toMatchObject({ kind: 'inUse', count: 1, last: '2026-03-01T19:00:00Z' });
    });

    it("rule 3: without the rotator's own sign-in in the log, absence is not proven", () => {
        expect(judgeUsage(check({ read: read({ own: [] }) })).kind).toBe('notProven');
        expect(judgeUsage(check({ markers: [] })).kind).toBe('notProven');
        // An own sign-in with another key (or another correlation id) is no proof of this marker.
        expect(judgeUsage(check({ read: read({ own: [{ correlationId: MARK, keyId: OLD, at: 'x' }] }) })).kind).toBe(
            'notProven',
        );
    });

    it('rule 4: a complete read, marker in the log, no old-key use: clear up to the newest marker seen', () => {
        const older = { correlationId: 'dddddddd-0000-4000-8000-000000000004', at: '2026-03-07T10:00:00.000Z' };
        const verdict = judgeUsage(
            check({ markers: [older, { correlationId: MARK, at: '2026-03-08T10:00:00.000Z' }] }),
        );
        expect(verdict.kind).toBe('clear');
        expect(verdict.evidence.detail).toContain('to 2026-03-08T10:00:00.000Z');
    });
});

describe('confirm rules', () => {
    const at = '2026-03-08T10:00:00Z';
    const e = (source: string, kind: EvidenceItem['kind']): EvidenceItem => ({ source, kind, at, detail: '' });

    it('the switch is proven by any source showing the new key in use, or by the operator waiver', () => {
        expect(switchProven([])).toBe(false);
        expect(switchProven([e('signInLog', 'oldKeyQuiet'), e('signInLog', 'notProven')])).toBe(false);
        expect(switchProven([e('probe', 'newKeyInUse')])).toBe(true);
        // A source added later (an App Service reference) counts by kind, without changing the rule.
        expect(switchProven([e('appServiceReference', 'newKeyInUse')])).toBe(true);
        expect(switchProven([e('operator', 'noEvidenceAccepted')])).toBe(true);
    });

    it('consumer sign-ins with the new key are evidence; none, or an incomplete read, is not', () => {
        expect(newKeySignIns(read(), NEW, at)).toBeUndefined();
        expect(newKeySignIns({ complete: false, reason: 'x' }, NEW, at)).toBeUndefined();
        const used = read({
            keys: [{ keyId: NEW, count: 3, first: '2026-03-02T00:00:00Z', last: '2026-03-03T00:00:00Z' }],
        });
        expect(newKeySignIns(used, NEW, at)).toMatchObject({ source: 'signInLog', kind: 'newKeyInUse' });
    });
});
