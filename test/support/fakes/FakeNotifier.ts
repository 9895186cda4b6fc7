import { type LifecycleEvent, type NotifierPort } from '../../../shared/rotation/ports';
import { FailureSwitch, settle } from './failures';

/** Collects published events; `failures.failNext('publish', …)` models a dead topic. */
export class FakeNotifier implements NotifierPort {
    readonly events: LifecycleEvent[] = [];
    readonly failures = new FailureSwitch<'publish'>();

    publish(events: readonly LifecycleEvent[]): Promise<void> {
        return settle(() => {
            this.failures.check('publish');
            this.events.push(...events.map((e) => structuredClone(e)));
        });
    }

    types(): string[] {
        return this.events.map((e) => e.type);
    }
}
