import { randomUUID } from 'node:crypto';

import { type EmuResponse } from '../core/contract';

/** Resource Manager's error body `{error:{code,message}}` and the correlation headers every response carries. */
export function armError(
    status: number,
    code: string,
    message: string,
    headers: Record<string, string> = {},
): EmuResponse {
    return { status, headers: { ...armHeaders(), ...headers }, body: { error: { code, message } } };
}

export function armHeaders(): Record<string, string> {
    const id = randomUUID();
    return {
        'content-type': 'application/json; charset=utf-8',
        'x-ms-request-id': id,
        'x-ms-correlation-request-id': id,
        'cache-control': 'no-cache',
    };
}

/** Audiences Resource Manager accepts (its documented identifier URIs and the app id). */
export const ARM_AUDIENCES = [
    'https://management.core.windows.net/',
    'https://management.core.windows.net',
    'https://management.azure.com/',
    'https://management.azure.com',
];
export const ARM_APP_ID = '797f4846-ba00-4fd7-ba43-dac1f8f63013';

export const unauthenticated = (reason: string): EmuResponse =>
    armError(401, 'AuthenticationFailed', `Authentication failed. ${reason}`, {
        'www-authenticate': `Bearer authorization_uri="https://login.windows.net/", error="invalid_token", error_description="${reason}"`,
    });

export const wrongAudience = (aud: string): EmuResponse =>
    armError(
        401,
        'InvalidAuthenticationTokenAudience',
        `The access token has been obtained for wrong audience or resource '${aud}'. It should exactly match with one of the allowed audiences ${ARM_AUDIENCES.map((a) => `'${a}'`).join(',')}.`,
    );

export const authorizationFailed = (appId: string, oid: string, action: string, scope: string): EmuResponse =>
    armError(
        403,
        'AuthorizationFailed',
        `The client '${appId}' with object id '${oid}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    );

export const throttled = (subscriptionId: string, kind: string, retryAfterSeconds: number): EmuResponse =>
    armError(
        429,
        'SubscriptionRequestsThrottled',
        `Number of '${kind === 'reads' ? 'read' : 'write'}' requests for subscription '${subscriptionId}' exceeded. Please try again after '${retryAfterSeconds}' seconds after additional tickets are available. Refer to https://aka.ms/arm-throttling for additional information.`,
        { 'retry-after': String(retryAfterSeconds) },
    );
