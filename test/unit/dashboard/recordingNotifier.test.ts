import { describe, expect, it } from 'vitest';

import {
    NOTIFICATIONS_KEY,
    type RecordedNotifications,
    RecordingNotifier,
} from '../../../shared/adapters/recordingNotifier';
import { type LifecycleEvent, type NotifierPort } from '../../../shared/rotation/ports';
import { MemoryStateStore as MemoryState } from '../../support/fakes/MemoryStateStore';

class FakeNotifier implements NotifierPort {
    readonly published: LifecycleEvent[] = [];
    fail = false;
    publish(events: readonly LifecycleEvent[]): Promise<void> {
        if (this.fail) return Promise.reject(new Error('event grid down'));
        this.published.push(...events);
        return Promise.resolve();
    }
}

const event = (n: number, secretName = 'a-secret'): LifecycleEvent => ({
    id: `evt-${n}`,
    type: 'Rotation.Started',
    subject: `/vaults/v/secrets/${secretName}`,
    time: new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString(),
    data: { secretName, step: 'create' },
});

async function recorded(state: MemoryState): Promise<RecordedNotifications | undefined> {
    return state.read<RecordedNotifications>(NOTIFICATIONS_KEY);
}

describe('RecordingNotifier', () => {
    it('publishes through the inner notifier, then records the events in order', async () => {
        const inner = new FakeNotifier();
        const state = new MemoryState();
        const notifier = new RecordingNotifier(inner, state, { now: () => new Date('2026-01-02T00:00:00Z') });
        await notifier.publish([event(1), event(2)]);
        await notifier.publish([event(3)]);
        expect(inner.published.map((e) => e.id)).toEqual(['evt-1', 'evt-2', 'evt-3']);
        const doc = await recorded(state);
        expect(doc?.events.map((e) => e.id)).toEqual(['evt-1', 'evt-2', 'evt-3']);
        expect(doc?.updatedAt).toBe('2026-01-02T00:00:00.000Z');
    });

    it('keeps only the newest `limit` events and one copy of a re-published id', async () => {
        const state = new MemoryState();
        const notifier = new RecordingNotifier(new FakeNotifier(), state, { limit: 3 });
        await notifier.publish([event(1), event(2)]);
        await notifier.publish([event(2), event(3), event(4)]);
        await notifier.publish([event(4)]);
        expect((await recorded(state))?.events.map((e) => e.id)).toEqual(['evt-2', 'evt-3', 'evt-4']);
    });

    it('concurrent publishes do not lose each other (appends are serialised)', async () => {
        const state = new MemoryState();
        const notifier = new RecordingNotifier(new FakeNotifier(), state);
        await Promise.all(Array.from({ length: 20 }, (_, i) => notifier.publish([event(i)])));
        expect((await recorded(state))?.events).toHaveLength(20);
    });

    it('two app instances recording at once do not lose each other (conditional writes)', async () => {
        const state = new MemoryState();
        const a = new RecordingNotifier(new FakeNotifier(), state);
        const b = new RecordingNotifier(new FakeNotifier(), state);
        await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).publish([event(i)])));
        expect((await recorded(state))?.events).toHaveLength(10);
        expect(state.conflicts).toBeGreaterThan(0);
    });

    it('records nothing when publishing fails, and the failure propagates', async () => {
        const inner = new FakeNotifier();
        inner.fail = true;
        const state = new MemoryState();
        await expect(new RecordingNotifier(inner, state).publish([event(1)])).rejects.toThrow('event grid down');
        expect(await recorded(state)).toBeUndefined();
    });

    it('a failed record never fails the publish; it is reported, and later appends still work', async () => {
        const state = new MemoryState();
        const errors: unknown[] = [];
        const notifier = new RecordingNotifier(new FakeNotifier(), state, { onRecordError: (e) => errors.push(e) });
        state.failWrites = true;
        await expect(notifier.publish([event(1)])).resolves.toBeUndefined();
        expect(errors).toHaveLength(1);
        state.failWrites = false;
        await notifier.publish([event(2)]);
        expect((await recorded(state))?.events.map((e) => e.id)).toEqual(['evt-2']);
    });

    it('an empty batch writes nothing', async () => {
        const state = new MemoryState();
        await new RecordingNotifier(new FakeNotifier(), state).publish([]);
        expect(state.docs.size).toBe(0);
    });
});
