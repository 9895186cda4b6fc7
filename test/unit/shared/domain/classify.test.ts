import { describe, expect, it } from 'vitest';

import { classifyCredential, crossedThreshold } from '../../../../shared/domain/classify';
import { credentialRef, type LifecycleState, type RotationMark } from '../../../../shared/domain/credential';
import { createPolicy, DEFAULT_POLICY } from '../../../../shared/domain/policy';
import { MS_PER_DAY } from '../../../../shared/domain/time';

const NOW = new Date('2026-06-15T09:00:00.000Z');
const at = (offsetMs: number): { endDateTime: string } => ({
    endDateTime: new Date(NOW.getTime() + offsetMs).toISOString(),
});
const days = (n: number): number => n * MS_PER_DAY;

describe('classifyCredential with the default policy (rotate 30 days ahead, alerts at 30 and 7)', () => {
    it.each<[string, number, LifecycleState, number | undefined, boolean, boolean]>([
        // name, offset of the end date from now, state, alert threshold, rotationDue, expired
        ['90 days left', days(90), 'Active', undefined, false, false],
        ['30 days + 1 ms left', days(30) + 1, 'Active', undefined, false, false],
        ['exactly 30 days left', days(30), 'ExpiringSoon', 30, true, false],
        ['30 days − 1 ms left', days(30) - 1, 'ExpiringSoon', 30, true, false],
        ['7 days + 1 ms left', days(7) + 1, 'ExpiringSoon', 30, true, false],
        ['exactly 7 days left', days(7), 'ExpiringSoon', 7, true, false],
        ['1 ms left', 1, 'ExpiringSoon', 7, true, false],
        ['end date == now', 0, 'Expired', 7, true, true],
        ['ended 1 ms ago', -1, 'Expired', 7, true, true],
        ['ended 400 days ago', -days(400), 'Expired', 7, true, true],
    ])('%s', (_name, offset, state, threshold, rotationDue, expired) => {
        const result = classifyCredential(at(offset), NOW, DEFAULT_POLICY);
        expect(result.state).toBe(state);
        expect(result.alertThresholdDays).toBe(threshold);
        expect(result.rotationDue).toBe(rotationDue);
        expect(result.expired).toBe(expired);
        expect(result.daysRemaining).toBe(offset / MS_PER_DAY);
    });

    it('reports negative days once expired', () => {
        expect(classifyCredential(at(-days(2.5)), NOW, DEFAULT_POLICY).daysRemaining).toBe(-2.5);
    });

    it('accepts Graph date-times without milliseconds', () => {
        const result = classifyCredential({ endDateTime: '2026-07-15T09:00:00Z' }, NOW, DEFAULT_POLICY);
        expect(result).toMatchObject({ daysRemaining: 30, alertThresholdDays: 30, rotationDue: true });
    });
});

describe('the rotate window is separate from the alert thresholds', () => {
    it('opens exactly rotateBeforeDays ahead', () => {
        const policy = createPolicy({ rotateBeforeDays: 14 });
        expect(classifyCredential(at(days(14)), NOW, policy).rotationDue).toBe(true);
        const before = classifyCredential(at(days(14) + 1), NOW, policy);
        expect(before.rotationDue).toBe(false);
        // Still inside the 30-day alert: expiring soon, but not yet due.
        expect(before.state).toBe('ExpiringSoon');
        expect(before.alertThresholdDays).toBe(30);
    });

    it('a window wider than every threshold makes the credential ExpiringSoon without an alert', () => {
        const policy = createPolicy({ rotateBeforeDays: 45 });
        const result = classifyCredential(at(days(40)), NOW, policy);
        expect(result).toMatchObject({ state: 'ExpiringSoon', rotationDue: true, alertThresholdDays: undefined });
        expect(classifyCredential(at(days(45) + 1), NOW, policy).state).toBe('Active');
    });

    it.each<[number, string]>([
        [30, '2026-06-15T09:00:00.000Z'],
        [14, '2026-07-01T09:00:00.000Z'],
    ])('rotateAt is the end date minus %i days', (rotateBeforeDays, expected) => {
        const result = classifyCredential(
            { endDateTime: '2026-07-15T09:00:00.000Z' },
            NOW,
            createPolicy({ rotateBeforeDays }),
        );
        expect(result.rotateAt).toBe(expected);
    });
});

describe('rotation marks win over dates', () => {
    it.each<[RotationMark, LifecycleState]>([
        ['rotating', 'Rotating'],
        ['grace', 'GracePeriod'],
        ['cleanedUp', 'CleanedUp'],
        ['attentionRequired', 'AttentionRequired'],
    ])('%s → %s, whatever the date says', (mark, state) => {
        for (const offset of [days(90), days(5), 0, -days(1)]) {
            const result = classifyCredential(at(offset), NOW, DEFAULT_POLICY, mark);
            expect(result.state).toBe(state);
            // A credential already being handled is never due again.
            expect(result.rotationDue).toBe(false);
            // The facts about the date are still reported.
            expect(result.expired).toBe(offset <= 0);
            expect(result.daysRemaining).toBe(offset / MS_PER_DAY);
        }
    });
});

describe('unreadable end dates need a human, never count as healthy', () => {
    it.each(['', 'not a date', '2026-02-30T00:00:00Z', '1', '2026-07-15T09:00:00'])('%j', (endDateTime) => {
        const result = classifyCredential({ endDateTime }, NOW, DEFAULT_POLICY);
        expect(result.state).toBe('AttentionRequired');
        expect(result.daysRemaining).toBeNaN();
        expect(result.rotationDue).toBe(false);
        expect(result.expired).toBe(false);
        expect(result.alertThresholdDays).toBeUndefined();
        expect(result.rotateAt).toBe(endDateTime);
    });

    it('even when a mark says otherwise', () => {
        expect(classifyCredential({ endDateTime: 'garbage' }, NOW, DEFAULT_POLICY, 'grace').state).toBe(
            'AttentionRequired',
        );
    });
});

describe('crossedThreshold', () => {
    it.each<[number, readonly number[], number | undefined]>([
        [31, [30, 7], undefined],
        [30, [30, 7], 30],
        [8, [30, 7], 30],
        [7, [30, 7], 7],
        [-1, [30, 7], 7],
        [5, [7, 30, 14], 7],
        [10, [7, 30, 14], 14],
        [5, [], undefined],
    ])('%d days with thresholds %j → %s', (daysRemaining, thresholds, expected) => {
        expect(crossedThreshold(daysRemaining, thresholds)).toBe(expected);
    });
});

describe('credentialRef', () => {
    it('joins app id and key id', () => {
        expect(credentialRef({ appId: 'app-1', keyId: 'key-2' })).toBe('app-1/key-2');
    });
});
