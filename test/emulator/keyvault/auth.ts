import { type AccessTokenClaims, type EmuRequest, type EmuResponse, type EmulatorContext } from '../core/contract';
import { expiredOnEmulatorClock } from './cae';
import { caeChallenge, challenge, VAULT_RESOURCE } from './errors';

/** Key Vault's first-party application id, which is also accepted as a token audience. */
const VAULT_APP_ID = 'cfa8b339-82a2-471a-a3c9-0fc0be7a4093';
const AUDIENCES = new Set([VAULT_RESOURCE, `${VAULT_RESOURCE}/`, VAULT_APP_ID]);

export type AuthResult = { ok: true; claims: AccessTokenClaims } | { ok: false; response: EmuResponse };

/**
 * Runs before anything else, body validation included: the SDK's first request carries neither a token nor
 * its body and must get the 401 challenge (api-fidelity §4.3).
 */
export function authenticate(request: EmuRequest, context: EmulatorContext): AuthResult {
    const authorization = request.headers.authorization;
    if (authorization === undefined || !/^Bearer\s+\S/i.test(authorization)) {
        return {
            ok: false,
            response: challenge(context.tenantId, 'AKV10000: Request is missing a Bearer or PoP token.'),
        };
    }
    const claims = context.verifyAccessToken(authorization);
    if (claims === undefined) {
        const now = context.clock.now();
        if (expiredOnEmulatorClock(authorization, now)) {
            // Expired on the emulator clock while the SDK's cache (wall clock) still trusts it: the real
            // service's way to reject a token before its time is the CAE claims challenge, which the Key Vault
            // policy answers with a fresh token, so long-lived clients survive clock advances.
            return {
                ok: false,
                response: caeChallenge(
                    context.tenantId,
                    Math.floor(now.getTime() / 1000),
                    'AKV10032: The access token has expired.',
                ),
            };
        }
        // [UNVERIFIED] wording: the service names the failed check; the core reports only "invalid".
        return {
            ok: false,
            response: challenge(
                context.tenantId,
                'AKV10032: Invalid token: signature, issuer or lifetime check failed.',
            ),
        };
    }
    if (!AUDIENCES.has(claims.aud)) {
        return {
            ok: false,
            response: challenge(
                context.tenantId,
                `AKV10022: Invalid audience. Expected ${VAULT_RESOURCE}, found: ${claims.aud}.`,
            ),
        };
    }
    return { ok: true, claims };
}
