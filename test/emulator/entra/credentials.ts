import { X509Certificate, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

import { newClientSecret, newGuid } from '../core/ids';
import { type KeyCredentialRecord, type PasswordCredentialRecord } from './model';

const TWO_YEARS_MS = 2 * 365.25 * 86_400_000;

function hashSecret(salt: string, secretText: string): string {
    return createHash('sha256').update(salt).update(secretText, 'utf8').digest('hex');
}

export interface NewPassword {
    readonly record: PasswordCredentialRecord;
    /** Returned to the caller once (addPassword response); never stored. */
    readonly secretText: string;
}

/** A new password credential; `endDateTime` defaults to start + 2 years like Graph (api-fidelity §1.1). */
export function createPassword(
    now: Date,
    options: { displayName?: string | null; startDateTime?: Date; endDateTime?: Date; secretText?: string },
): NewPassword {
    const secretText = options.secretText ?? newClientSecret();
    const start = options.startDateTime ?? now;
    const end = options.endDateTime ?? new Date(start.getTime() + TWO_YEARS_MS);
    const salt = randomBytes(8).toString('hex');
    return {
        secretText,
        record: {
            keyId: newGuid(),
            displayName: options.displayName ?? null,
            hint: secretText.slice(0, 3),
            salt,
            secretHash: hashSecret(salt, secretText),
            startDateTime: start.toISOString(),
            endDateTime: end.toISOString(),
            createdAtMs: now.getTime(),
        },
    };
}

export function passwordMatches(record: PasswordCredentialRecord, secretText: string): boolean {
    const expected = Buffer.from(record.secretHash, 'hex');
    const actual = Buffer.from(hashSecret(record.salt, secretText), 'hex');
    return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** The passwordCredential resource as Graph returns it (secretText null except in addPassword). */
export function passwordView(record: PasswordCredentialRecord, secretText: string | null = null): object {
    return {
        customKeyIdentifier: null,
        displayName: record.displayName,
        endDateTime: record.endDateTime,
        hint: record.hint,
        keyId: record.keyId,
        secretText,
        startDateTime: record.startDateTime,
    };
}

const b64url = (buffer: Buffer): string => buffer.toString('base64url');

/** Builds a key credential from a certificate (base64 DER as Graph's `key`, or PEM). */
export function createKeyCredential(
    now: Date,
    input: { key: string; displayName?: string | null; type?: string; usage?: string },
): KeyCredentialRecord {
    const certificate = new X509Certificate(
        input.key.includes('BEGIN CERTIFICATE') ? input.key : Buffer.from(input.key, 'base64'),
    );
    const der = certificate.raw;
    const sha1 = createHash('sha1').update(der).digest();
    return {
        keyId: newGuid(),
        displayName: input.displayName ?? certificate.subject.replace(/\n/g, ', '),
        customKeyIdentifier: sha1.toString('base64'),
        type: input.type ?? 'AsymmetricX509Cert',
        usage: input.usage ?? 'Verify',
        startDateTime: new Date(certificate.validFrom).toISOString(),
        endDateTime: new Date(certificate.validTo).toISOString(),
        key: der.toString('base64'),
        thumbprintHex: sha1.toString('hex').toUpperCase(),
        x5t: b64url(sha1),
        x5tS256: b64url(createHash('sha256').update(der).digest()),
        publicKeyPem: certificate.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        createdAtMs: now.getTime(),
    };
}

/** keyCredential as Graph returns it; `key` only when explicitly selected on a single object (§1.1). */
export function keyView(record: KeyCredentialRecord, includeKey: boolean): object {
    return {
        customKeyIdentifier: record.customKeyIdentifier,
        displayName: record.displayName,
        endDateTime: record.endDateTime,
        key: includeKey ? record.key : null,
        keyId: record.keyId,
        startDateTime: record.startDateTime,
        type: record.type,
        usage: record.usage,
    };
}
