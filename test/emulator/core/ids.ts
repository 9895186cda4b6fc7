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
