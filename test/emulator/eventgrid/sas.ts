import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * `aeg-sas-token` as `generateSharedAccessSignature` builds it: `r=<enc(endpoint?apiVersion=…)>&e=<enc(expiry)>
 * &s=<enc(base64 HMAC-SHA256 over "r=…&e=…" keyed with the base64-decoded topic key)>`, the expiry in .NET's
 * en-US "M/d/yyyy h:mm:ss tt" (UTC).
 */
export type SasCheck = { ok: true } | { ok: false; reason: string };

const DOTNET_TIME = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2}):(\d{2}) (AM|PM)$/;

export function parseServiceTime(text: string): Date | undefined {
    const m = DOTNET_TIME.exec(text);
    if (m === null) return undefined;
    const [, month, day, year, hour12, minute, second, half] = m;
    const hour = (Number(hour12) % 12) + (half === 'PM' ? 12 : 0);
    return new Date(Date.UTC(Number(year), Number(month) - 1, Number(day), hour, Number(minute), Number(second)));
}

export function checkSasToken(token: string, topicKey: string, topicEndpoint: string, now: Date): SasCheck {
    const signatureAt = token.lastIndexOf('&s=');
    if (signatureAt < 0) return { ok: false, reason: 'The request authorization signature is malformed.' };
    const unsigned = token.slice(0, signatureAt);
    const fields = new Map<string, string>();
    for (const part of unsigned.split('&')) {
        const eq = part.indexOf('=');
        if (eq > 0) fields.set(part.slice(0, eq), decodeURIComponent(part.slice(eq + 1)));
    }
    const resource = fields.get('r');
    const expiry = parseServiceTime(fields.get('e') ?? '');
    if (resource === undefined || expiry === undefined) {
        return { ok: false, reason: 'The request authorization signature is malformed.' };
    }
    const expected = createHmac('sha256', Buffer.from(topicKey, 'base64')).update(unsigned).digest();
    let given: Buffer;
    try {
        given = Buffer.from(decodeURIComponent(token.slice(signatureAt + 3)), 'base64');
    } catch {
        return { ok: false, reason: 'The request authorization signature is malformed.' };
    }
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return { ok: false, reason: 'The request authorization signature is invalid.' };
    }
    if (!resource.toLowerCase().startsWith(topicEndpoint.toLowerCase())) {
        return { ok: false, reason: 'The request authorization signature was not issued for this topic.' };
    }
    if (expiry.getTime() <= now.getTime())
        return { ok: false, reason: 'The request authorization signature has expired.' };
    return { ok: true };
}
