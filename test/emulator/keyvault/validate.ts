import { type EmuResponse } from '../core/contract';
import { badParameter } from './errors';
import { type SecretInput, type SecretPatch } from './store';

/** Limits from the Key Vault docs (api-fidelity §4.1). Error wording is [UNVERIFIED] beyond the code. */
export const NAME_PATTERN = /^[0-9a-zA-Z-]{1,127}$/;
export const MAX_VALUE_BYTES = 25 * 1024;
const MAX_CONTENT_TYPE = 255;
const MAX_TAGS = 15;
const MAX_TAG_LENGTH = 256;

type Result<T> = { ok: true; value: T } | { ok: false; response: EmuResponse };

const fail = (message: string): { ok: false; response: EmuResponse } => ({
    ok: false,
    response: badParameter(message),
});

export function parseJsonBody(body: Buffer): Result<Record<string, unknown>> {
    let parsed: unknown;
    try {
        parsed = JSON.parse(body.toString('utf8'));
    } catch {
        return fail('The request body is not valid JSON.');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        return fail('The request body must be a JSON object.');
    }
    return { ok: true, value: parsed as Record<string, unknown> };
}

function parseTags(tags: unknown): Result<Record<string, string> | undefined> {
    if (tags === undefined || tags === null) return { ok: true, value: undefined };
    if (typeof tags !== 'object' || Array.isArray(tags)) return fail('Property tags must be an object.');
    const entries = Object.entries(tags as Record<string, unknown>);
    if (entries.length > MAX_TAGS) return fail(`The number of tags exceeds the maximum of ${MAX_TAGS}.`);
    for (const [key, value] of entries) {
        if (typeof value !== 'string') return fail(`The value of tag '${key}' must be a string.`);
        if (key.length > MAX_TAG_LENGTH || value.length > MAX_TAG_LENGTH) {
            return fail(`Tag names and values must not exceed ${MAX_TAG_LENGTH} characters.`);
        }
    }
    return { ok: true, value: tags as Record<string, string> };
}

interface Attributes {
    enabled?: boolean;
    nbf?: number | null;
    exp?: number | null;
}

/** `attributes`: `enabled`, `nbf`, `exp` (Unix seconds); read-only fields such as `created` are ignored. */
function parseAttributes(attributes: unknown): Result<Attributes> {
    if (attributes === undefined || attributes === null) return { ok: true, value: {} };
    if (typeof attributes !== 'object' || Array.isArray(attributes))
        return fail('Property attributes must be an object.');
    const a = attributes as Record<string, unknown>;
    const out: Attributes = {};
    if (a.enabled !== undefined && a.enabled !== null) {
        if (typeof a.enabled !== 'boolean') return fail('Property enabled must be a boolean.');
        out.enabled = a.enabled;
    }
    for (const key of ['nbf', 'exp'] as const) {
        const v = a[key];
        if (v === null) out[key] = null;
        else if (v !== undefined) {
            if (typeof v !== 'number' || !Number.isInteger(v)) return fail(`Property ${key} must be an integer.`);
            out[key] = v;
        }
    }
    return { ok: true, value: out };
}

function parseContentType(contentType: unknown): Result<string | undefined> {
    if (contentType === undefined || contentType === null) return { ok: true, value: undefined };
    if (typeof contentType !== 'string') return fail('Property contentType must be a string.');
    if (contentType.length > MAX_CONTENT_TYPE) return fail(`The content type exceeds ${MAX_CONTENT_TYPE} characters.`);
    return { ok: true, value: contentType };
}

/** The body of `PUT /secrets/{name}`. */
export function parseSetBody(body: Record<string, unknown>): Result<SecretInput> {
    if (typeof body.value !== 'string') return fail('Property value is required and must be a string.');
    if (Buffer.byteLength(body.value, 'utf8') > MAX_VALUE_BYTES) {
        return fail(`The secret value exceeds the maximum size of ${MAX_VALUE_BYTES} bytes.`);
    }
    const tags = parseTags(body.tags);
    if (!tags.ok) return tags;
    const attributes = parseAttributes(body.attributes);
    if (!attributes.ok) return attributes;
    const contentType = parseContentType(body.contentType);
    if (!contentType.ok) return contentType;
    const { enabled, nbf, exp } = attributes.value;
    const input: {
        -readonly [K in keyof SecretInput]: SecretInput[K];
    } = { value: body.value };
    if (contentType.value !== undefined) input.contentType = contentType.value;
    if (tags.value !== undefined) input.tags = tags.value;
    if (enabled !== undefined) input.enabled = enabled;
    if (typeof nbf === 'number') input.nbf = nbf;
    if (typeof exp === 'number') input.exp = exp;
    return { ok: true, value: input };
}

/** The body of `PATCH /secrets/{name}/{version}`: the value itself cannot change. */
export function parsePatchBody(body: Record<string, unknown>): Result<SecretPatch> {
    if (body.value !== undefined) return fail('The secret value cannot be updated; set a new version instead.');
    const tags = parseTags(body.tags);
    if (!tags.ok) return tags;
    const attributes = parseAttributes(body.attributes);
    if (!attributes.ok) return attributes;
    const contentType = parseContentType(body.contentType);
    if (!contentType.ok) return contentType;
    const patch: { -readonly [K in keyof SecretPatch]: SecretPatch[K] } = { ...attributes.value };
    if (contentType.value !== undefined) patch.contentType = contentType.value;
    if (tags.value !== undefined) patch.tags = tags.value;
    return { ok: true, value: patch };
}
