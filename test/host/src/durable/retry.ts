import type { WireRetryOptions } from './actions';

const SIX_DAYS_MS = 6 * 24 * 3600_000;

/**
 * DTFx `RetryInterceptor.ComputeNextDelay`: first * coefficient^attempt, capped at the max interval; zero (stop
 * retrying) once the retry timeout measured from the first attempt has passed. Defaults are the Durable extension's
 * `RetryOptions` defaults (coefficient 1, max interval 6 days, timeout unbounded). JS cannot set `Handle`.
 */
export function computeNextDelayMs(
    options: WireRetryOptions,
    attempt: number,
    firstAttemptMs: number,
    nowMs: number,
): number {
    const timeout = options.retryTimeoutInMilliseconds;
    if (timeout !== undefined && timeout > 0 && nowMs >= firstAttemptMs + timeout) {
        return 0;
    }
    const coefficient = options.backoffCoefficient ?? 1;
    const maxInterval = options.maxRetryIntervalInMilliseconds ?? SIX_DAYS_MS;
    const delay = options.firstRetryIntervalInMilliseconds * Math.pow(coefficient, attempt);
    return delay < maxInterval ? delay : maxInterval;
}
