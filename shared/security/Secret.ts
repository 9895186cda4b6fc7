import { timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';

export const REDACTED = '[REDACTED]';

/**
 * Secret text (a client secret, a signing key) that cannot be printed by accident.
 *
 * The value lives in a private field, so `JSON.stringify`, template strings, `util.inspect`/`console.log`
 * and object spreading all see only the redaction. Call `reveal()` at the single point where an SDK
 * needs the raw string; grep for it in review.
 */
export class Secret {
    readonly #value: string;

    constructor(value: string) {
        if (typeof value !== 'string' || value.length === 0) {
            // The message never includes the value: a typo here must not leak a half-secret.
            throw new TypeError('Secret requires a non-empty string');
        }
        this.#value = value;
        Object.freeze(this);
    }

    reveal(): string {
        return this.#value;
    }

    /** Constant-time comparison, so a probe cannot learn a prefix from timing. */
    equals(other: Secret): boolean {
        const a = Buffer.from(this.#value, 'utf8');
        const b = Buffer.from(other.#value, 'utf8');
        return a.length === b.length && timingSafeEqual(a, b);
    }

    toString(): string {
        return REDACTED;
    }

    toJSON(): string {
        return REDACTED;
    }

    [Symbol.toPrimitive](): string {
        return REDACTED;
    }

    [inspect.custom](): string {
        return `Secret(${REDACTED})`;
    }
}

export function isSecret(value: unknown): value is Secret {
    return value instanceof Secret;
}
