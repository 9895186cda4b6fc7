import { ErrorCodes } from '../../../shared/errors/errorCodes';
import { RotatorError } from '../../../shared/errors/RotatorError';

/**
 * One-shot failure switches shared by the fakes: `failNext('addPassword', error)` makes the next call to that
 * method throw `error`; later calls behave normally again.
 */
export class FailureSwitch<M extends string> {
    readonly #pending = new Map<M, Error[]>();

    failNext(method: M, error: Error, times = 1): void {
        const queue = this.#pending.get(method) ?? [];
        for (let i = 0; i < times; i++) queue.push(error);
        this.#pending.set(method, queue);
    }

    /** Throws the queued error for `method`, if any. */
    check(method: M): void {
        const error = this.#pending.get(method)?.shift();
        if (error) throw error;
    }

    pending(method: M): number {
        return this.#pending.get(method)?.length ?? 0;
    }
}

/** What a Graph or Key Vault adapter throws for a 503 (retryable upstream failure). */
export function unavailable(what = 'service unavailable'): RotatorError {
    return new RotatorError('upstream', ErrorCodes.unavailable, what, { retryable: true, status: 503 });
}

/** What the Graph adapter throws when the tenant's app-management policy rejects a lifetime (400). */
export function lifetimePolicyViolation(maxDays: number): RotatorError {
    return new RotatorError(
        'policy',
        ErrorCodes.lifetimePolicyViolation,
        `credential lifetime exceeds the tenant policy maximum of ${maxDays} days`,
        { status: 400 },
    );
}

export function forbidden(what = 'the rotator may not change this application'): RotatorError {
    return new RotatorError('upstream', ErrorCodes.forbidden, what, { status: 403 });
}

/** Runs `fn` as an async call would: a throw becomes a rejection. */
export function settle<T>(fn: () => T): Promise<T> {
    try {
        return Promise.resolve(fn());
    } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
}
