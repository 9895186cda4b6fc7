import { ClientSecretCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';

import { type AppConfig } from '../config';

/**
 * The rotator's own identity: a managed identity in Azure, a client secret against the local emulator.
 * Against a non-Microsoft authority host, instance discovery must be off (it is hard-wired to
 * login.microsoftonline.com).
 */
export function createRotatorCredential(config: AppConfig): TokenCredential {
    if (config.identity.mode === 'client-secret') {
        return new ClientSecretCredential(
            config.tenantId,
            config.identity.clientId,
            config.identity.clientSecret.reveal(),
            {
                authorityHost: config.authorityHost,
                disableInstanceDiscovery: config.localEndpoints,
            },
        );
    }
    return config.identity.clientId
        ? new ManagedIdentityCredential({ clientId: config.identity.clientId })
        : new ManagedIdentityCredential();
}
