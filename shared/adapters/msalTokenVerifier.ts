import { ConfidentialClientApplication } from '@azure/msal-node';

import { classifyAadsts, type TokenErrorLike } from '../domain/aadsts';
import { type Secret } from '../security/Secret';
import { type TokenCheck, type TokenVerifierPort } from '../rotation/ports';

export interface TokenVerifierOptions {
    readonly tenantId: string;
    readonly authorityHost: string;
    /** Resource to request a token for (the cloud's Graph); any resource proves the secret (Graph issues app tokens without roles). */
    readonly scope: string;
    /** The authority is not a Microsoft host (local emulator): skip the hard-wired instance discovery. */
    readonly localEndpoints: boolean;
}

/**
 * Proves a secret with a real token request. A new ConfidentialClientApplication per check and `skipCache`:
 * msal's cache key does not include the secret, so a reused client would answer with a token minted by the
 * old secret and "verify" a secret that does not work.
 */
export class MsalTokenVerifier implements TokenVerifierPort {
    constructor(private readonly options: TokenVerifierOptions) {}

    async checkSecret(appId: string, secret: Secret, correlationId?: string): Promise<TokenCheck> {
        const authority = `${this.options.authorityHost.replace(/\/+$/, '')}/${this.options.tenantId}`;
        const client = new ConfidentialClientApplication({
            auth: {
                clientId: appId,
                authority,
                clientSecret: secret.reveal(),
                ...(this.options.localEndpoints ? { knownAuthorities: [new URL(authority).host] } : {}),
            },
        });
        try {
            const result = await client.acquireTokenByClientCredential({
                scopes: [this.options.scope],
                skipCache: true,
                ...(correlationId ? { correlationId } : {}),
            });
            if (!result?.accessToken) {
                return {
                    ok: false,
                    classification: classifyAadsts({ message: 'token endpoint returned no access token' }),
                };
            }
            return { ok: true, tokenExpiresOn: result.expiresOn?.toISOString() };
        } catch (error) {
            return { ok: false, classification: classifyAadsts(toTokenError(error)) };
        }
    }
}

interface MsalErrorShape {
    errorCode?: unknown;
    errorNo?: unknown;
    errorMessage?: unknown;
    status?: unknown;
    message?: unknown;
}

function toTokenError(error: unknown): TokenErrorLike {
    const e = (typeof error === 'object' && error !== null ? error : {}) as MsalErrorShape;
    const errorCode = typeof e.errorCode === 'string' ? e.errorCode : undefined;
    const status = typeof e.status === 'number' ? e.status : undefined;
    const message =
        typeof e.errorMessage === 'string' && e.errorMessage
            ? e.errorMessage
            : typeof e.message === 'string'
              ? e.message
              : '';
    const networkError =
        status === undefined &&
        /network|endpoints_resolution|ECONNREFUSED|ENOTFOUND|fetch failed/i.test(`${errorCode ?? ''} ${message}`);
    return {
        ...(status !== undefined ? { status } : {}),
        ...(errorCode !== undefined ? { error: errorCode } : {}),
        ...(typeof e.errorNo === 'string' || typeof e.errorNo === 'number' ? { errorNo: e.errorNo } : {}),
        message,
        networkError,
    };
}
