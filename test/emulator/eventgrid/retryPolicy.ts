/**
 * Event Grid's delivery rules (Azure docs "Event Grid message delivery and retry", current text; api-fidelity
 * §5.3 quotes the older per-status waits, kept here as minimums for the statuses that are still retried).
 */

export type EndpointType = 'WebHook' | 'AzureFunction';

/** Best-effort schedule: 10 s, 30 s, 1 min, 5 min, 10 min, 30 min, 1 h, 3 h, 6 h, then every 12 h. */
const SCHEDULE_SECONDS = [10, 30, 60, 300, 600, 1800, 3600, 10_800, 21_600, 43_200];

/** Errors no retry can fix: dead-lettered at once when configured, otherwise dropped. */
const NOT_RETRIED: Record<EndpointType, ReadonlySet<number>> = {
    WebHook: new Set([400, 401, 403, 413]),
    AzureFunction: new Set([400, 403, 413]),
};

/** Only these count as delivered (202 included; the handshake alone requires 200). */
export const isSuccess = (status: number): boolean => status >= 200 && status <= 204;

export const isRetried = (endpointType: EndpointType, status: number | undefined): boolean =>
    status === undefined || !NOT_RETRIED[endpointType].has(status);

function statusMinimumSeconds(status: number | undefined): number {
    if (status === 404) return 300;
    if (status === 408) return 120;
    if (status === 503) return 30;
    return 10;
}

/** Wait before attempt `attempt + 1`, in real milliseconds after scaling (0.01: 10 s → 100 ms). */
export function retryDelayMs(attempt: number, status: number | undefined, scale: number): number {
    const scheduled = SCHEDULE_SECONDS[Math.min(attempt - 1, SCHEDULE_SECONDS.length - 1)] ?? 43_200;
    return Math.max(scheduled, statusMinimumSeconds(status)) * 1000 * scale;
}

/** `lastDeliveryOutcome` of a dead-lettered event ([OBS] values: `BadRequest`, `TimedOut`). */
export function deliveryOutcome(status: number | undefined, error: string | undefined): string {
    if (status === undefined)
        return error !== undefined && /timed? ?out|no response/i.test(error) ? 'TimedOut' : 'Aborted';
    const names: Record<number, string> = {
        400: 'BadRequest',
        401: 'Unauthorized',
        403: 'Forbidden',
        404: 'NotFound',
        408: 'TimedOut',
        413: 'RequestEntityTooLarge',
        503: 'ServiceUnavailable',
    };
    return names[status] ?? 'GenericError';
}
