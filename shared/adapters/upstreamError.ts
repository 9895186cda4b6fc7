import { ErrorCodes } from '../errors/errorCodes';
import { isRotatorError, RotatorError } from '../errors/RotatorError';

export type Upstream = 'graph' | 'keyVault' | 'eventGrid' | 'entra' | 'consumer' | 'storage' | 'resourceManager';

interface WireErrorShape {
    statusCode?: unknown;
    status?: unknown;
    code?: unknown;
    name?: unknown;
}

/** HTTP status of an SDK error: core-rest-pipeline `RestError.statusCode`, graph-client `GraphError.statusCode`. */
export function statusOf(error: unknown): number | undefined {
    if (typeof error !== 'object' || error === null) return undefined;
    const e = error as WireErrorShape;
    const status =
        typeof e.statusCode === 'number' ? e.statusCode : typeof e.status === 'number' ? e.status : undefined;
    return status !== undefined && status > 0 ? status : undefined;
}

/** Service error code (`error.code` on the wire), e.g. `CredentialInvalidLifetimeAsPerAppPolicy`, `SecretNotFound`. */
export function wireCodeOf(error: unknown): string | undefined {
    if (typeof error !== 'object' || error === null) return undefined;
    const code = (error as WireErrorShape).code;
    return typeof code === 'string' ? code : undefined;
}

interface HeaderBag {
    get(name: string): string | null | undefined;
}

/** A response header of an SDK error: graph-client `GraphError.headers`, core-rest-pipeline `RestError.response.headers`. */
export function headerOf(error: unknown, name: string): string | undefined {
    if (typeof error !== 'object' || error === null) return undefined;
    const e = error as { headers?: unknown; response?: { headers?: unknown } };
    for (const bag of [e.headers, e.response?.headers]) {
        if (bag && typeof (bag as HeaderBag).get === 'function') {
            const value = (bag as HeaderBag).get(name);
            if (typeof value === 'string' && value !== '') return value;
        }
    }
    return undefined;
}

/**
 * `Retry-After` in milliseconds: seconds (fractional allowed, as Graph sends) or an HTTP date
 * (api-fidelity §1.6, §6). Undefined when absent or unreadable.
 */
export function parseRetryAfterMs(value: string | null | undefined, nowMs = Date.now()): number | undefined {
    if (value === null || value === undefined || value.trim() === '') return undefined;
    const seconds = Number(value);
    if (Number.isFinite(seconds)) return seconds >= 0 ? Math.round(seconds * 1000) : undefined;
    const at = Date.parse(value);
    return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Policy codes Graph uses when the tenant's app-management policy refuses a credential. */
const LIFETIME_POLICY_CODES = new Set([
    'CredentialInvalidLifetimeAsPerAppPolicy',
    'CredentialTypeNotAllowedAsPerAppPolicy',
]);

/**
 * Maps any SDK or transport error to our taxonomy. Messages carry the service, the status and the wire code
 * only: bodies can echo request content, so they are never included.
 */
export function fromUpstreamError(service: Upstream, operation: string, error: unknown): RotatorError {
    if (isRotatorError(error)) return error;
    const status = statusOf(error);
    const wireCode = wireCodeOf(error);
    const where = `${service} ${operation} failed (HTTP ${status ?? 'n/a'}${wireCode ? `, ${wireCode}` : ''})`;
    const options = { status, cause: error };
    if (wireCode !== undefined && LIFETIME_POLICY_CODES.has(wireCode)) {
        return new RotatorError(
            'policy',
            ErrorCodes.lifetimePolicyViolation,
            `${where}: the tenant app-management policy refused the credential`,
            options,
        );
    }
    // TooManyAppPasswords (azure-cli#12946); Directory_ResourceSizeExceeded: the application object is full
    // (Graph refuses addPassword/addKey once its credentials exceed the directory object size limit).
    if (wireCode === 'TooManyAppPasswords' || wireCode === 'Directory_ResourceSizeExceeded') {
        return new RotatorError(
            'policy',
            ErrorCodes.credentialLimitReached,
            `${where}: the application holds too many credentials; remove unused ones and retry`,
            options,
        );
    }
    if (status === undefined)
        return new RotatorError('upstream', ErrorCodes.unavailable, where, { ...options, retryable: true });
    if (status === 429) {
        const retryAfterMs = parseRetryAfterMs(headerOf(error, 'retry-after'));
        return new RotatorError('upstream', ErrorCodes.throttled, where, {
            ...options,
            retryable: true,
            ...(retryAfterMs === undefined ? {} : { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) }),
        });
    }
    if (status === 408 || status >= 500)
        return new RotatorError('upstream', ErrorCodes.unavailable, where, { ...options, retryable: true });
    if (status === 401)
        return new RotatorError(
            'auth',
            ErrorCodes.authFailed,
            `${where}: the rotator's own identity was not accepted`,
            options,
        );
    if (status === 403) return new RotatorError('upstream', ErrorCodes.forbidden, where, options);
    if (status === 404) return new RotatorError('upstream', ErrorCodes.notFound, where, options);
    if (status === 409)
        return new RotatorError('upstream', ErrorCodes.conflict, where, { ...options, retryable: true });
    return new RotatorError('upstream', ErrorCodes.unknown, where, options);
}
