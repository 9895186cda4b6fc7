import { ErrorCodes } from '../errors/errorCodes';
import { RotatorError } from '../errors/RotatorError';
import { unchanged } from '../scan/ports';

/** A document as read, with the version token a conditional write must match (`undefined` = absent). */
export interface Versioned<T> {
    readonly value: T | undefined;
    readonly version: string | undefined;
}

export interface ConditionalStore {
    readVersioned<T>(key: string): Promise<Versioned<T>>;
    /** Writes only if the stored version is still `version` (absent stays absent); false when someone else won. */
    writeIf(key: string, value: unknown, version: string | undefined): Promise<boolean>;
}

const MAX_ATTEMPTS = 20;
const MAX_PAUSE_MS = 2_000;

/**
 * The optimistic-concurrency loop shared by the stores: read with a version, apply, write if unchanged, otherwise
 * start over after a short randomised pause (so contending instances do not retry in lockstep).
 */
export async function conditionalUpdate<T>(
    store: ConditionalStore,
    key: string,
    change: (current: T | undefined) => T | typeof unchanged,
): Promise<T | undefined> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const { value, version } = await store.readVersioned<T>(key);
        const next = change(value);
        if (next === unchanged) return value;
        if (await store.writeIf(key, next, version)) return next;
        // Full jitter, exponential: contenders spread out instead of colliding again.
        const pause = Math.random() * Math.min(MAX_PAUSE_MS, 10 * 2 ** attempt);
        await new Promise((resolve) => setTimeout(resolve, pause));
    }
    throw new RotatorError(
        'upstream',
        ErrorCodes.conflict,
        `state document ${key} kept changing under ${MAX_ATTEMPTS} conditional writes`,
        { retryable: true },
    );
}
