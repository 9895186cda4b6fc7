import { redactText } from '../security/redact';

/** Normalises anything thrown into an Error whose message is safe to log. */
export function ensureError(value: unknown): Error {
    if (value instanceof Error) return value;
    if (typeof value === 'string') return new Error(redactText(value));
    if (value === null || value === undefined) return new Error(`non-error thrown: ${String(value)}`);
    let text: string;
    try {
        text = JSON.stringify(value);
    } catch {
        text = Object.prototype.toString.call(value);
    }
    return new Error(`non-error thrown: ${redactText(text)}`);
}
