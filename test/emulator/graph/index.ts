import { type EmuRequest, type EmuResponse, type ServiceModule } from '../core/contract';
import { type TenantRuntime } from '../entra/runtime';

export function createGraphModule(_runtime: TenantRuntime): ServiceModule {
    return {
        name: 'graph',
        matches: (request: EmuRequest) => /^\/(v1\.0|beta)(\/|$)/.test(request.path),
        handle: (): Promise<EmuResponse> => Promise.resolve({ status: 501 }),
        stateView: () => ({}),
        snapshot: () => ({}),
        restore: () => undefined,
        reset: () => undefined,
    };
}
