import { redactText, redactValue } from '../security/redact';

/** Normalises anything thrown into an Error whose message is safe to log. */
export function ensureError(value: unknown): Error {
    if (value instanceof Error) return value;
    if (typeof value === 'string') return new Error(redactText(value));
    if (value === null || value === undefined) return new Error(`non-error thrown: ${String(value)}`);
    let text: string | undefined;
    try {
        // redactValue drops secret-named fields and cycles before anything is serialised.
        text = JSON.stringify(redactValue(value));
    } catch {
        text = undefined; // BigInt
    }
    // Symbols and functions stringify to undefined.
    return new Error(`non-error thrown: ${redactText(text ?? Object.prototype.toString.call(value))}`);
}
