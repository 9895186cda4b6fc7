import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { format, inspect } from 'node:util';

import { describe, expect, it } from 'vitest';

import { isSecret, REDACTED, Secret } from '../../../../shared/security/Secret';

const CANARY = 'CANARY-s3cr3t-value';

/** Runs `fn` with a real `Console` writing into a buffer, so we see exactly what console.log would print. */
function captureConsole(fn: (console: Console) => void): string {
    const chunks: string[] = [];
    const sink = new Writable({
        write(chunk: Buffer | string, _encoding, callback) {
            chunks.push(chunk.toString());
            callback();
        },
    });
    fn(new Console({ stdout: sink, stderr: sink, colorMode: false }));
    return chunks.join('');
}

describe('Secret', () => {
    const secret = new Secret(CANARY);

    it('reveal() returns the raw value', () => {
        expect(secret.reveal()).toBe(CANARY);
    });

    describe('never prints its value', () => {
        it.each<[string, () => string]>([
            ['JSON.stringify', () => JSON.stringify(secret)],
            ['JSON.stringify nested', () => JSON.stringify({ a: { b: [1, { c: secret }] }, d: secret })],
            // The lint rule exists to stop exactly this; here we prove the runtime is safe anyway.
            // eslint-disable-next-line @typescript-eslint/restrict-template-expressions
            ['template string', () => `value=${secret}`],
            ['String()', () => String(secret)],
            ['toString()', () => secret.toString()],
            ['+ concatenation (string left)', () => 'value=' + (secret as unknown as string)],
            ['+ concatenation (string right)', () => (secret as unknown as string) + '!'],
            ['Array join', () => [secret, secret].join(',')],
            ['util.inspect', () => inspect(secret)],
            ['util.inspect nested, showHidden', () => inspect({ a: [secret] }, { showHidden: true, depth: 10 })],
            ['util.format %s %o %O %j', () => format('%s %o %O %j', secret, secret, secret, secret)],
            ['util.format bare argument', () => format('x', secret, { nested: secret })],
            // eslint-disable-next-line @typescript-eslint/restrict-template-expressions
            ['error message', () => new Error(`login failed with ${secret}`).message],
            ['error inspected with cause', () => inspect(new Error('boom', { cause: secret }))],
            ['console.log', () => captureConsole((c) => c.log('secret is', secret, { nested: secret }))],
            ['console.error with %s', () => captureConsole((c) => c.error('secret is %s', secret))],
        ])('%s', (_name, render) => {
            const text = render();
            expect(text).not.toContain(CANARY);
            expect(text).not.toContain('s3cr3t');
            expect(text).toContain(REDACTED);
        });

        // These paths bypass inspect.custom; the private field is still invisible to them.
        it.each<[string, () => string]>([
            ['util.inspect without custom inspect', () => inspect(secret, { customInspect: false, showHidden: true })],
            ['console.dir (disables custom inspect)', () => captureConsole((c) => c.dir({ s: secret }, { depth: 5 }))],
        ])('%s', (_name, render) => {
            const text = render();
            expect(text).not.toContain(CANARY);
            expect(text).toContain('Secret {}');
        });

        it('JSON.stringify renders the redaction as a JSON string', () => {
            expect(JSON.stringify({ clientSecret: secret })).toBe(`{"clientSecret":"${REDACTED}"}`);
        });

        it('util.inspect names the type so logs show what was hidden', () => {
            expect(inspect(secret)).toBe(`Secret(${REDACTED})`);
        });
    });

    describe('has no enumerable or cloneable copy of the value', () => {
        it('object spread yields an empty object', () => {
            const spread = { ...secret };
            expect(spread).toEqual({});
            expect(JSON.stringify(spread)).not.toContain(CANARY);
        });

        it('has no own keys or property names', () => {
            expect(Object.keys(secret)).toEqual([]);
            expect(Object.getOwnPropertyNames(secret)).toEqual([]);
            expect(Object.entries(secret)).toEqual([]);
            expect(Reflect.ownKeys(secret)).toEqual([]);
        });

        it('structuredClone drops the value and the type', () => {
            const clone: unknown = structuredClone(secret);
            expect(isSecret(clone)).toBe(false);
            expect(clone).toEqual({});
            expect(inspect(clone, { showHidden: true })).not.toContain(CANARY);
        });

        it('is frozen', () => {
            expect(Object.isFrozen(secret)).toBe(true);
            expect(() => {
                (secret as unknown as Record<string, unknown>).extra = 1;
            }).toThrow(TypeError);
        });
    });

    describe('equals()', () => {
        it.each<[string, string, boolean]>([
            ['same value', CANARY, true],
            ['different value, same length', CANARY.replace('C', 'D'), false],
            ['prefix of the value', CANARY.slice(0, -1), false],
            ['value plus one character', `${CANARY}x`, false],
            ['multi-byte characters compare by bytes', 'é', false],
        ])('%s', (_name, other, expected) => {
            expect(secret.equals(new Secret(other))).toBe(expected);
        });

        it('compares equal multi-byte values', () => {
            expect(new Secret('pässwörd✓').equals(new Secret('pässwörd✓'))).toBe(true);
        });
    });

    describe('constructor', () => {
        it('rejects the empty string', () => {
            expect(() => new Secret('')).toThrow(TypeError);
        });

        it.each<[string, unknown]>([
            ['a number', 424242424242],
            ['undefined', undefined],
            ['null', null],
            ['an object holding the value', { value: CANARY }],
        ])('rejects %s without echoing it', (_name, value) => {
            let thrown: unknown;
            try {
                new Secret(value as string);
            } catch (error) {
                thrown = error;
            }
            expect(thrown).toBeInstanceOf(TypeError);
            const message = (thrown as Error).message;
            expect(message).toBe('Secret requires a non-empty string');
            expect(message).not.toContain('424242');
            expect(message).not.toContain(CANARY);
        });
    });

    describe('isSecret', () => {
        it('accepts Secret instances only', () => {
            expect(isSecret(secret)).toBe(true);
            expect(isSecret(CANARY)).toBe(false);
            expect(isSecret({ reveal: () => CANARY })).toBe(false);
            expect(isSecret(null)).toBe(false);
        });
    });
});
