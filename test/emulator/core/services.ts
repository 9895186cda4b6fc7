import { createResourceManagerModule } from '../arm';
import { createEntraModule } from '../entra';
import { type TenantRuntime } from '../entra/runtime';
import { createEventGridModule, type EventGridModule } from '../eventgrid';
import { createGraphModule } from '../graph';
import { createKeyVaultModule } from '../keyvault';
import { type ServiceModule } from './contract';
import { type FaultPlan } from './faults';

export interface Services {
    /** In routing order: the first module whose `matches` accepts a request handles it. */
    readonly modules: readonly ServiceModule[];
    readonly eventGrid: EventGridModule;
}

/** The one place the services are wired together (Key Vault publishes system events into Event Grid). */
export function createServices(runtime: TenantRuntime, faults: FaultPlan): Services {
    const eventGrid = createEventGridModule();
    const keyVault = createKeyVaultModule(eventGrid);
    // App Service resolves Key Vault references against the emulator's one vault.
    const resourceManager = createResourceManagerModule(() => keyVault.lookup(runtime.origin), faults);
    return {
        modules: [createEntraModule(runtime), createGraphModule(runtime, faults), keyVault, eventGrid, resourceManager],
        eventGrid,
    };
}
