/**
 * Service delays drawn at random under a seed: how long a new credential takes to work (propagation), how long a
 * new object stays invisible to Graph reads (replication) and how long a sign-in takes to reach the log
 * (ingestion). A delay is either a fixed number of seconds or a distribution; each new credential, application
 * or sign-in takes one uniform draw from a seeded stream, kept on the record, so the same seed and the same
 * sequence of writes give the same delays (a failing run can be replayed with its seed).
 */

/**
 * Seconds: fixed, or uniform in [min, max], except that with `tail.probability` the draw falls uniformly in
 * (max, tail.max] instead (a service that is usually quick and sometimes slow).
 */
export type DelaySpec = number | { min: number; max: number; tail?: { probability: number; max: number } };

/** Uniform draws in [0, 1) a record keeps for the delays that apply to it. */
export interface DelayDraws {
    propagation?: number;
    replication?: number;
}

/** The delay a draw stands for under a spec (the spec's quantile function). */
export function delaySeconds(spec: DelaySpec, draw: number | undefined): number {
    if (typeof spec === 'number') return spec;
    const u = draw ?? 0;
    const p = spec.tail?.probability ?? 0;
    if (spec.tail && u >= 1 - p) return spec.max + ((u - (1 - p)) / p) * (spec.tail.max - spec.max);
    return spec.min + (u / (1 - p)) * (spec.max - spec.min);
}

/** Validates a knob value (throws RangeError, which the control API answers with 400). */
export function parseDelaySpec(value: unknown, name: string): DelaySpec {
    const nonNegative = (n: unknown, what: string): number => {
        if (typeof n !== 'number' || !Number.isFinite(n) || n < 0)
            throw new RangeError(`${name}${what} must be a non-negative number of seconds`);
        return n;
    };
    if (typeof value === 'number') return nonNegative(value, '');
    if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw new RangeError(`${name} must be seconds or {"min","max","tail":{"probability","max"}}`);
    const record = value as Record<string, unknown>;
    const min = nonNegative(record['min'], '.min');
    const max = nonNegative(record['max'], '.max');
    if (max < min) throw new RangeError(`${name}.max must be at least ${name}.min`);
    const tail = record['tail'];
    if (tail === undefined || tail === null) return { min, max };
    if (typeof tail !== 'object' || Array.isArray(tail)) throw new RangeError(`${name}.tail must be an object`);
    const t = tail as Record<string, unknown>;
    const probability = t['probability'];
    if (typeof probability !== 'number' || !(probability > 0 && probability < 1))
        throw new RangeError(`${name}.tail.probability must be between 0 and 1 (exclusive)`);
    const tailMax = nonNegative(t['max'], '.tail.max');
    if (tailMax < max) throw new RangeError(`${name}.tail.max must be at least ${name}.max`);
    return { min, max, tail: { probability, max: tailMax } };
}

/**
 * A seeded stream of uniform numbers in [0, 1) (mulberry32: 32-bit state, full period, fast). Written here rather
 * than taken from a package because replays only need a stable, seedable sequence, not statistical quality.
 */
export class SeededStream {
    private state: number;

    constructor(seed: number) {
        this.state = seed >>> 0;
    }

    next(): number {
        this.state = (this.state + 0x6d2b79f5) >>> 0;
        let t = this.state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    }
}

export function parseSeed(value: unknown): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff)
        throw new RangeError('delaySeed must be an integer between 0 and 4294967295');
    return value;
}

/**
 * Realistic delays, the default of the sandbox and of every end-to-end world (sources in test/emulator/README.md,
 * "Realistic delays"):
 * - propagation: 4–18 s observed (microsoft-graph-docs#1921, #17966), "up to two minutes" in production retry
 *   designs (Azure/ARO-HCP#2723, vault-plugin-secrets-azure#187): 90 % in 4–18 s, 10 % up to 120 s;
 * - Graph read-after-write: "some seconds" (msgraph-sdk-java#2575; Microsoft Q&A advises 1-2-4-8-16 s back-off):
 *   1–10 s, 5 % up to 30 s;
 * - sign-in log ingestion: 2 min at the 95th and 5 min at the 99th percentile (the retired "Azure AD reporting
 *   latencies" page), 15–30 min reported for service-principal logs: 80 % in 1–5 min, 20 % up to 30 min.
 */
export const REALISTIC_DELAYS = {
    propagationDelaySeconds: { min: 4, max: 18, tail: { probability: 0.1, max: 120 } },
    graphReplicationLagSeconds: { min: 1, max: 10, tail: { probability: 0.05, max: 30 } },
    signInIngestionLatencySeconds: { min: 60, max: 300, tail: { probability: 0.2, max: 1800 } },
} as const satisfies Record<string, DelaySpec>;

/** A fresh seed for a run that did not ask for one (printed, so the run can be replayed). */
export const randomSeed = (): number => Math.floor(Math.random() * 0x100000000);
