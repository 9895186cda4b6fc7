import { type EmuRequest, type EmuResponse, type EmulatorContext, type ServiceModule } from '../core/contract';

/** Where Key Vault system-topic events go (the Event Grid module). */
export interface SystemEventSink {
    publishSystemEvent(event: object): void;
}

export function createKeyVaultModule(_events: SystemEventSink): ServiceModule {
    return {
        name: 'keyVault',
        matches: (request: EmuRequest) => /^\/(secrets|deletedsecrets)(\/|$)/.test(request.path),
        handle: (_request: EmuRequest, _context: EmulatorContext): Promise<EmuResponse> =>
            Promise.resolve({ status: 501 }),
        stateView: () => ({}),
        snapshot: () => ({}),
        restore: () => undefined,
        reset: () => undefined,
    };
}
