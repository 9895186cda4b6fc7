import { isSecret, REDACTED } from './Secret';

/**
 * Last-line scrubbing for text that leaves the process (log lines, error messages, HTTP bodies).
 * The `Secret` type is the first line of defence; this catches what slipped past it: bearer tokens, JWTs,
 * form-encoded client secrets/assertions and JSON fields whose names say they hold secret material.
 */
const TEXT_PATTERNS: readonly RegExp[] = [
    // JWTs (access tokens, client assertions): three base64url segments starting with a JSON header.
    /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g,
    // Authorization headers.
    /\b(Bearer|Basic|SharedAccessSignature)\s+[A-Za-z0-9._~+/=%-]+/gi,
    // Form bodies and query strings.
    /\b(client_secret|client_assertion|password|aeg-sas-key|sig)=[^&\s"']+/gi,
    // JSON fields.
    /"(secretText|clientSecret|client_secret|password|access_token|refresh_token|id_token|value|key|topicKey)"\s*:\s*"(?:[^"\\]|\\.)*"/gi,
];

export function redactText(text: string): string {
    let result = text;
    for (const pattern of TEXT_PATTERNS) {
        result = result.replace(pattern, (match: string, name?: string) => redactMatch(match, name));
    }
    return result;
}

function redactMatch(match: string, name: string | undefined): string {
    if (name === undefined || name.startsWith('eyJ')) return REDACTED;
    if (match.startsWith('"')) return `"${name}":"${REDACTED}"`;
    if (match.includes('=')) return `${name}=${REDACTED}`;
    return `${name} ${REDACTED}`;
}

const SECRET_KEY_NAMES =
    /^(secret|secrettext|clientsecret|client_secret|password|token|accesstoken|access_token|refresh_token|id_token|authorization|apikey|api_key|topickey|signingkey|key|value)$/i;

/** Deep copy of a value with secrets and secret-named fields replaced; cycles are cut. */
export function redactValue(value: unknown, seen = new WeakSet<object>()): unknown {
    if (isSecret(value)) return REDACTED;
    if (typeof value === 'string') return redactText(value);
    if (value === null || typeof value !== 'object') return value;
    if (seen.has(value)) return '[Circular]';
    seen.add(value);
    if (value instanceof Error) return { name: value.name, message: redactText(value.message) };
    if (Array.isArray(value)) return value.map((item) => redactValue(item, seen));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
        out[key] = SECRET_KEY_NAMES.test(key) && typeof item === 'string' ? REDACTED : redactValue(item, seen);
    }
    return out;
}

/**
 * Scrubs exact known secret values (e.g. the value just created) from text. Used where a secret is in
 * scope and an upstream error body might echo it back.
 */
export function scrubKnown(text: string, secrets: readonly { reveal(): string }[]): string {
    let result = text;
    for (const secret of secrets) {
        const raw = secret.reveal();
        if (raw.length > 0) result = result.split(raw).join(REDACTED);
    }
    return result;
}
