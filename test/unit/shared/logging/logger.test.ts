import { describe, expect, it, vi } from 'vitest';

import { ErrorCodes } from '../../../../shared/errors/errorCodes';
import { RotatorError } from '../../../../shared/errors/RotatorError';
import {
    type ContextLogTarget,
    createLogger,
    invocationLogger,
    LOG_FIELDS,
    type LogFields,
    type LogLevel,
    type LogValue,
    sanitizeFields,
    silentLogger,
} from '../../../../shared/logging/logger';
import { REDACTED, Secret } from '../../../../shared/security/Secret';

const CANARY = 'CANARY-s3cr3t-value';
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.c2lnbmF0dXJlLXBhcnQ';

interface Line {
    readonly level: LogLevel;
    readonly message: string;
    readonly fields: Readonly<Record<string, LogValue>>;
}

function recordingLogger() {
    const lines: Line[] = [];
    const logger = createLogger((level, message, fields) => lines.push({ level, message, fields }));
    return { logger, lines };
}

/** Logging code receives loosely typed data at runtime; this is how an unexpected field gets in. */
const untyped = (fields: Record<string, unknown>): LogFields => fields;

describe('sanitizeFields', () => {
    it('keeps allow-listed fields and drops every other one', () => {
        const out = sanitizeFields(
            untyped({
                rotationId: 'r-1',
                appId: 'app',
                attempt: 2,
                retryable: false,
                reason: null,
                secretText: CANARY,
                clientSecret: CANARY,
                body: `{"value":"${CANARY}"}`,
                headers: 'Authorization: Bearer x',
            }),
        );
        expect(out).toEqual({ rotationId: 'r-1', appId: 'app', attempt: 2, retryable: false, reason: null });
    });

    it('drops allow-listed fields whose value is not a plain scalar (Secret, object, undefined)', () => {
        const out = sanitizeFields(
            untyped({
                fingerprint: new Secret(CANARY),
                reason: { detail: CANARY },
                consumer: [CANARY],
                step: undefined,
                count: 3,
            }),
        );
        expect(out).toEqual({ count: 3 });
        expect(JSON.stringify(out)).not.toContain('CANARY');
    });

    it('redacts secret material inside allowed string fields', () => {
        expect(sanitizeFields({ reason: `token request sent client_secret=${CANARY}` })).toEqual({
            reason: `token request sent client_secret=${REDACTED}`,
        });
        expect(sanitizeFields({ reason: `Bearer ${JWT}` })).toEqual({ reason: `Bearer ${REDACTED}` });
    });

    it('accepts undefined and every listed field name', () => {
        expect(sanitizeFields(undefined)).toEqual({});
        const all = Object.fromEntries(LOG_FIELDS.map((name) => [name, 1]));
        expect(Object.keys(sanitizeFields(all))).toEqual([...LOG_FIELDS]);
    });

    it('does not allow-list anything that names secret material', () => {
        for (const name of LOG_FIELDS) expect(name).not.toMatch(/secret(?!Name|Version)|password|token|key$/i);
    });
});

describe('createLogger', () => {
    it.each<LogLevel>(['debug', 'info', 'warn', 'error'])('%s passes level, message and clean fields', (level) => {
        const { logger, lines } = recordingLogger();
        logger[level]('rotation started', untyped({ rotationId: 'r-1', password: CANARY }));
        expect(lines).toEqual([{ level, message: 'rotation started', fields: { rotationId: 'r-1' } }]);
    });

    it('redacts the message', () => {
        const { logger, lines } = recordingLogger();
        logger.info(`calling token endpoint with Authorization: Bearer ${JWT} client_secret=${CANARY}`);
        expect(lines[0]?.message).toBe(
            `calling token endpoint with Authorization: Bearer ${REDACTED} client_secret=${REDACTED}`,
        );
    });

    it('a Secret interpolated into a message prints as the redaction', () => {
        const { logger, lines } = recordingLogger();
        const secret = new Secret(CANARY);
        logger.warn(`new secret is ${String(secret)}`, untyped({ newFingerprint: 'ba7816bf8f01', secret }));
        expect(lines[0]).toEqual({
            level: 'warn',
            message: `new secret is ${REDACTED}`,
            fields: { newFingerprint: 'ba7816bf8f01' },
        });
    });

    describe('errors', () => {
        it('attaches code, kind and retryable of a RotatorError and appends its message', () => {
            const { logger, lines } = recordingLogger();
            const error = new RotatorError('upstream', ErrorCodes.throttled, 'graph answered 429', { retryable: true });
            logger.error('addPassword failed', { appId: 'app' }, error);
            expect(lines[0]).toEqual({
                level: 'error',
                message: 'addPassword failed: throttled: graph answered 429',
                fields: { appId: 'app', errorCode: 'throttled', errorKind: 'upstream', retryable: true },
            });
        });

        it('recovers the code from an error that crossed the Durable boundary', () => {
            const { logger, lines } = recordingLogger();
            logger.error(
                'activity failed',
                {},
                new Error("Activity function 'addPassword' failed: credential_limit_reached: 5 secrets \n stack"),
            );
            expect(lines[0]?.fields).toEqual({ errorCode: 'credential_limit_reached' });
        });

        it('marks foreign errors unknown and keeps a code the caller set', () => {
            const { logger, lines } = recordingLogger();
            logger.error('boom', {}, new Error('socket hang up'));
            logger.error('boom', { errorCode: 'verification_failed' }, new Error('socket hang up'));
            expect(lines.map((l) => l.fields.errorCode)).toEqual(['unknown', 'verification_failed']);
        });

        it('redacts secrets in the error message', () => {
            const { logger, lines } = recordingLogger();
            logger.error('token request failed', {}, new Error(`body was client_secret=${CANARY}&scope=x`));
            expect(lines[0]?.message).toBe(`token request failed: body was client_secret=${REDACTED}&scope=x`);
        });

        it.each<[string, unknown]>([
            ['a string', `failed with password=${CANARY}`],
            ['a plain object', { status: 500, secret: CANARY }],
            [
                'a cyclic object',
                (() => {
                    const o: Record<string, unknown> = { token: CANARY };
                    o.self = o;
                    return o;
                })(),
            ],
            ['a BigInt', 10n],
            ['a Secret', new Secret(CANARY)],
            ['null', null],
        ])('never throws and never prints secrets for %s', (_name, thrown) => {
            const { logger, lines } = recordingLogger();
            expect(() => logger.error('operation failed', {}, thrown)).not.toThrow();
            expect(lines).toHaveLength(1);
            expect(lines[0]?.message.startsWith('operation failed: ')).toBe(true);
            expect(lines[0]?.message).not.toContain('CANARY');
            expect(lines[0]?.fields.errorCode).toBe('unknown');
        });

        it('adds no error fields when no error is given', () => {
            const { logger, lines } = recordingLogger();
            logger.error('just a message');
            expect(lines[0]).toEqual({ level: 'error', message: 'just a message', fields: {} });
        });
    });
});

describe('invocationLogger', () => {
    function fakeContext() {
        return { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() } satisfies ContextLogTarget;
    }

    it('routes each level to the matching context method', () => {
        const context = fakeContext();
        const logger = invocationLogger(context);
        logger.debug('d', { step: 'a' });
        logger.info('i', { step: 'b' });
        logger.warn('w', { step: 'c' });
        logger.error('e', { step: 'd' });
        expect(context.debug).toHaveBeenCalledExactlyOnceWith('d', { step: 'a' });
        expect(context.info).toHaveBeenCalledExactlyOnceWith('i', { step: 'b' });
        expect(context.warn).toHaveBeenCalledExactlyOnceWith('w', { step: 'c' });
        expect(context.error).toHaveBeenCalledExactlyOnceWith('e', { step: 'd' });
    });

    it('passes only the message when no field survives', () => {
        const context = fakeContext();
        invocationLogger(context).info('hello', untyped({ secretText: CANARY }));
        expect(context.info).toHaveBeenCalledExactlyOnceWith('hello');
    });

    it('sanitises before the context sees anything', () => {
        const context = fakeContext();
        invocationLogger(context).error(
            `failed for Bearer ${JWT}`,
            untyped({ appId: 'app', clientSecret: CANARY }),
            new RotatorError('auth', ErrorCodes.authFailed, 'token rejected'),
        );
        expect(context.error).toHaveBeenCalledExactlyOnceWith(
            `failed for Bearer ${REDACTED}: auth_failed: token rejected`,
            {
                appId: 'app',
                errorCode: 'auth_failed',
                errorKind: 'auth',
                retryable: false,
            },
        );
        expect(JSON.stringify(context.error.mock.calls)).not.toContain('CANARY');
    });
});

describe('silentLogger', () => {
    it('accepts every call and writes nothing', () => {
        expect(() => {
            silentLogger.debug('x');
            silentLogger.info('x', { step: 's' });
            silentLogger.warn('x');
            silentLogger.error('x', {}, 10n);
        }).not.toThrow();
    });
});
