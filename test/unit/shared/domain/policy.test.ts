import { describe, expect, it } from 'vitest';

import { isRotatorError } from '../../../../shared/errors/RotatorError';
import {
    applyOverrides,
    checkCapacity,
    createPolicy,
    DEFAULT_POLICY,
    effectiveLifetimeDays,
    newCredentialWindow,
    PolicyOverrideTags,
    type RotationPolicy,
    validatePolicy,
} from '../../../../shared/domain/policy';

const NOW = new Date('2026-01-31T12:34:56.789Z');

function thrown(fn: () => unknown): Error {
    try {
        fn();
    } catch (error) {
        return error as Error;
    }
    throw new Error('expected a throw');
}

describe('DEFAULT_POLICY', () => {
    it('follows seed 004: rotate 30 days ahead, alert at 30 and 7, 7 days grace, 180-day lifetime, 5 secrets', () => {
        expect(DEFAULT_POLICY).toEqual({
            rotateBeforeDays: 30,
            alertThresholdDays: [30, 7],
            gracePeriodDays: 7,
            newCredentialLifetimeDays: 180,
            maxCredentialLifetimeDays: undefined,
            maxCredentialsPerApp: 5,
        });
        expect(Object.isFrozen(DEFAULT_POLICY)).toBe(true);
        expect(Object.isFrozen(DEFAULT_POLICY.alertThresholdDays)).toBe(true);
        expect(validatePolicy(DEFAULT_POLICY)).toEqual([]);
    });
});

describe('createPolicy', () => {
    it('returns the defaults, frozen', () => {
        const policy = createPolicy();
        expect(policy).toEqual(DEFAULT_POLICY);
        expect(Object.isFrozen(policy)).toBe(true);
    });

    it('sorts thresholds largest first and removes duplicates', () => {
        expect(createPolicy({ alertThresholdDays: [7, 30, 7, 14] }).alertThresholdDays).toEqual([30, 14, 7]);
    });

    it.each<[string, Partial<RotationPolicy>, string]>([
        [
            'lifetime equal to the rotate window',
            { newCredentialLifetimeDays: 30, rotateBeforeDays: 30 },
            'newCredentialLifetimeDays',
        ],
        ['lifetime shorter than the rotate window', { newCredentialLifetimeDays: 10 }, 'newCredentialLifetimeDays'],
        [
            'a clamped lifetime equal to the rotate window',
            { newCredentialLifetimeDays: 180, maxCredentialLifetimeDays: 30 },
            'newCredentialLifetimeDays',
        ],
        ['rotateBeforeDays 0', { rotateBeforeDays: 0 }, 'rotateBeforeDays'],
        ['rotateBeforeDays fractional', { rotateBeforeDays: 1.5 }, 'rotateBeforeDays'],
        ['rotateBeforeDays NaN', { rotateBeforeDays: Number.NaN }, 'rotateBeforeDays'],
        ['rotateBeforeDays above 365', { rotateBeforeDays: 366, newCredentialLifetimeDays: 3650 }, 'rotateBeforeDays'],
        ['negative grace', { gracePeriodDays: -1 }, 'gracePeriodDays'],
        ['lifetime above 3650', { newCredentialLifetimeDays: 3651 }, 'newCredentialLifetimeDays'],
        ['maxCredentialLifetimeDays 0', { maxCredentialLifetimeDays: 0 }, 'maxCredentialLifetimeDays'],
        ['only one credential per app (no room to rotate)', { maxCredentialsPerApp: 1 }, 'maxCredentialsPerApp'],
        ['a zero alert threshold', { alertThresholdDays: [30, 0] }, 'alertThresholdDays'],
        ['a fractional alert threshold', { alertThresholdDays: [7.5] }, 'alertThresholdDays'],
    ])('rejects %s', (_name, partial, setting) => {
        const error = thrown(() => createPolicy(partial));
        expect(isRotatorError(error)).toBe(true);
        expect(error.message.startsWith('input_invalid: invalid rotation policy: ')).toBe(true);
        expect(error.message).toContain(setting);
    });

    it.each<[string, Partial<RotationPolicy>]>([
        ['lifetime one day longer than the window', { newCredentialLifetimeDays: 31 }],
        ['a clamped lifetime one day longer than the window', { maxCredentialLifetimeDays: 31 }],
        ['zero grace', { gracePeriodDays: 0 }],
        ['two credentials per app', { maxCredentialsPerApp: 2 }],
        [
            'the upper bounds',
            { rotateBeforeDays: 365, newCredentialLifetimeDays: 3650, maxCredentialLifetimeDays: 3650 },
        ],
    ])('accepts %s', (_name, partial) => {
        expect(() => createPolicy(partial)).not.toThrow();
    });

    it('reports every problem at once', () => {
        const findings = validatePolicy({
            ...DEFAULT_POLICY,
            rotateBeforeDays: 0,
            gracePeriodDays: -1,
            maxCredentialsPerApp: 1,
        });
        expect(findings.map((f) => f.setting)).toEqual(['rotateBeforeDays', 'gracePeriodDays', 'maxCredentialsPerApp']);
    });
});

describe('clamping to the tenant maximum', () => {
    it.each<[number | undefined, number]>([
        [undefined, 180],
        [365, 180],
        [180, 180],
        [90, 90],
    ])('maxCredentialLifetimeDays %s → effective lifetime %i', (max, expected) => {
        expect(effectiveLifetimeDays(createPolicy({ maxCredentialLifetimeDays: max }))).toBe(expected);
    });

    it('cuts the window end to exactly the maximum', () => {
        const window = newCredentialWindow(NOW, createPolicy({ maxCredentialLifetimeDays: 90 }));
        expect(window).toEqual({
            startDateTime: '2026-01-31T12:34:56.789Z',
            endDateTime: '2026-05-01T12:34:56.789Z',
            lifetimeDays: 90,
            clamped: true,
        });
    });

    it('keeps the requested lifetime when the maximum allows it', () => {
        expect(newCredentialWindow(NOW, createPolicy())).toEqual({
            startDateTime: '2026-01-31T12:34:56.789Z',
            endDateTime: '2026-07-30T12:34:56.789Z',
            lifetimeDays: 180,
            clamped: false,
        });
        expect(newCredentialWindow(NOW, createPolicy({ maxCredentialLifetimeDays: 180 })).clamped).toBe(false);
    });

    it('counts whole days of 24 hours in UTC, across a leap day', () => {
        const window = newCredentialWindow(
            new Date('2028-02-28T00:00:00.000Z'),
            createPolicy({ newCredentialLifetimeDays: 31 }),
        );
        expect(window.endDateTime).toBe('2028-03-30T00:00:00.000Z');
    });
});

describe('applyOverrides', () => {
    const T = PolicyOverrideTags;

    it('names the tags it reads', () => {
        expect(T).toEqual({
            rotateBeforeDays: 'rotate-before-days',
            gracePeriodDays: 'grace-days',
            newCredentialLifetimeDays: 'lifetime-days',
        });
    });

    it('applies valid tags', () => {
        const { policy, findings } = applyOverrides(DEFAULT_POLICY, {
            [T.rotateBeforeDays]: '14',
            [T.gracePeriodDays]: ' 0 ',
            [T.newCredentialLifetimeDays]: '90',
            unrelated: 'x',
        });
        expect(findings).toEqual([]);
        expect(policy).toEqual({
            ...DEFAULT_POLICY,
            rotateBeforeDays: 14,
            gracePeriodDays: 0,
            newCredentialLifetimeDays: 90,
        });
        expect(Object.isFrozen(policy)).toBe(true);
    });

    it('returns the base unchanged when no tag is set', () => {
        const base = createPolicy();
        expect(applyOverrides(base, { [T.gracePeriodDays]: undefined })).toEqual({ policy: base, findings: [] });
    });

    it.each(['abc', '1.5', '-3', '', '14 days', '0x10', '1e3'])(
        'ignores %j with a finding, keeping the other tags',
        (raw) => {
            const { policy, findings } = applyOverrides(DEFAULT_POLICY, {
                [T.rotateBeforeDays]: raw,
                [T.gracePeriodDays]: '3',
            });
            expect(policy.rotateBeforeDays).toBe(DEFAULT_POLICY.rotateBeforeDays);
            expect(policy.gracePeriodDays).toBe(3);
            expect(findings).toEqual([
                { setting: 'rotate-before-days', problem: 'is not a whole number of days; ignored' },
            ]);
        },
    );

    it.each<[string, Record<string, string>]>([
        ['a lifetime inside the rotate window', { [T.newCredentialLifetimeDays]: '20' }],
        ['a rotate window longer than the lifetime', { [T.rotateBeforeDays]: '200' }],
        ['a rotate window of zero days', { [T.rotateBeforeDays]: '0' }],
        ['a lifetime Date cannot represent', { [T.newCredentialLifetimeDays]: '99999999999999999999' }],
    ])('ignores every override when together they are invalid: %s', (_name, tags) => {
        const base = createPolicy();
        const { policy, findings } = applyOverrides(base, { ...tags, [T.gracePeriodDays]: '3' });
        expect(policy).toBe(base);
        expect(findings.length).toBeGreaterThan(0);
        for (const finding of findings) expect(finding.problem).toMatch(/overrides ignored$/);
        expect(() => newCredentialWindow(NOW, policy)).not.toThrow();
    });

    it('judges a lifetime override against the tenant maximum', () => {
        const base = createPolicy({ maxCredentialLifetimeDays: 60 });
        const accepted = applyOverrides(base, { [T.newCredentialLifetimeDays]: '365' });
        expect(accepted.findings).toEqual([]);
        expect(newCredentialWindow(NOW, accepted.policy)).toMatchObject({ lifetimeDays: 60, clamped: true });

        const rejected = applyOverrides(base, { [T.rotateBeforeDays]: '60' });
        expect(rejected.policy).toBe(base);
        expect(rejected.findings.map((f) => f.setting)).toEqual(['newCredentialLifetimeDays']);
    });

    it('reports a bad number and an invalid combination together', () => {
        const { policy, findings } = applyOverrides(DEFAULT_POLICY, {
            [T.gracePeriodDays]: 'soon',
            [T.newCredentialLifetimeDays]: '5',
        });
        expect(policy).toBe(DEFAULT_POLICY);
        expect(findings.map((f) => f.setting)).toEqual(['grace-days', 'newCredentialLifetimeDays']);
    });
});

describe('checkCapacity', () => {
    it.each<[number, number, boolean]>([
        [0, 5, true],
        [4, 5, true],
        [5, 5, false],
        [6, 5, false],
        [1, 2, true],
        [2, 2, false],
    ])('%i of %i credentials → ok %s', (current, limit, ok) => {
        expect(checkCapacity(current, createPolicy({ maxCredentialsPerApp: limit }))).toEqual({ ok, current, limit });
    });
});
