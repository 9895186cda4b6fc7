import { type EventGridEvent, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { type DurableClient } from 'durable-functions';

import { getServices } from '../shared/composition';
import { handleKeyVaultEvent } from '../shared/events/keyVaultEvent';
import { invocationLogger } from '../shared/logging/logger';
import { startRotation } from '../shared/rotation/starter';

/** Key Vault system-topic events (SecretNearExpiry / SecretExpired) for managed secrets. */
export async function onKeyVaultEvent(
    event: EventGridEvent,
    client: DurableClient,
    context: InvocationContext,
): Promise<void> {
    const services = await getServices();
    await handleKeyVaultEvent(
        {
            allowedTopics: services.config.keyVault.eventTopics,
            vaultUrls: services.config.keyVault.vaultUrls,
            index: services.managedIndex,
            state: services.state,
            bindings: services.bindings,
            notifier: services.rotation.notifier,
            start: (request) => startRotation({ client, state: services.state }, request),
            paused: services.config.paused,
            log: invocationLogger(context),
            policy: services.config.policy,
            now: () => services.clock.now(),
        },
        event,
    );
}

df.app.client.eventGrid('onKeyVaultEvent', { handler: onKeyVaultEvent });
