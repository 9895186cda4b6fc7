import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { classifyAadsts, hasAadstsCode } from '../../../../shared/domain/aadsts';
import { classifyCredential } from '../../../../shared/domain/classify';
import {
    applyOverrides,
    createPolicy,
    DEFAULT_POLICY,
    newCredentialWindow,
    PolicyOverrideTags,
    validatePolicy,
} from '../../../../shared/domain/policy';
import { MS_PER_DAY, parseInstant } from '../../../../shared/domain/time';

const NOW = new Date('2026-06-15T09:00:00.000Z');

describe('parseInstant properties', () => {
    it('reads back every toISOString() of a four-digit year', () => {
        const dates = fc.date({
            min: new Date('0001-01-01T00:00:00.000Z'),
            max: new Date('9999-12-31T23:59:59.999Z'),
            noInvalidDate: true,
        });
        fc.assert(
            fc.property(dates, (date) => {
                expect(parseInstant(date.toISOString())?.getTime()).toBe(date.getTime());
            }),
        );
    });
});

describe('classifyCredential properties (default policy)', () => {
    it('state follows the end date exactly: Expired at or before now, Active beyond 30 days', () => {
        fc.assert(
            fc.property(fc.integer({ min: -400 * MS_PER_DAY, max: 400 * MS_PER_DAY }), (offset) => {
                const end = new Date(NOW.getTime() + offset).toISOString();
                const result = classifyCredential({ endDateTime: end }, NOW, DEFAULT_POLICY);
                const expected = offset <= 0 ? 'Expired' : offset > 30 * MS_PER_DAY ? 'Active' : 'ExpiringSoon';
                expect(result.state).toBe(expected);
                expect(result.rotationDue).toBe(offset <= 30 * MS_PER_DAY);
                expect(result.alertThresholdDays).toBe(
                    offset <= 7 * MS_PER_DAY ? 7 : offset <= 30 * MS_PER_DAY ? 30 : undefined,
                );
            }),
        );
    });
});

describe('policy properties', () => {
    const tagValue = fc.oneof(
        fc.string({ maxLength: 25 }),
        fc.integer({ min: -10, max: 5000 }).map(String),
        fc.stringMatching(/^\d{1,25}$/),
    );

    it('applyOverrides always yields a valid policy whose window can be computed', () => {
        fc.assert(
            fc.property(
                fc.option(tagValue, { nil: undefined }),
                fc.option(tagValue, { nil: undefined }),
                fc.option(tagValue, { nil: undefined }),
                fc.option(fc.integer({ min: 31, max: 3650 }), { nil: undefined }),
                (rotate, grace, lifetime, max) => {
                    const base = createPolicy({ maxCredentialLifetimeDays: max });
                    const { policy } = applyOverrides(base, {
                        [PolicyOverrideTags.rotateBeforeDays]: rotate,
                        [PolicyOverrideTags.gracePeriodDays]: grace,
                        [PolicyOverrideTags.newCredentialLifetimeDays]: lifetime,
                    });
                    expect(validatePolicy(policy)).toEqual([]);
                    const window = newCredentialWindow(NOW, policy);
                    // A new credential is never due the moment it is created.
                    const fresh = classifyCredential({ endDateTime: window.endDateTime }, NOW, policy);
                    expect(fresh.rotationDue).toBe(false);
                    if (max !== undefined) expect(window.lifetimeDays).toBeLessThanOrEqual(max);
                },
            ),
        );
    });
});

describe('AADSTS prefix trap properties', () => {
    const code = fc.integer({ min: 1, max: 99_999_999 });

    it('a code followed by another digit is a different code', () => {
        fc.assert(
            fc.property(code, fc.integer({ min: 0, max: 9 }), (c, digit) => {
                expect(hasAadstsCode(`AADSTS${c}: x`, c)).toBe(true);
                expect(hasAadstsCode(`AADSTS${c}${digit}: x`, c)).toBe(false);
                expect(classifyAadsts(`AADSTS${c}${digit}: x`).codes).not.toContain(c);
            }),
        );
    });
});
