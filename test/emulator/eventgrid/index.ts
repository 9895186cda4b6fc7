import { type EmuRequest, type EmuResponse, type EmulatorContext, type ServiceModule } from '../core/contract';

/** The Event Grid service: a custom topic endpoint plus the Key Vault system topic's webhook deliveries. */
export interface EventGridModule extends ServiceModule {
    /** The custom topic's `aeg-sas-key` (for the ready line's `eventGrid.topicKey`). */
    readonly topicKey: string;
    /** An event of the Key Vault system topic (EventGrid schema), delivered to matching subscriptions. */
    publishSystemEvent(event: object): void;
    /** Deliver every notification twice (at-least-once delivery made visible). */
    setDuplicateDelivery(enabled: boolean): void;
}

export function createEventGridModule(): EventGridModule {
    return {
        name: 'eventGrid',
        topicKey: '',
        matches: (request: EmuRequest) => request.path === '/api/events',
        handle: (_request: EmuRequest, _context: EmulatorContext): Promise<EmuResponse> =>
            Promise.resolve({ status: 501 }),
        stateView: () => ({}),
        snapshot: () => ({}),
        restore: () => undefined,
        reset: () => undefined,
        publishSystemEvent: () => undefined,
        setDuplicateDelivery: () => undefined,
    };
}
