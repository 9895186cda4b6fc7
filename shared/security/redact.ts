import { isSecret, REDACTED } from './Secret';

/**
 * Last-line scrubbing for text that leaves the process (log lines, error messages, HTTP bodies).
 * The `Secret` type is the first line of defence; this catches what slipped past it: bearer tokens, JWTs,
 * form-encoded client secrets/assertions and JSON fields whose names say they hold secret material.
 */
const TEXT_PATTERNS: readonly RegExp[] = [
    // JWTs (access tokens, client assertions): three base64url segments starting with a JSON header.
    /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g,
    // Entra client secrets in the current format ("xxx8Q~" + 31-34 characters), as secret scanners match them.
    /(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])/g,
    // Authorization headers.
    /\b(Bearer|Basic|SharedAccessSignature)\s+[A-Za-z0-9._~+/=%-]+/gi,
    // Form bodies and query strings.
    /\b(client_secret|client_assertion|password|aeg-sas-key|sig)=[^&\s"']+/gi,
    // JSON fields (the same names redactValue treats as secret).
    /"(secretText|secret|clientSecret|client_secret|client_assertion|password|token|accessToken|access_token|refresh_token|id_token|apiKey|api_key|signingKey|value|key|topicKey)"\s*:\s*"(?:[^"\\]|\\.)*"/gi,
];

export function redactText(text: string): string {
    let result = text;
    for (const pattern of TEXT_PATTERNS) {
        // Patterns without a capture group pass the match offset (a number) as the second argument.
        result = result.replace(pattern, (match: string, name: unknown) =>
            redactMatch(match, typeof name === 'string' ? name : undefined),
        );
    }
    return result;
}

function redactMatch(match: string, name: string | undefined): string {
    if (name === undefined) return REDACTED;
    if (match.startsWith('"')) return `"${name}":"${REDACTED}"`;
    // Only the separator right after the name counts: base64 header values end in '=' padding too.
    if (match.charAt(name.length) === '=') return `${name}=${REDACTED}`;
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
    try {
        if (value instanceof Error) return { name: value.name, message: redactText(value.message) };
        if (Array.isArray(value)) return value.map((item) => redactValue(item, seen));
        const out: Record<string, unknown> = {};
        for (const [key, item] of Object.entries(value)) {
            out[key] = SECRET_KEY_NAMES.test(key) && typeof item === 'string' ? REDACTED : redactValue(item, seen);
        }
        return out;
    } finally {
        // Track only the current path: an object referenced twice side by side is shared, not circular.
        seen.delete(value);
    }
}

/**
 * Scrubs exact known secret values (e.g. the value just created) from text. Used where a secret is in
 * scope and an upstream error body might echo it back, so the encodings a body uses are scrubbed too:
 * JSON string escaping, URI components and form encoding.
 */
export function scrubKnown(text: string, secrets: readonly { reveal(): string }[]): string {
    let result = text;
    for (const secret of secrets) {
        const raw = secret.reveal();
        if (raw.length === 0) continue;
        const forms = new Set([
            raw,
            JSON.stringify(raw).slice(1, -1),
            encodeURIComponent(raw),
            new URLSearchParams({ s: raw }).toString().slice(2),
        ]);
        // Longest first, so a form that contains another is replaced whole.
        for (const form of [...forms].sort((a, b) => b.length - a.length)) {
            result = result.split(form).join(REDACTED);
        }
    }
    return result;
}
