import { setTimeout as sleep } from 'node:timers/promises';

import { postJson } from './webhookClient';

export interface Subscription {
    readonly id: string;
    readonly name: string;
    readonly endpointUrl: string;
    readonly includedEventTypes?: readonly string[];
    readonly maxDeliveryAttempts: number;
    /** `AwaitingManualAction` until the validation handshake (or a GET on `validationUrl`) succeeds. */
    provisioningState: 'Succeeded' | 'AwaitingManualAction';
    readonly validationCode: string;
}

export interface DeliveryAttempt {
    readonly subscriptionId: string;
    readonly eventId: string;
    readonly eventType: string;
    /** 1-based; the `aeg-delivery-count` header carries `attempt - 1`. */
    readonly attempt: number;
    /** 1 normally, 2 for the extra copy sent while duplicate delivery is on. */
    readonly copy: number;
    readonly status?: number;
    readonly error?: string;
    readonly outcome: 'delivered' | 'retrying' | 'failed';
    readonly at: string;
}

export interface DeliveryOptions {
    /** Real seconds of the retry schedule × this = emulator seconds (0.01: 10 s → 100 ms). */
    readonly retryTimeScale: number;
    readonly timeoutMs: number;
}

/** Event Grid's schedule (10 s, 30 s, 1 min, 5 min, 10 min, 30 min, 1 h, then hourly), §5.3. */
const SCHEDULE_SECONDS = [10, 30, 60, 300, 600, 1800, 3600];

/** Minimum wait before the next attempt by response status (§5.3 per-status backoff). */
function statusMinimumSeconds(status: number | undefined): number {
    if (status === 400 || status === 401 || status === 403 || status === 404) return 300;
    if (status === 408) return 120;
    if (status === 503) return 30;
    return 10;
}

export function retryDelayMs(attempt: number, status: number | undefined, scale: number): number {
    const scheduled = SCHEDULE_SECONDS[Math.min(attempt - 1, SCHEDULE_SECONDS.length - 1)] ?? 3600;
    return Math.max(scheduled, statusMinimumSeconds(status)) * 1000 * scale;
}

/** Only these count as delivered; 202 is fine for notifications (not for the handshake). */
const isSuccess = (status: number): boolean => status >= 200 && status <= 204;

const MAX_LOG = 10_000;

/**
 * Pushes system-topic events to webhook subscriptions: one event per POST as a one-element array, retried
 * with backoff on non-2xx or network errors up to `maxDeliveryAttempts`, optionally delivered twice.
 */
export class Deliverer {
    readonly log: DeliveryAttempt[] = [];
    duplicate = false;
    #abort = new AbortController();
    readonly #pending = new Set<Promise<void>>();

    constructor(private readonly options: DeliveryOptions) {}

    deliver(subscription: Subscription, event: Record<string, unknown>): void {
        const signal = this.#abort.signal;
        const copies = this.duplicate ? 2 : 1;
        const job = (async () => {
            for (let copy = 1; copy <= copies; copy += 1) await this.#deliverCopy(subscription, event, copy, signal);
        })();
        this.#pending.add(job);
        void job.finally(() => this.#pending.delete(job));
    }

    async #deliverCopy(subscription: Subscription, event: Record<string, unknown>, copy: number, signal: AbortSignal) {
        const url = new URL(subscription.endpointUrl);
        for (let attempt = 1; attempt <= subscription.maxDeliveryAttempts; attempt += 1) {
            if (signal.aborted) return;
            let status: number | undefined;
            let error: string | undefined;
            try {
                const response = await postJson(
                    url,
                    [event],
                    {
                        'content-type': 'application/json; charset=utf-8',
                        'aeg-event-type': 'Notification',
                        'aeg-subscription-name': subscription.name.toUpperCase(),
                        'aeg-delivery-count': String(attempt - 1),
                        'aeg-data-version': typeof event.dataVersion === 'string' ? event.dataVersion : '',
                        'aeg-metadata-version': '1',
                    },
                    this.options.timeoutMs,
                    signal,
                );
                status = response.status;
            } catch (cause) {
                if (signal.aborted) return;
                error = cause instanceof Error ? cause.message : String(cause);
            }
            const delivered = status !== undefined && isSuccess(status);
            const last = attempt === subscription.maxDeliveryAttempts;
            this.#record({
                subscriptionId: subscription.id,
                eventId: String(event.id),
                eventType: String(event.eventType),
                attempt,
                copy,
                ...(status === undefined ? {} : { status }),
                ...(error === undefined ? {} : { error }),
                outcome: delivered ? 'delivered' : last ? 'failed' : 'retrying',
                at: new Date().toISOString(),
            });
            if (delivered || last) return;
            try {
                await sleep(retryDelayMs(attempt, status, this.options.retryTimeScale), undefined, {
                    signal,
                    ref: false,
                });
            } catch {
                return; // cancelled by reset or dispose
            }
        }
    }

    #record(attempt: DeliveryAttempt): void {
        this.log.push(attempt);
        if (this.log.length > MAX_LOG) this.log.splice(0, this.log.length - MAX_LOG);
    }

    /** Resolves once every delivery (including pending retries) has finished. */
    async whenIdle(): Promise<void> {
        while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
    }

    /** Drops pending retries and in-flight requests (reset, shutdown). */
    cancelAll(): void {
        this.#abort.abort();
        this.#abort = new AbortController();
    }
}
