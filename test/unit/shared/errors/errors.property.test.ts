import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { ensureError } from '../../../../shared/errors/ensureError';
import { ErrorCodes } from '../../../../shared/errors/errorCodes';
import { errorCodeOf, RotatorError } from '../../../../shared/errors/RotatorError';

const code = fc.constantFrom(...Object.values(ErrorCodes));

describe('errorCodeOf properties', () => {
    it('recovers the code from the Durable-rebuilt message whatever the text around it', () => {
        fc.assert(
            fc.property(code, fc.string(), fc.string(), (c, detail, stack) => {
                const original = new RotatorError('upstream', c, detail);
                const rebuilt = new Error(`Activity function 'step' failed: ${original.message} \n ${stack}`);
                expect(errorCodeOf(original)).toBe(c);
                expect(errorCodeOf(rebuilt)).toBe(c);
                expect(errorCodeOf(original.message)).toBe(c);
            }),
        );
    });
});

describe('ensureError properties', () => {
    it('always returns an Error and never throws, whatever is thrown', () => {
        fc.assert(
            fc.property(
                fc.anything({ withBigInt: true, withMap: true, withSet: true, withTypedArray: true }),
                (value) => {
                    const error = ensureError(value);
                    expect(error).toBeInstanceOf(Error);
                    expect(typeof error.message).toBe('string');
                },
            ),
        );
    });
});
