import { format, inspect } from 'node:util';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { fingerprintOf, isFingerprint } from '../../../../shared/security/fingerprint';
import { redactText, scrubKnown } from '../../../../shared/security/redact';
import { REDACTED, Secret } from '../../../../shared/security/Secret';

const anyValue = fc.string({ minLength: 1, unit: 'binary' });

describe('Secret properties', () => {
    it('renders the same redaction whatever the value', () => {
        fc.assert(
            fc.property(anyValue, (value) => {
                const secret = new Secret(value);
                expect(JSON.stringify({ a: [secret] })).toBe(`{"a":["${REDACTED}"]}`);
                expect(String(secret)).toBe(REDACTED);
                expect(`${secret as unknown as string}`).toBe(REDACTED);
                expect(inspect({ s: secret })).toBe(`{ s: Secret(${REDACTED}) }`);
                expect(format('%s|%j', secret, secret)).toBe(`${REDACTED}|"${REDACTED}"`);
                expect(secret.reveal()).toBe(value);
            }),
        );
    });

    it('equals() agrees with string equality', () => {
        fc.assert(
            fc.property(anyValue, anyValue, (a, b) => {
                expect(new Secret(a).equals(new Secret(b))).toBe(a === b);
                expect(new Secret(a).equals(new Secret(a))).toBe(true);
            }),
        );
    });

    it('fingerprints are always 12 hex digits and deterministic', () => {
        fc.assert(
            fc.property(anyValue, (value) => {
                const fp = fingerprintOf(new Secret(value));
                expect(isFingerprint(fp)).toBe(true);
                expect(fingerprintOf(new Secret(value))).toBe(fp);
            }),
        );
    });
});

describe('scrubKnown properties', () => {
    // Brackets are excluded so a value cannot be re-formed across the edge of an inserted "[REDACTED]".
    const value = fc
        .string({ minLength: 1, maxLength: 40, unit: 'binary' })
        .filter((s) => !/[[\]]/.test(s) && !REDACTED.includes(s));
    const surrounding = fc.string({ maxLength: 40, unit: 'binary' });

    it('leaves no raw, JSON-escaped or URI-encoded copy of the value', () => {
        fc.assert(
            fc.property(value, surrounding, surrounding, (raw, before, after) => {
                const texts = [
                    `${before}${raw}${after}`,
                    `${before}${JSON.stringify(raw)}${after}`,
                    `${before}${encodeURIComponent(raw)}${after}`,
                ];
                for (const text of texts) {
                    const scrubbed = scrubKnown(text, [new Secret(raw)]);
                    expect(scrubbed).not.toContain(raw);
                    expect(scrubbed).not.toContain(encodeURIComponent(raw));
                }
            }),
        );
    });
});

describe('redactText properties', () => {
    const tokenChars = fc.string({
        minLength: 8,
        maxLength: 60,
        unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~+/=%-'),
    });

    it('removes any bearer token, client secret and JSON secret field value', () => {
        fc.assert(
            fc.property(tokenChars, (token) => {
                fc.pre(!'Authorization: Bearer client_secret=&secretText[REDACTED]'.includes(token));
                expect(redactText(`Authorization: Bearer ${token}`)).not.toContain(token);
                expect(redactText(`grant_type=client_credentials&client_secret=${token}&scope=x`)).not.toContain(token);
                expect(redactText(JSON.stringify({ keyId: 'k', secretText: token }))).not.toContain(token);
            }),
        );
    });

    it('is idempotent on text full of near-misses', () => {
        const pieces = fc.constantFrom(
            'Bearer ',
            'Basic ',
            'password=',
            'client_secret=',
            '"value":',
            '"token" : ',
            '"',
            '\\',
            'eyJhbGciOi',
            '.eyJzdWIi',
            '.c2ln',
            'abc',
            '==',
            ' ',
            '&',
            '\n',
        );
        fc.assert(
            fc.property(fc.string({ unit: pieces, maxLength: 30 }), (text) => {
                const once = redactText(text);
                expect(redactText(once)).toBe(once);
            }),
        );
    });
});
