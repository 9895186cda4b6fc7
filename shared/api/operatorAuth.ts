import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';

export const OperatorRoles = { read: 'Rotation.Read', write: 'Rotation.Write' } as const;
export type OperatorRole = (typeof OperatorRoles)[keyof typeof OperatorRoles];

export interface OperatorAuthOptions {
    readonly tenantId: string;
    readonly authorityHost: string;
    /** The operator API app registration's identifier URI (v1 tokens) or client id (v2 tokens). */
    readonly audience: string;
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
 * and cached by jose), issuer (v1 or v2 form), audience and lifetime, then the app role the route needs.
 * Error messages never echo the token.
 */
export function createOperatorAuth(
    options: OperatorAuthOptions,
): (authorization: string | null | undefined, role: OperatorRole) => Promise<AuthResult> {
    const host = options.authorityHost.replace(/\/+$/, '');
    const jwks = createRemoteJWKSet(new URL(`${host}/${options.tenantId}/discovery/v2.0/keys`), {
        cooldownDuration: 30_000,
        cacheMaxAge: 10 * 60_000,
    });
    const issuers = [`${host}/${options.tenantId}/v2.0`, `${host}/${options.tenantId}/`];
    if (new URL(host).hostname === 'login.microsoftonline.com')
        issuers.push(`https://sts.windows.net/${options.tenantId}/`);

    return async (authorization, role) => {
        const match = /^Bearer\s+([A-Za-z0-9._-]+)$/i.exec(authorization?.trim() ?? '');
        if (!match?.[1]) return unauthorized('a bearer token is required');
        let payload: JWTPayload;
        try {
            ({ payload } = await jwtVerify(match[1], jwks, {
                issuer: issuers,
                audience: options.audience,
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
            caller: { appId: str(payload.appid) ?? str(payload.azp), objectId: str(payload.oid), roles },
        };
    };
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
