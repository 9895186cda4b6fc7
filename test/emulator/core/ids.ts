import { randomBytes, randomUUID } from 'node:crypto';

export const newGuid = (): string => randomUUID();

const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.~';

/**
 * A client secret shaped like current Entra secrets (40 characters with `Q~` at positions 4–5, api-fidelity
 * §1.1). Products must not depend on the shape; it only keeps log scrubbers honest.
 */
export function newClientSecret(): string {
    const bytes = randomBytes(38);
    let text = '';
    for (const byte of bytes) {
        text += SECRET_ALPHABET[byte % SECRET_ALPHABET.length] ?? 'A';
    }
    return `${text.slice(0, 3)}8Q~${text.slice(3, 37)}`;
}

/**
 * Many random v4 GUIDs from one entropy call: per-call crypto overhead dominates bulk seeding of 100,000
 * applications, while one large `randomBytes` is nearly free.
 */
export function bulkGuids(count: number): string[] {
    const hex = randomBytes(count * 16).toString('hex');
    const guids = new Array<string>(count);
    for (let i = 0; i < count; i++) {
        const h = hex.slice(i * 32, i * 32 + 32);
        const variant = ((parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
        guids[i] =
            `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
    }
    return guids;
}
