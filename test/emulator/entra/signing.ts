import { type KeyObject, createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import jwt from 'jsonwebtoken';

import { type AccessTokenClaims } from '../core/contract';

/**
 * The tenant's token-signing key (RS256), persisted in the state directory so tokens survive a restart.
 * jsonwebtoken does the JWS work: a maintained implementation beats hand-rolled signature handling.
 */
export class SigningKey {
    readonly kid: string;
    private readonly privateKey: KeyObject;
    readonly publicKey: KeyObject;

    private constructor(privatePem: string) {
        this.privateKey = createPrivateKey(privatePem);
        this.publicKey = createPublicKey(this.privateKey);
        const spki = this.publicKey.export({ type: 'spki', format: 'der' });
        this.kid = createHash('sha1').update(spki).digest('base64url');
    }

    static load(stateDir: string): SigningKey {
        const path = join(stateDir, 'token-signing-key.pem');
        if (!existsSync(path)) {
            const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
            writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
        }
        return new SigningKey(readFileSync(path, 'utf8'));
    }

    /** A secret derived from the private key, for MACs over opaque tokens (refresh tokens) that must survive a restart. */
    macKey(): Buffer {
        return createHash('sha256')
            .update('refresh-token-mac|')
            .update(this.privateKey.export({ type: 'pkcs8', format: 'der' }))
            .digest();
    }

    /** The JWKS document entry (`kid`, `x5t` and the RSA modulus/exponent). */
    jwk(): object {
        const { n, e } = this.publicKey.export({ format: 'jwk' });
        return { kty: 'RSA', use: 'sig', kid: this.kid, x5t: this.kid, n, e, alg: 'RS256' };
    }

    sign(claims: object): string {
        return jwt.sign(claims, this.privateKey, {
            algorithm: 'RS256',
            header: { alg: 'RS256', typ: 'JWT', kid: this.kid, x5t: this.kid },
        });
    }

    /** Signature, issuer and expiry on the emulator clock; `undefined` when anything fails. */
    verify(token: string, nowSeconds: number, issuers: readonly string[]): AccessTokenClaims | undefined {
        try {
            const payload = jwt.verify(token, this.publicKey, {
                algorithms: ['RS256'],
                clockTimestamp: nowSeconds,
                issuer: [...issuers] as [string, ...string[]],
            });
            if (typeof payload === 'string') return undefined;
            const claims = payload as Partial<AccessTokenClaims>;
            if (typeof claims.aud !== 'string' || typeof claims.appid !== 'string' || typeof claims.oid !== 'string') {
                return undefined;
            }
            return { ...(claims as AccessTokenClaims), roles: Array.isArray(claims.roles) ? claims.roles : [] };
        } catch {
            return undefined;
        }
    }
}
