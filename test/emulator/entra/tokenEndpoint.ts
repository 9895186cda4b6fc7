import { type EmuRequest, type EmuResponse } from '../core/contract';
import { type DelayDraws } from '../core/delays';
import { ASSERTION_TYPE, type ClientAuthResult, checkAssertion, checkSecret } from './clientAuth';
import { type ApplicationRecord, type ServicePrincipalRecord } from './model';
import { type TenantRuntime, TOKEN_LIFETIME_SECONDS } from './runtime';
import { STS, type StsErrorSpec, stsErrorResponse } from './stsErrors';
import { type UserSignIn } from './userSignIn';

const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access']);

function formParams(request: EmuRequest): URLSearchParams {
    const contentType = (request.headers['content-type'] ?? '').toLowerCase();
    // Like the real STS, a non-form body simply carries no parameters (→ AADSTS900144 for grant_type).
    return contentType.startsWith('application/x-www-form-urlencoded')
        ? new URLSearchParams(request.body.toString('utf8'))
        : new URLSearchParams();
}

/** RFC 6749 §2.3.1 Basic auth: both parts are form-urlencoded before base64. */
function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
    const match = /^Basic\s+(\S+)$/i.exec(header?.trim() ?? '');
    if (!match?.[1]) return undefined;
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    const unescape = (part: string) => decodeURIComponent(part.replace(/\+/g, ' '));
    try {
        return { id: unescape(decoded.slice(0, colon)), secret: unescape(decoded.slice(colon + 1)) };
    } catch {
        return undefined;
    }
}

/** A CORS preflight of the token endpoint (MSAL's `X-AnchorMailbox` header makes one). */
export function tokenPreflight(request: EmuRequest): EmuResponse {
    const origin = request.headers['origin'];
    return {
        status: 200,
        headers: origin
            ? {
                  'access-control-allow-origin': origin,
                  'access-control-allow-methods': 'POST, OPTIONS',
                  'access-control-allow-headers': request.headers['access-control-request-headers'] ?? '',
                  'access-control-max-age': '86400',
                  vary: 'Origin',
              }
            : {},
        body: '',
    };
}

/**
 * `POST /{tenant}/oauth2/v2.0/token`: client_credentials (secret or assertion), api-fidelity §2; and the user grants
 * of single-page apps (authorization_code with PKCE, refresh_token), answered by `userSignIn`.
 */
export function handleTokenRequest(
    runtime: TenantRuntime,
    request: EmuRequest,
    tenant: string,
    userSignIn?: UserSignIn,
): EmuResponse {
    const now = runtime.clock.now();
    const params = formParams(request);
    const correlationId =
        params.get('client-request-id') ??
        request.query.get('client-request-id') ??
        request.headers['client-request-id'];
    const fail = (spec: StsErrorSpec) => stsErrorResponse(spec, now, correlationId);
    if (request.method !== 'POST') return fail(STS.methodNotAllowed());

    const grantType = params.get('grant_type');
    if (!grantType) return fail(STS.missingParameter('grant_type'));
    if (userSignIn && (grantType === 'authorization_code' || grantType === 'refresh_token')) {
        const origin = request.headers['origin'];
        const result =
            grantType === 'authorization_code'
                ? userSignIn.redeemCode(params, origin)
                : userSignIn.redeemRefreshToken(params, origin);
        const cors: Record<string, string> = result.corsOrigin
            ? { 'access-control-allow-origin': result.corsOrigin, vary: 'Origin' }
            : {};
        if (!result.ok) {
            const response = fail(result.error);
            return { ...response, headers: { ...response.headers, ...cors } };
        }
        return {
            status: 200,
            headers: {
                'content-type': 'application/json; charset=utf-8',
                'cache-control': 'no-store, no-cache',
                pragma: 'no-cache',
                ...cors,
            },
            body: result.body,
        };
    }
    if (grantType !== 'client_credentials') return fail(STS.unsupportedGrant(grantType));
    const basic = basicCredentials(request.headers['authorization']);
    const clientId = params.get('client_id') ?? basic?.id;
    if (!clientId) return fail(STS.missingParameter('client_id'));
    const scopeParam = params.get('scope');
    if (!scopeParam) return fail(STS.missingParameter('scope'));
    const scopes = scopeParam.split(/\s+/).filter((scope) => scope && !OIDC_SCOPES.has(scope.toLowerCase()));
    const scope = scopes[0];
    const requestedResource = scope?.replace(/\/\.default$/i, '') ?? '';

    const { directory } = runtime;
    const app = directory.applicationByAppId(clientId);
    const caller = app ? directory.servicePrincipalByAppId(clientId) : undefined;
    const resource = requestedResource ? directory.resourceByIdentifier(requestedResource) : undefined;
    const record = (result: ClientAuthResult | undefined, spec: StsErrorSpec | undefined) =>
        recordSignIn(runtime, now, correlationId, clientId, app, caller, resource, result, spec);

    if (scopes.length !== 1 || !scope || !/\/\.default$/i.test(scope)) {
        const spec = STS.scopeWithoutDefault(scopeParam);
        record(undefined, spec);
        return fail(spec);
    }
    if (!app || !caller) {
        const spec = STS.appNotFound(clientId, runtime.tenantId);
        record(undefined, spec);
        return fail(spec);
    }
    if (!caller.accountEnabled) {
        const spec = STS.appDisabled(app.appId, app.displayName);
        record(undefined, spec);
        return fail(spec);
    }
    const timing = {
        now,
        propagationDelayMs: (credential: { delayDraws?: DelayDraws }) =>
            runtime.propagationDelayMs(credential.delayDraws),
    };
    const secret = params.get('client_secret') ?? basic?.secret;
    const assertion = params.get('client_assertion');
    let result: ClientAuthResult;
    if (assertion) {
        if (params.get('client_assertion_type') !== ASSERTION_TYPE) {
            return fail(STS.missingParameter('client_assertion_type'));
        }
        const ownEndpoint = `${runtime.origin}${request.path}`;
        const canonical = `${runtime.origin}/${runtime.tenantId}/oauth2/v2.0/token`;
        result = checkAssertion(app, assertion, [ownEndpoint, canonical], timing);
    } else if (secret) {
        result = checkSecret(app, secret, timing);
    } else {
        result = { ok: false, method: 'none', error: STS.missingCredential() };
    }
    if (!result.ok) {
        record(result, result.error);
        return fail(result.error);
    }
    if (!resource) {
        const spec = STS.resourceNotFound(requestedResource, tenant);
        record(result, spec);
        return fail(spec);
    }
    record(result, undefined);
    const accessToken = runtime.issueAccessToken(app, caller, resource, requestedResource, result.method);
    return {
        status: 200,
        headers: {
            'content-type': 'application/json; charset=utf-8',
            'cache-control': 'no-store, no-cache',
            pragma: 'no-cache',
            'x-ms-clitelem': '1,0,0,,',
        },
        body: {
            token_type: 'Bearer',
            expires_in: TOKEN_LIFETIME_SECONDS,
            ext_expires_in: TOKEN_LIFETIME_SECONDS,
            access_token: accessToken,
        },
    };
}

function recordSignIn(
    runtime: TenantRuntime,
    now: Date,
    correlationId: string | undefined,
    clientId: string,
    app: ApplicationRecord | undefined,
    caller: ServicePrincipalRecord | undefined,
    resource: ServicePrincipalRecord | undefined,
    result: ClientAuthResult | undefined,
    spec: StsErrorSpec | undefined,
): void {
    const credential = result?.ok ? result.credential : undefined;
    const keyId = credential?.keyId ?? (result && !result.ok ? result.keyId : undefined);
    const thumbprint =
        result?.ok && result.method === 'certificate'
            ? result.credential.thumbprintHex
            : result && !result.ok
              ? result.thumbprint
              : undefined;
    const method = result?.method ?? 'none';
    runtime.signIns.record(now, runtime.drawIngestionLatencySeconds(), {
        appId: clientId,
        appDisplayName: app?.displayName ?? null,
        servicePrincipalId: caller?.id ?? null,
        servicePrincipalName: caller?.displayName ?? null,
        resourceId: resource?.appId ?? null,
        resourceDisplayName: resource?.displayName ?? null,
        clientCredentialType:
            method === 'secret' ? 'clientSecret' : method === 'certificate' ? 'clientAssertion' : 'none',
        servicePrincipalCredentialKeyId: keyId ?? null,
        servicePrincipalCredentialThumbprint: thumbprint ?? null,
        correlationId: correlationId ?? '',
        status: {
            errorCode: spec?.code ?? 0,
            failureReason: spec ? spec.description : null,
            additionalDetails: null,
        },
    });
}
