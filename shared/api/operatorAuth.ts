import { createRemoteJWKSet, decodeJwt, type JWTPayload, jwtVerify } from 'jose';

/** Read: view; Write: start rotations; Admin: enroll and unenroll credentials (who may rotate what). */
export const OperatorRoles = { read: 'Rotation.Read', write: 'Rotation.Write', admin: 'Rotation.Admin' } as const;
export type OperatorRole = (typeof OperatorRoles)[keyof typeof OperatorRoles];

export interface OperatorAuthOptions {
    readonly tenantId: string;
    /** Entra authority host: signing keys come from `{host}/{tenant}/discovery/v2.0/keys`. */
    readonly authorityHost: string;
    /**
     * Hosts in the `iss` of the cloud's v1.0 and v2.0 tokens (clouds.json). Tokens issued by the configured
     * authority host itself (a local emulator) are accepted in both forms too.
     */
    readonly issuerHosts: { readonly v1: string; readonly v2: string };
    /** The API app's identifier URI: the audience of v1.0 tokens requested for it. */
    readonly identifierUri: string;
    /** The API app's client id: the audience of every v2.0 token (and of v1.0 tokens requested by client id). */
    readonly clientId: string | undefined;
    /**
     * Token lifetimes are wall-clock time (SDK caches count `expires_in` on it), also in a sandbox whose business
     * clock runs fast; only tests pass another clock.
     */
    readonly now?: () => Date;
}

export type AuthResult =
    | {
          readonly ok: true;
          readonly caller: {
              readonly appId: string | undefined;
              readonly objectId: string | undefined;
              /** Display name (user tokens: `name`; app tokens carry none), for the enrollment history. */
              readonly name?: string | undefined;
              readonly roles: readonly string[];
          };
      }
    | {
          readonly ok: false;
          readonly status: 401 | 403;
          readonly code: 'unauthorized' | 'forbidden';
          readonly message: string;
      };

/**
 * Validates `Authorization: Bearer <Entra access token>`: RS256 signature against the tenant's JWKS (fetched
 * and cached by jose), issuer and audience for the token's version, lifetime, then the app role the route needs.
 * An Entra API app issues v1.0 or v2.0 tokens (its `requestedAccessTokenVersion`); the two differ in `iss`
 * (`https://sts.windows.net/{tid}/` vs `https://login.microsoftonline.com/{tid}/v2.0`) and, for v2.0, `aud` is
 * always the client id. Each version is checked against its own forms, never a mix. Error messages never echo
 * the token.
 */
export function createOperatorAuth(
    options: OperatorAuthOptions,
): (authorization: string | null | undefined, role: OperatorRole) => Promise<AuthResult> {
    const host = options.authorityHost.replace(/\/+$/, '');
    const jwks = createRemoteJWKSet(new URL(`${host}/${options.tenantId}/discovery/v2.0/keys`), {
        cooldownDuration: 30_000,
        cacheMaxAge: 10 * 60_000,
    });
    const trim = (h: string) => h.replace(/\/+$/, '');
    const tid = options.tenantId;
    const v1 = {
        issuer: [...new Set([`${trim(options.issuerHosts.v1)}/${tid}/`, `${host}/${tid}/`])],
        audience: [options.identifierUri, ...(options.clientId ? [options.clientId] : [])],
    };
    const v2 = {
        issuer: [...new Set([`${trim(options.issuerHosts.v2)}/${tid}/v2.0`, `${host}/${tid}/v2.0`])],
        audience: options.clientId ? [options.clientId] : [],
    };

    return async (authorization, role) => {
        const match = /^Bearer\s+([A-Za-z0-9._-]+)$/i.exec(authorization?.trim() ?? '');
        if (!match?.[1]) return unauthorized('a bearer token is required');
        const expected = tokenVersion(match[1]) === '2.0' ? v2 : v1;
        if (expected.audience.length === 0) {
            return unauthorized('v2.0 tokens are not accepted: OPERATOR_API_CLIENT_ID is not configured');
        }
        let payload: JWTPayload;
        try {
            ({ payload } = await jwtVerify(match[1], jwks, {
                issuer: expected.issuer,
                audience: expected.audience,
                algorithms: ['RS256'],
                currentDate: options.now?.() ?? new Date(),
                clockTolerance: 300,
            }));
        } catch (error) {
            return unauthorized(`the bearer token is not valid (${describeJoseError(error)})`);
        }
        if (payload.tid !== undefined && payload.tid !== options.tenantId)
            return unauthorized('the token is from another tenant');
        const roles = Array.isArray(payload.roles)
            ? payload.roles.filter((r): r is string => typeof r === 'string')
            : [];
        if (!roles.includes(role)) {
            return { ok: false, status: 403, code: 'forbidden', message: `the caller lacks the ${role} app role` };
        }
        const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
        return {
            ok: true,
            caller: {
                appId: str(payload.appid) ?? str(payload.azp),
                objectId: str(payload.oid),
                name: str(payload.name) ?? str(payload.preferred_username),
                roles,
            },
        };
    };
}

/** The unverified `ver` claim only picks which issuer/audience pair to verify against; the signature decides. */
function tokenVersion(token: string): string | undefined {
    try {
        const payload = decodeJwt(token);
        return typeof payload['ver'] === 'string' ? payload['ver'] : undefined;
    } catch {
        return undefined;
    }
}

function unauthorized(message: string): AuthResult {
    return { ok: false, status: 401, code: 'unauthorized', message };
}

/** jose error codes are stable and say what failed without quoting the token. */
function describeJoseError(error: unknown): string {
    if (typeof error !== 'object' || error === null) return 'verification failed';
    const { code, claim } = error as { code?: unknown; claim?: unknown };
    if (typeof code !== 'string') return 'verification failed';
    return typeof claim === 'string' ? `${code}: ${claim}` : code;
}
