import { type Consumer } from '../../../shared/rotation/consumers';
import { type ConsumerRefresherPort, type RefreshOutcome, type RefreshRequest } from '../../../shared/rotation/ports';

/**
 * Consumers that answer from a script: `script('api', [fail, fail, ok])` consumes one outcome per call and
 * repeats the last one. Unscripted consumers succeed; a probe then reports the requested fingerprint.
 */
export class FakeRefresher implements ConsumerRefresherPort {
    readonly calls: { readonly consumer: string; readonly request: RefreshRequest }[] = [];
    readonly #scripts = new Map<string, RefreshOutcome[]>();

    script(consumer: string, outcomes: RefreshOutcome[]): this {
        if (outcomes.length === 0) throw new Error('FakeRefresher: empty script');
        this.#scripts.set(consumer, [...outcomes]);
        return this;
    }

    callsFor(consumer: string): number {
        return this.calls.filter((c) => c.consumer === consumer).length;
    }

    /** Called after a webhook consumer took the new secret (the world makes it sign in with it). */
    onRefreshed: ((consumer: Consumer, request: RefreshRequest) => void) | undefined;

    refresh(consumer: Consumer, request: RefreshRequest): Promise<RefreshOutcome> {
        this.calls.push({ consumer: consumer.name, request: { ...request } });
        const script = this.#scripts.get(consumer.name);
        const outcome = script ? (script.length > 1 ? script.shift() : script[0]) : undefined;
        const result: RefreshOutcome =
            outcome ??
            (consumer.type === 'probe'
                ? { ok: true, detail: 'reports the new fingerprint', observedFingerprint: request.fingerprint }
                : { ok: true, detail: 'refreshed (HTTP 204)' });
        if (result.ok && consumer.type === 'webhook') this.onRefreshed?.(consumer, request);
        return Promise.resolve(result);
    }
}

export const refreshFailed = (detail: string, retryable = false): RefreshOutcome => ({ ok: false, retryable, detail });
