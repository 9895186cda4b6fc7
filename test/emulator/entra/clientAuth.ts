import jwt from 'jsonwebtoken';

import { type ApplicationRecord, type KeyCredentialRecord, type PasswordCredentialRecord } from './model';
import { passwordMatches } from './credentials';
import { STS, type StsErrorSpec } from './stsErrors';

export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export type ClientAuthResult =
    | { ok: true; method: 'secret'; credential: PasswordCredentialRecord }
    | { ok: true; method: 'certificate'; credential: KeyCredentialRecord }
    | {
          ok: false;
          error: StsErrorSpec;
          method: 'secret' | 'certificate' | 'none';
          keyId?: string;
          thumbprint?: string;
      };

interface Timing {
    readonly now: Date;
    /** This credential's propagation delay in ms (its draw under the tenant's setting). */
    readonly propagationDelayMs: (credential: PasswordCredentialRecord | KeyCredentialRecord) => number;
}

const propagated = (credential: PasswordCredentialRecord | KeyCredentialRecord, timing: Timing): boolean =>
    timing.now.getTime() - credential.createdAtMs >= timing.propagationDelayMs(credential);

/** Checks a client secret against the app's password hashes, dates and the propagation delay (§2.4, §1.11). */
export function checkSecret(app: ApplicationRecord, secret: string, timing: Timing): ClientAuthResult {
    const credential = app.passwordCredentials.find((candidate) => passwordMatches(candidate, secret));
    if (!credential) return { ok: false, method: 'secret', error: STS.invalidSecret(app.appId) };
    const fail = (error: StsErrorSpec): ClientAuthResult => ({
        ok: false,
        method: 'secret',
        error,
        keyId: credential.keyId,
    });
    const nowMs = timing.now.getTime();
    if (nowMs > Date.parse(credential.endDateTime)) return fail(STS.expiredSecret(app.appId));
    if (nowMs < Date.parse(credential.startDateTime) || !propagated(credential, timing)) {
        return fail(STS.invalidSecret(app.appId));
    }
    return { ok: true, method: 'secret', credential };
}

const hexThumbprint = (b64url: string): string => Buffer.from(b64url, 'base64url').toString('hex').toUpperCase();

/**
 * Validates a `private_key_jwt` client assertion the way msal-node builds it (§2.1): header `x5t#S256` (PS256)
 * or `x5t` (RS256) selects the app's key credential; signature, `iss`=`sub`=client id, `aud` = our token
 * endpoint, and the nbf/exp window on the emulator clock.
 */
export function checkAssertion(
    app: ApplicationRecord,
    assertion: string,
    acceptedAudiences: readonly string[],
    timing: Timing,
): ClientAuthResult {
    const fail = (error: StsErrorSpec, key?: KeyCredentialRecord, thumbprint?: string): ClientAuthResult => ({
        ok: false,
        method: 'certificate',
        error,
        ...(key ? { keyId: key.keyId } : {}),
        ...(thumbprint ? { thumbprint } : {}),
    });
    const decoded = jwt.decode(assertion, { complete: true });
    if (!decoded || typeof decoded.payload === 'string') {
        return fail({
            code: 50027,
            error: 'invalid_request',
            status: 400,
            description: 'JWT token is invalid or malformed.',
        });
    }
    const header = decoded.header as unknown as Record<string, unknown>;
    const s256 = typeof header['x5t#S256'] === 'string' ? header['x5t#S256'] : undefined;
    const sha1 = typeof header['x5t'] === 'string' ? header['x5t'] : undefined;
    const thumbprint = s256 ? hexThumbprint(s256) : sha1 ? hexThumbprint(sha1) : '';
    const key = app.keyCredentials.find(
        (candidate) =>
            (s256 !== undefined && candidate.x5tS256 === s256) || (sha1 !== undefined && candidate.x5t === sha1),
    );
    if (!key || !propagated(key, timing)) {
        return fail(STS.assertionSignature('The key was not found.', thumbprint, app.appId), key, thumbprint);
    }
    try {
        jwt.verify(assertion, key.publicKeyPem, {
            algorithms: ['RS256', 'PS256'],
            ignoreExpiration: true,
            ignoreNotBefore: true,
        });
    } catch {
        const reason = 'The provided signature value did not match the expected signature value.';
        return fail(STS.assertionSignature(reason, thumbprint, app.appId), key, thumbprint);
    }
    const nowMs = timing.now.getTime();
    if (nowMs > Date.parse(key.endDateTime) || nowMs < Date.parse(key.startDateTime)) {
        return fail(STS.assertionSignature('The key used is expired.', thumbprint, app.appId), key, thumbprint);
    }
    const claims = decoded.payload;
    if (claims.iss !== app.appId || claims.sub !== app.appId) return fail(STS.assertionIssuer(), key, thumbprint);
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audiences.some((aud) => aud !== undefined && acceptedAudiences.includes(aud))) {
        return fail(STS.assertionAudience(acceptedAudiences[0] ?? ''), key, thumbprint);
    }
    const nowSeconds = nowMs / 1000;
    const exp = typeof claims.exp === 'number' ? claims.exp : 0;
    const nbf = typeof claims.nbf === 'number' ? claims.nbf : 0;
    // The real STS allows five minutes of clock skew on the assertion window.
    if (exp + 300 < nowSeconds || nbf - 300 > nowSeconds) {
        return fail(STS.assertionTime(timing.now, nbf, exp), key, thumbprint);
    }
    return { ok: true, method: 'certificate', credential: key };
}
