import { describe, expect, it } from 'vitest';

import { ErrorCodes, isErrorCode } from '../../../../shared/errors/errorCodes';
import {
    configError,
    errorCodeOf,
    inputError,
    invariant,
    isRotatorError,
    RotatorError,
} from '../../../../shared/errors/RotatorError';
import { REDACTED, Secret } from '../../../../shared/security/Secret';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.c2lnbmF0dXJlLXBhcnQ';

describe('RotatorError', () => {
    it('leads its message with the code and keeps kind, code, retryable and status', () => {
        const error = new RotatorError('upstream', ErrorCodes.throttled, 'graph answered 429', {
            retryable: true,
            status: 429,
        });
        expect(error).toBeInstanceOf(Error);
        expect(error.name).toBe('RotatorError');
        expect(error.message).toBe('throttled: graph answered 429');
        expect(error.kind).toBe('upstream');
        expect(error.code).toBe('throttled');
        expect(error.retryable).toBe(true);
        expect(error.status).toBe(429);
    });

    it('defaults to not retryable, no status and no cause', () => {
        const error = new RotatorError('policy', ErrorCodes.notManaged, 'app is not managed');
        expect(error.retryable).toBe(false);
        expect(error.status).toBeUndefined();
        expect(error.cause).toBeUndefined();
        expect('cause' in error).toBe(false);
    });

    it('keeps the cause for debugging but not in its JSON form', () => {
        const cause = new Error('socket hang up');
        const error = new RotatorError('upstream', ErrorCodes.unavailable, 'key vault unreachable', {
            cause,
            retryable: true,
        });
        expect(error.cause).toBe(cause);
        expect(JSON.parse(JSON.stringify(error))).toEqual({
            kind: 'upstream',
            code: 'unavailable',
            message: 'unavailable: key vault unreachable',
            retryable: true,
        });
    });

    it('toJSON returns exactly the plain fields', () => {
        const error = new RotatorError('auth', ErrorCodes.authFailed, 'token request rejected', { status: 401 });
        expect(error.toJSON()).toStrictEqual({
            kind: 'auth',
            code: 'auth_failed',
            message: 'auth_failed: token request rejected',
            retryable: false,
        });
    });

    it('scrubs tokens and secret form fields that slipped into the message', () => {
        const error = new RotatorError(
            'upstream',
            ErrorCodes.unknown,
            `request with Authorization: Bearer ${JWT} and client_secret=CANARY-s3cr3t failed`,
        );
        expect(error.message).toBe(
            `unknown: request with Authorization: Bearer ${REDACTED} and client_secret=${REDACTED} failed`,
        );
    });

    it('a Secret interpolated into the message stays redacted', () => {
        const secret = new Secret('CANARY-s3cr3t-value');
        const error = inputError(`bad secret ${String(secret)}`);
        expect(error.message).not.toContain('CANARY');
        expect(JSON.stringify(error)).not.toContain('CANARY');
    });

    it.each<[string, RotatorError, string, string]>([
        ['configError', configError(['A', 'B']), 'config', 'config_invalid'],
        ['inputError', inputError('bad input'), 'input', 'input_invalid'],
        ['invariant', invariant('cannot happen'), 'invariant', 'invariant_violated'],
    ])('%s builds kind and code', (_name, error, kind, code) => {
        expect(error.kind).toBe(kind);
        expect(error.code).toBe(code);
        expect(error.message.startsWith(`${code}: `)).toBe(true);
        expect(error.retryable).toBe(false);
    });

    it('configError lists every setting and the details', () => {
        expect(configError(['KEY_VAULT_URL', 'ENTRA_TENANT_ID']).message).toBe(
            'config_invalid: invalid or missing settings: KEY_VAULT_URL, ENTRA_TENANT_ID',
        );
        expect(configError(['X'], ['X: required', 'X: again']).message).toBe(
            'config_invalid: invalid or missing settings: X (X: required; X: again)',
        );
        expect(configError(['X'], []).message).toBe('config_invalid: invalid or missing settings: X');
    });
});

describe('isErrorCode', () => {
    it('accepts every declared code and nothing else', () => {
        for (const code of Object.values(ErrorCodes)) expect(isErrorCode(code)).toBe(true);
        expect(isErrorCode('Config_Invalid')).toBe(false);
        expect(isErrorCode('configInvalid')).toBe(false);
        expect(isErrorCode(undefined)).toBe(false);
    });
});

describe('isRotatorError', () => {
    it('accepts a real RotatorError', () => {
        expect(isRotatorError(invariant('x'))).toBe(true);
    });

    it('accepts an Error from a duplicate module copy (same name and a known code)', () => {
        const copy = Object.assign(new Error('throttled: x'), { name: 'RotatorError', code: 'throttled' });
        expect(isRotatorError(copy)).toBe(true);
    });

    it.each<[string, unknown]>([
        ['a plain-object look-alike', { name: 'RotatorError', code: 'throttled', message: 'throttled: x' }],
        ['its own JSON form', JSON.parse(JSON.stringify(invariant('x')))],
        ['an Error with an unknown code', Object.assign(new Error('x'), { name: 'RotatorError', code: 'nope' })],
        ['an Error without a code', Object.assign(new Error('x'), { name: 'RotatorError' })],
        ['an ordinary Error', new Error('throttled: x')],
        ['a string', 'throttled: x'],
        ['null', null],
    ])('rejects %s', (_name, value) => {
        expect(isRotatorError(value)).toBe(false);
    });
});

describe('errorCodeOf', () => {
    it.each<[string, unknown, string]>([
        [
            'a RotatorError',
            new RotatorError('policy', ErrorCodes.credentialLimitReached, 'full'),
            'credential_limit_reached',
        ],
        ['an Error carrying the message prefix', new Error('not_found: app 1 missing'), 'not_found'],
        [
            'the message Durable rebuilds: "<reason> \\n <details>"',
            new Error(
                'lifetime_policy_violation: max 90 days \n RotatorError: lifetime_policy_violation: ...\n    at x',
            ),
            'lifetime_policy_violation',
        ],
        [
            'the host reason "Activity function \'<name>\' failed: <message>"',
            new Error(
                'Activity function \'addPassword\' failed: credential_limit_reached: app has 5 secrets \n {"$type":"System.Exception"}',
            ),
            'credential_limit_reached',
        ],
        [
            'the RPC failure text from an out-of-process worker',
            new Error(
                "Activity function 'verify' failed: Result: Failure\nException: verification_failed: token request rejected\nStack: RotatorError: verification_failed: token request rejected \n details",
            ),
            'verification_failed',
        ],
        [
            'a TaskFailedError message "<ErrorType>: <ErrorMessage>"',
            Object.assign(new Error('RotatorError: still_in_use: sign-ins seen'), { name: 'TaskFailedError' }),
            'still_in_use',
        ],
        ['a plain string', 'throttled: slow down', 'throttled'],
        ['leading whitespace', '  conflict: etag mismatch', 'conflict'],
        ['an unknown code', new Error('exploded: something'), 'unknown'],
        ['a code not at a recognised position', new Error('the app was not_found: really'), 'unknown'],
        ['an upper-case look-alike', new Error('THROTTLED: x'), 'unknown'],
        ['no prefix at all', new Error('socket hang up'), 'unknown'],
        ['a plain object', { code: 'throttled', message: 'throttled: x' }, 'unknown'],
        ['undefined', undefined, 'unknown'],
        ['a number', 429, 'unknown'],
    ])('%s', (_name, error, expected) => {
        expect(errorCodeOf(error)).toBe(expected);
    });
});
