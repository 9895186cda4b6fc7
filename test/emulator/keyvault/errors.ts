import { randomUUID } from 'node:crypto';

import { type EmuResponse } from '../core/contract';
import { caeClaims } from './cae';

/** The resource named in Key Vault's challenge; tokens must carry it as `aud` (api-fidelity §4.3). */
export const VAULT_RESOURCE = 'https://vault.azure.net';

/**
 * Key Vault's error body: `{error:{code,message,innererror?}}`, with a lower-case `innererror` unlike Graph's
 * `innerError` (api-fidelity §4.2).
 */
export function kvError(status: number, code: string, message: string, innerCode?: string): EmuResponse {
    const error: Record<string, unknown> = { code, message };
    if (innerCode !== undefined) error.innererror = { code: innerCode };
    return { status, headers: kvHeaders(), body: { error } };
}

/** Headers every Key Vault response carries (the SDK logs `x-ms-request-id`). */
export function kvHeaders(): Record<string, string> {
    return {
        'content-type': 'application/json; charset=utf-8',
        'x-ms-request-id': randomUUID(),
        'x-ms-keyvault-service-version': '1.9.2550.1',
        'cache-control': 'no-cache',
    };
}

/**
 * 401 with the challenge the SDK parses: the tenant is the path of `authorization` (its host is ignored) and the
 * scope is `resource/.default` (§4.3).
 */
export function challenge(tenantId: string, message: string): EmuResponse {
    return {
        status: 401,
        headers: {
            ...kvHeaders(),
            'www-authenticate': `Bearer authorization="https://login.windows.net/${tenantId}", resource="${VAULT_RESOURCE}"`,
        },
        body: { error: { code: 'Unauthorized', message } },
    };
}

/**
 * The continuous-access-evaluation challenge (`error="insufficient_claims"` + base64 `claims` asking for a token
 * issued after now). The SDK answers it with a fresh token that bypasses its cache (§4.3 step 4).
 */
export function caeChallenge(tenantId: string, nowSeconds: number, message: string): EmuResponse {
    const claims = caeClaims(nowSeconds);
    return {
        status: 401,
        headers: {
            ...kvHeaders(),
            'www-authenticate':
                `Bearer authorization="https://login.windows.net/${tenantId}", resource="${VAULT_RESOURCE}", ` +
                `error="insufficient_claims", claims="${claims}"`,
        },
        body: { error: { code: 'Unauthorized', message } },
    };
}

export const secretNotFound = (name: string): EmuResponse =>
    kvError(
        404,
        'SecretNotFound',
        `A secret with (name/id) ${name} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
    );

/** [UNVERIFIED] wording; the code matches what the SDK's delete poller treats as "not deleted yet". */
export const deletedSecretNotFound = (name: string): EmuResponse =>
    kvError(404, 'SecretNotFound', `Deleted Secret not found: ${name}`);

export const secretDisabled = (operation: string): EmuResponse =>
    kvError(403, 'Forbidden', `Operation ${operation} is not allowed on a disabled secret.`, 'SecretDisabled');

export const deletedButRecoverable = (name: string): EmuResponse =>
    kvError(
        409,
        'Conflict',
        `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
        'ObjectIsDeletedButRecoverable',
    );

export const badParameter = (message: string): EmuResponse => kvError(400, 'BadParameter', message);

/** A name whose purge (or delete) is still being processed refuses writes (azure-sdk-for-net#34322, verbatim). */
export const beingDeleted = (name: string): EmuResponse =>
    kvError(
        409,
        'Conflict',
        `Secret ${name} is currently being deleted and cannot be re-created; retry later.`,
        'ObjectIsBeingDeleted',
    );

/** Purge in a purge-protected vault (message from microsoft/AzureTRE#1760; the inner code is [UNVERIFIED]). */
export const purgeProtected = (): EmuResponse =>
    kvError(
        403,
        'Forbidden',
        'Operation "purge" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed.',
    );
