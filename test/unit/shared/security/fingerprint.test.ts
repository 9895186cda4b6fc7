import { describe, expect, it } from 'vitest';

import {
    FINGERPRINT_LENGTH,
    fingerprintOf,
    fingerprintOfText,
    isFingerprint,
} from '../../../../shared/security/fingerprint';
import { Secret } from '../../../../shared/security/Secret';

describe('fingerprint', () => {
    // Literal SHA-256 prefixes (FIPS 180-2 test vector for 'abc'; well-known digests for the others).
    it.each<[string, string]>([
        ['abc', 'ba7816bf8f01'],
        ['', 'e3b0c44298fc'],
        ['hello', '2cf24dba5fb0'],
        ['The quick brown fox jumps over the lazy dog', 'd7a8fbb307d7'],
    ])('fingerprintOfText(%j) is %s', (text, expected) => {
        expect(fingerprintOfText(text)).toBe(expected);
    });

    it('fingerprintOf(Secret) equals the fingerprint of its text', () => {
        expect(fingerprintOf(new Secret('abc'))).toBe('ba7816bf8f01');
    });

    it('hashes UTF-8 bytes, so visually similar values differ', () => {
        expect(fingerprintOfText('e\u0301')).not.toBe(fingerprintOfText('\u00e9'));
    });

    it('is 12 lower-case hex characters and never the value itself', () => {
        const value = 'CANARY-s3cr3t-value';
        const fp = fingerprintOf(new Secret(value));
        expect(FINGERPRINT_LENGTH).toBe(12);
        expect(fp).toHaveLength(12);
        expect(fp).toMatch(/^[0-9a-f]{12}$/);
        expect(value).not.toContain(fp);
    });

    it('is deterministic and distinguishes versions', () => {
        expect(fingerprintOfText('v1-secret')).toBe(fingerprintOfText('v1-secret'));
        expect(fingerprintOfText('v1-secret')).not.toBe(fingerprintOfText('v2-secret'));
    });

    describe('isFingerprint', () => {
        it.each<[unknown, boolean]>([
            ['ba7816bf8f01', true],
            ['000000000000', true],
            ['BA7816BF8F01', false],
            ['ba7816bf8f0', false],
            ['ba7816bf8f01c', false],
            ['ba7816bf8f0g', false],
            [' ba7816bf8f01', false],
            ['ba7816bf8f01\n', false],
            ['', false],
            [123456789012, false],
            [null, false],
            [undefined, false],
        ])('%j → %s', (value, expected) => {
            expect(isFingerprint(value)).toBe(expected);
        });
    });
});
