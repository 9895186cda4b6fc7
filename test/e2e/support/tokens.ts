import { generateKeyPairSync } from 'node:crypto';

import jwt from 'jsonwebtoken';

import { SigningKey } from '../../emulator/entra/signing';

type Claims = Record<string, unknown>;

function decode(token: string): { header: Claims; payload: Claims } {
    const [header, payload] = token.split('.');
    if (!header || !payload) throw new Error('not a JWT');
    const parse = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Claims;
    return { header: parse(header), payload: parse(payload) };
}

/**
 * A copy of a real access token with its lifetime moved into the past, signed with the emulator tenant's own
 * key: signature, issuer and audience stay valid, so only the expiry check can reject it.
 */
export function expiredCopy(token: string, emulatorStateDir: string, now: Date): string {
    const { payload } = decode(token);
    const nowSeconds = Math.floor(now.getTime() / 1000);
    return SigningKey.load(emulatorStateDir).sign({
        ...payload,
        iat: nowSeconds - 2 * 3_600,
        nbf: nowSeconds - 2 * 3_600,
        exp: nowSeconds - 3_600,
    });
}

/** The same header (kid included) and claims, signed by a key the tenant never published. */
export function forgedCopy(token: string): string {
    const { header, payload } = decode(token);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return jwt.sign(payload, privateKey, { algorithm: 'RS256', header: header as unknown as jwt.JwtHeader });
}

export function claimsOf(token: string): Claims {
    return decode(token).payload;
}
