import { createHash } from 'node:crypto';

import { type Secret } from './Secret';

/** Hex characters kept from the SHA-256 digest: enough to tell versions apart, far too few to brute-force. */
export const FINGERPRINT_LENGTH = 12;

/**
 * Fingerprint of a secret: the first 12 hex digits of SHA-256 over its UTF-8 text (seed 000: "log a
 * fingerprint, never the value"). Consumers report the same value on their health endpoint, which is how a
 * rotation proves that a consumer switched without anyone handling the secret itself.
 */
export function fingerprintOf(secret: Secret): string {
    return fingerprintOfText(secret.reveal());
}

/** For consumers and tests that hold the raw text; product code passes a `Secret`. */
export function fingerprintOfText(text: string): string {
    return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, FINGERPRINT_LENGTH);
}

const FINGERPRINT_PATTERN = /^[0-9a-f]{12}$/;

export function isFingerprint(value: unknown): value is string {
    return typeof value === 'string' && FINGERPRINT_PATTERN.test(value);
}
