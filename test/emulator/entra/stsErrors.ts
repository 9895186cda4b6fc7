import { newGuid } from '../core/ids';
import { type EmuResponse } from '../core/contract';

/** `2016-01-09 02:02:12Z`: the STS timestamp format (space, not `T`; api-fidelity §2.3). */
export function stsTimestamp(date: Date): string {
    return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

export interface StsErrorSpec {
    readonly code: number;
    readonly error: string;
    readonly status: number;
    readonly description: string;
}

/** The AADSTS errors this emulator reproduces, with their real `error` values, statuses and texts (§2.4). */
export const STS = {
    invalidSecret: (appId: string): StsErrorSpec => ({
        code: 7000215,
        error: 'invalid_client',
        status: 401,
        description: `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${appId}'.`,
    }),
    expiredSecret: (appId: string): StsErrorSpec => ({
        code: 7000222,
        error: 'invalid_client',
        status: 401,
        description: `The provided client secret keys for app '${appId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
    }),
    appNotFound: (appId: string, tenant: string): StsErrorSpec => ({
        code: 700016,
        error: 'unauthorized_client',
        status: 400,
        description: `Application with identifier '${appId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    }),
    appDisabled: (appId: string, name: string): StsErrorSpec => ({
        code: 7000112,
        error: 'unauthorized_client',
        status: 400,
        description: `Application '${appId}'(${name}) is disabled.`,
    }),
    assertionSignature: (reason: string, thumbprint: string, appId: string): StsErrorSpec => ({
        code: 700027,
        error: 'invalid_client',
        status: 401,
        description: `Client assertion contains an invalid signature. [Reason - ${reason}, Thumbprint of key used by client: '${thumbprint}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${appId}'. Review the documentation at https://docs.microsoft.com/en-us/graph/deployments to determine the corresponding service endpoint and https://docs.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0&tabs=http to build a query request URL, such as 'https://graph.microsoft.com/beta/applications/${appId}'].`,
    }),
    assertionTime: (now: Date, nbf: number, exp: number): StsErrorSpec => ({
        code: 700024,
        error: 'invalid_client',
        status: 400,
        description: `Client assertion is not within its valid time range. Current time: ${now.toISOString()}, assertion valid from ${new Date(nbf * 1000).toISOString()}, expiry time of assertion ${new Date(exp * 1000).toISOString()}. Review the documentation at https://docs.microsoft.com/azure/active-directory/develop/active-directory-certificate-credentials .`,
    }),
    assertionIssuer: (): StsErrorSpec => ({
        code: 700021,
        error: 'invalid_client',
        status: 401,
        description:
            "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://docs.microsoft.com/azure/active-directory/develop/active-directory-certificate-credentials .",
    }),
    assertionAudience: (expected: string): StsErrorSpec => ({
        code: 700027,
        error: 'invalid_client',
        status: 401,
        description: `Client assertion failed signature validation. [Reason - The audience claim is invalid; expected '${expected}'.]`,
    }),
    tenantNotFound: (tenant: string): StsErrorSpec => ({
        code: 90002,
        error: 'invalid_request',
        status: 400,
        description: `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
    }),
    scopeWithoutDefault: (scope: string): StsErrorSpec => ({
        code: 1002012,
        error: 'invalid_scope',
        status: 400,
        description: `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    }),
    resourceNotFound: (resource: string, tenant: string): StsErrorSpec => ({
        code: 500011,
        error: 'invalid_resource',
        status: 400,
        description: `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    }),
    missingParameter: (name: string): StsErrorSpec => ({
        code: 900144,
        error: 'invalid_request',
        status: 400,
        description: `The request body must contain the following parameter: '${name}'.`,
    }),
    missingCredential: (): StsErrorSpec => ({
        code: 7000218,
        error: 'invalid_client',
        status: 401,
        description: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    }),
    unsupportedGrant: (grant: string): StsErrorSpec => ({
        code: 70003,
        error: 'unsupported_grant_type',
        status: 400,
        description: `The app requested an unsupported grant type '${grant}'.`,
    }),
    methodNotAllowed: (): StsErrorSpec => ({
        code: 900561,
        error: 'invalid_request',
        status: 400,
        description: 'The endpoint only accepts POST requests. Received a GET request.',
    }),
};

/** The STS error body: `AADSTSnnnn: …\r\nTrace ID…\r\nCorrelation ID…\r\nTimestamp…` plus the fields (§2.3). */
export function stsErrorResponse(spec: StsErrorSpec, now: Date, correlationId: string | undefined): EmuResponse {
    const traceId = newGuid();
    const correlation = correlationId ?? newGuid();
    const timestamp = stsTimestamp(now);
    return {
        status: spec.status,
        headers: {
            'content-type': 'application/json; charset=utf-8',
            'cache-control': 'no-store, no-cache',
            pragma: 'no-cache',
            'x-ms-request-id': traceId,
        },
        body: {
            error: spec.error,
            error_description: `AADSTS${spec.code}: ${spec.description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlation}\r\nTimestamp: ${timestamp}`,
            error_codes: [spec.code],
            timestamp,
            trace_id: traceId,
            correlation_id: correlation,
            error_uri: `https://login.microsoftonline.com/error?code=${spec.code}`,
        },
    };
}
