/**
 * Continuous access evaluation, the real services' way to refuse a token before its `exp`. The emulator uses
 * it for tokens that expired on the emulator clock while the SDK's cache (wall clock) still trusts them: both
 * the Key Vault policy and core's bearer policy answer `error="insufficient_claims"` with a fresh token.
 */

/** Base64 claims asking for a token issued at or after `nowSeconds`. */
export function caeClaims(nowSeconds: number): string {
    return Buffer.from(
        JSON.stringify({ access_token: { nbf: { essential: true, value: String(nowSeconds) } } }),
    ).toString('base64');
}

/** `exp` of a JWT without checking it: only used to choose which challenge to send, never to authorize. */
export function unverifiedExpiry(authorization: string): number | undefined {
    const payload = /^Bearer\s+[^.\s]+\.([^.\s]+)\./i.exec(authorization)?.[1];
    if (payload === undefined) return undefined;
    try {
        const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
        return typeof exp === 'number' ? exp : undefined;
    } catch {
        return undefined;
    }
}

/** True when the token is well-formed but past `exp` on the emulator clock. */
export function expiredOnEmulatorClock(authorization: string, now: Date): boolean {
    const exp = unverifiedExpiry(authorization);
    return exp !== undefined && exp <= Math.floor(now.getTime() / 1000);
}
