/**
 * Resource Manager's subscription limits since 2024: a token bucket per subscription, per principal and per
 * operation kind — reads 250 with 25 refilled per second, writes 200 with 10 per second (request-limits-and-
 * throttling, "Regional throttling and token bucket algorithm"). Every response reports what is left in
 * `x-ms-ratelimit-remaining-subscription-reads` / `-writes`; an empty bucket answers 429 with Retry-After.
 */
export type OperationKind = 'reads' | 'writes';

const BUCKETS: Record<OperationKind, { size: number; refillPerSecond: number }> = {
    reads: { size: 250, refillPerSecond: 25 },
    writes: { size: 200, refillPerSecond: 10 },
};

interface Bucket {
    tokens: number;
    atMs: number;
}

export type ChargeResult =
    { readonly ok: true; readonly remaining: number } | { readonly ok: false; readonly retryAfterSeconds: number };

export class ArmThrottle {
    readonly #buckets = new Map<string, Bucket>();

    /** `scale` shrinks the bucket and the refill rate (tests reach the limit with a few calls). */
    charge(subscriptionId: string, principal: string, kind: OperationKind, nowMs: number, scale = 1): ChargeResult {
        const spec = BUCKETS[kind];
        const size = Math.max(1, Math.floor(spec.size * scale));
        const refill = Math.max(spec.refillPerSecond * scale, 0.001);
        const key = `${subscriptionId.toLowerCase()}|${principal}|${kind}`;
        const bucket = this.#buckets.get(key) ?? { tokens: size, atMs: nowMs };
        bucket.tokens = Math.min(size, bucket.tokens + (Math.max(0, nowMs - bucket.atMs) / 1000) * refill);
        bucket.atMs = nowMs;
        this.#buckets.set(key, bucket);
        if (bucket.tokens < 1)
            return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / refill)) };
        bucket.tokens -= 1;
        return { ok: true, remaining: Math.floor(bucket.tokens) };
    }

    clear(): void {
        this.#buckets.clear();
    }
}
