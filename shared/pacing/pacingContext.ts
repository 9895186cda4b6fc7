import { AsyncLocalStorage } from 'node:async_hooks';

import { type Priority, type QuotaName } from './quotaBudget';

/**
 * Who is calling, for the quota budgets: the orchestration step (so a reservation is found again when the step
 * comes back after its durable timer) and its priority. Set by the activity wrapper around each activity.
 */
export interface PacingContext {
    readonly key?: string;
    readonly priority: Priority;
    /** Turns the activity already took before starting its work; the first call on that quota uses it. */
    readonly prepaid?: Set<QuotaName>;
}

const storage = new AsyncLocalStorage<PacingContext>();

export function runWithPacing<T>(context: PacingContext, fn: () => T): T {
    return storage.run(context, fn);
}

export function currentPacing(): PacingContext {
    return storage.getStore() ?? { priority: 'normal' };
}
