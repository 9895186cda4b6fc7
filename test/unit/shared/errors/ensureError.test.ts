import { describe, expect, it } from 'vitest';

import { ensureError } from '../../../../shared/errors/ensureError';
import { invariant } from '../../../../shared/errors/RotatorError';
import { REDACTED, Secret } from '../../../../shared/security/Secret';

const CANARY = 'CANARY-s3cr3t-value';

describe('ensureError', () => {
    it('returns Error instances unchanged (same object)', () => {
        const error = new TypeError('bad');
        expect(ensureError(error)).toBe(error);
        const rotator = invariant('x');
        expect(ensureError(rotator)).toBe(rotator);
    });

    it('wraps a string as the message, redacted', () => {
        const error = ensureError(`token request failed: client_secret=${CANARY}`);
        expect(error).toBeInstanceOf(Error);
        expect(error.message).toBe(`token request failed: client_secret=${REDACTED}`);
    });

    it.each<[string, unknown, string]>([
        ['null', null, 'non-error thrown: null'],
        ['undefined', undefined, 'non-error thrown: undefined'],
        ['a number', 42, 'non-error thrown: 42'],
        ['a boolean', false, 'non-error thrown: false'],
        ['a plain object', { status: 500, reason: 'boom' }, 'non-error thrown: {"status":500,"reason":"boom"}'],
        ['an array', [1, 'two'], 'non-error thrown: [1,"two"]'],
        ['a BigInt', 10n, 'non-error thrown: [object BigInt]'],
        ['an object holding a BigInt', { n: 10n }, 'non-error thrown: [object Object]'],
        ['a symbol', Symbol('boom'), 'non-error thrown: [object Symbol]'],
        ['a function', () => CANARY, 'non-error thrown: [object Function]'],
    ])('describes %s', (_name, value, expected) => {
        const error = ensureError(value);
        expect(error).toBeInstanceOf(Error);
        expect(error.message).toBe(expected);
    });

    it('cuts cycles in a thrown object', () => {
        const value: Record<string, unknown> = { status: 503 };
        value.self = value;
        expect(ensureError(value).message).toBe('non-error thrown: {"status":503,"self":"[Circular]"}');
    });

    it.each<[string, unknown]>([
        ['a Secret field', { clientSecret: new Secret(CANARY) }],
        ['a secret-named field', { secret: CANARY, token: CANARY, apiKey: CANARY }],
        ['a Graph response body', { body: `{"secretText":"${CANARY}"}` }],
        ['a token inside text', { detail: `Authorization: Bearer ${CANARY}` }],
        ['a thrown Secret', new Secret(CANARY)],
    ])('never echoes secret material from %s', (_name, value) => {
        const message = ensureError(value).message;
        expect(message.startsWith('non-error thrown: ')).toBe(true);
        expect(message).not.toContain(CANARY);
        expect(message).toContain(REDACTED);
    });
});
