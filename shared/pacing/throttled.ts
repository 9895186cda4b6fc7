import { ErrorCodes } from '../errors/errorCodes';
import { isRotatorError, RotatorError } from '../errors/RotatorError';

/**
 * What an activity returns instead of throwing when a quota said "not now": a result, so Durable does not
 * spend a retry on it and the orchestrator can sleep on a durable timer until `retryAfterSeconds`.
 * Ordinary results never have a `throttled` member, so results recorded before this existed replay unchanged.
 */
export interface ThrottledResult {
    readonly throttled: { readonly retryAfterSeconds: number; readonly detail: string };
}

export function isThrottledResult(value: unknown): value is ThrottledResult {
    if (typeof value !== 'object' || value === null || !('throttled' in value)) return false;
    const t = value.throttled;
    return (
        typeof t === 'object' &&
        t !== null &&
        typeof (t as { retryAfterSeconds?: unknown }).retryAfterSeconds === 'number'
    );
}

/** The error a budget or a 429 becomes inside an adapter. */
export function throttledError(where: string, retryAfterMs: number, cause?: unknown): RotatorError {
    return new RotatorError('upstream', ErrorCodes.throttled, where, {
        retryable: true,
        status: 429,
        retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)),
        ...(cause === undefined ? {} : { cause }),
    });
}

/** A thrown throttling error as an activity result; anything else is not ours to convert. */
export function asThrottledResult(error: unknown): ThrottledResult | undefined {
    if (!isRotatorError(error) || error.code !== ErrorCodes.throttled) return undefined;
    return {
        throttled: {
            retryAfterSeconds: error.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS,
            detail: error.message,
        },
    };
}

/** When a 429 came without Retry-After and no budget knew better (api-fidelity §1.6: not always sent). */
export const DEFAULT_RETRY_AFTER_SECONDS = 10;
