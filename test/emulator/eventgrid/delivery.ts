import { setTimeout as sleep } from 'node:timers/promises';

import { deliveryOutcome, type EndpointType, isRetried, isSuccess, retryDelayMs } from './retryPolicy';
import { postJson } from './webhookClient';

export interface Subscription {
    readonly id: string;
    readonly name: string;
    readonly endpointUrl: string;
    readonly includedEventTypes?: readonly string[];
    readonly maxDeliveryAttempts: number;
    readonly endpointType: EndpointType;
    /** Keep undeliverable events (the product's subscription dead-letters to a blob container). */
    readonly deadLetter: boolean;
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
    readonly outcome: 'delivered' | 'retrying' | 'deadLettered' | 'dropped';
    readonly at: string;
}

export interface DeliveryOptions {
    /** Real seconds of the retry schedule × this = emulator seconds (0.01: 10 s → 100 ms). */
    readonly retryTimeScale: number;
    readonly timeoutMs: number;
    /** The emulator clock, for `lastDeliveryAttemptTime` and the log. */
    readonly now: () => Date;
}

/** A dead-lettered event: the event plus the metadata Event Grid adds to the dead-letter blob [OBS]. */
export type DeadLetter = Record<string, unknown> & {
    readonly subscriptionName: string;
    readonly deadLetterReason:
        'MaxDeliveryAttemptsExceeded' | 'UndeliverableDueToHttpBadRequest' | 'UndeliverableDueToClientError';
    readonly deliveryAttempts: number;
    readonly lastDeliveryOutcome: string;
    readonly lastHttpStatusCode: number | null;
    readonly publishTime: unknown;
    readonly lastDeliveryAttemptTime: string;
};

const MAX_LOG = 10_000;

/**
 * Pushes system-topic events to webhook subscriptions: one event per POST as a one-element array, retried
 * with backoff up to `maxDeliveryAttempts` unless the status is one Event Grid never retries; undeliverable
 * events are dead-lettered when the subscription asks for it, else dropped. Optionally delivered twice.
 */
export class Deliverer {
    readonly log: DeliveryAttempt[] = [];
    readonly deadLetters: DeadLetter[] = [];
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
            const retried = isRetried(subscription.endpointType, status);
            const last = !delivered && (attempt === subscription.maxDeliveryAttempts || !retried);
            const at = this.options.now().toISOString();
            this.#record({
                subscriptionId: subscription.id,
                eventId: String(event.id),
                eventType: String(event.eventType),
                attempt,
                copy,
                ...(status === undefined ? {} : { status }),
                ...(error === undefined ? {} : { error }),
                outcome: delivered
                    ? 'delivered'
                    : !last
                      ? 'retrying'
                      : subscription.deadLetter
                        ? 'deadLettered'
                        : 'dropped',
                at,
            });
            if (delivered) return;
            if (last) {
                if (subscription.deadLetter) {
                    this.#deadLetter({
                        ...event,
                        subscriptionName: subscription.name.toUpperCase(),
                        deadLetterReason: retried
                            ? 'MaxDeliveryAttemptsExceeded'
                            : status === 400
                              ? 'UndeliverableDueToHttpBadRequest'
                              : 'UndeliverableDueToClientError',
                        deliveryAttempts: attempt,
                        lastDeliveryOutcome: deliveryOutcome(status, error),
                        lastHttpStatusCode: status ?? null,
                        publishTime: event.eventTime,
                        lastDeliveryAttemptTime: at,
                    });
                }
                return;
            }
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

    #deadLetter(entry: DeadLetter): void {
        this.deadLetters.push(entry);
        if (this.deadLetters.length > MAX_LOG) this.deadLetters.splice(0, this.deadLetters.length - MAX_LOG);
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
