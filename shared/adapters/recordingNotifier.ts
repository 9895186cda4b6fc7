import { type LifecycleEvent, type NotifierPort } from '../rotation/ports';
import { type StateStorePort, unchanged } from '../scan/ports';

export const NOTIFICATIONS_KEY = 'notifications/recent';
export const MAX_RECORDED_NOTIFICATIONS = 200;

/** The app's own record of what it published, newest last. Event data holds references only, never secret text. */
export interface RecordedNotifications {
    readonly updatedAt: string;
    readonly events: readonly LifecycleEvent[];
}

/**
 * Publishes through the real notifier, then keeps the last events in the state store so the dashboard can show a
 * feed (nothing can read an Event Grid topic back). Event Grid stays the source of truth: the record is best
 * effort, so a failed write never fails the notify activity (a retry would publish the events again).
 */
export class RecordingNotifier implements NotifierPort {
    // Read-modify-write of one document: serialise the appends of this process (activities run concurrently).
    #queue: Promise<void> = Promise.resolve();

    constructor(
        private readonly inner: NotifierPort,
        private readonly state: StateStorePort,
        private readonly options: {
            readonly limit?: number;
            readonly now?: () => Date;
            readonly onRecordError?: (error: unknown) => void;
        } = {},
    ) {}

    async publish(events: readonly LifecycleEvent[]): Promise<void> {
        await this.inner.publish(events);
        if (events.length === 0) return;
        const append = this.#queue.then(() => this.append(events));
        this.#queue = append.catch(() => undefined);
        try {
            await append;
        } catch (error) {
            this.options.onRecordError?.(error);
        }
    }

    private async append(events: readonly LifecycleEvent[]): Promise<void> {
        const limit = this.options.limit ?? MAX_RECORDED_NOTIFICATIONS;
        // Conditional: another instance appending at the same time is merged in, not overwritten.
        await this.state.update<RecordedNotifications>(NOTIFICATIONS_KEY, (record) => {
            const current = record?.events ?? [];
            // Ids are deterministic, so a retried activity re-publishes the same ids: keep one copy of each.
            const seen = new Set(current.map((e) => e.id));
            const fresh = events.filter((e) => !seen.has(e.id) && (seen.add(e.id), true));
            if (fresh.length === 0) return unchanged;
            const now = this.options.now?.() ?? new Date();
            return { updatedAt: now.toISOString(), events: [...current, ...fresh].slice(-limit) };
        });
    }
}
