import { type TenantRuntime } from './runtime';

/**
 * `/{tenant}/v2.0/.well-known/openid-configuration` (api-fidelity §2.5). msal-node requires
 * `authorization_endpoint`, `token_endpoint`, `issuer` and `jwks_uri`, and the issuer must share the
 * authority's scheme+host+port, so every URL is on the emulator origin.
 */
export function openIdConfiguration(runtime: TenantRuntime, version: 'v1' | 'v2'): object {
    const base = `${runtime.origin}/${runtime.tenantId}`;
    const v2 = version === 'v2';
    return {
        token_endpoint: v2 ? `${base}/oauth2/v2.0/token` : `${base}/oauth2/token`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        jwks_uri: v2 ? `${base}/discovery/v2.0/keys` : `${base}/discovery/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: v2 ? runtime.issuerV2 : runtime.issuerV1,
        request_uri_parameter_supported: false,
        authorization_endpoint: v2 ? `${base}/oauth2/v2.0/authorize` : `${base}/oauth2/authorize`,
        device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'tid', 'ver', 'roles'],
        tenant_region_scope: 'WW',
        cloud_instance_name: 'microsoftonline.com',
        cloud_graph_host_name: 'graph.windows.net',
        msgraph_host: 'graph.microsoft.com',
    };
}

export function jwks(runtime: TenantRuntime): object {
    return { keys: [runtime.signingKey.jwk()] };
}
