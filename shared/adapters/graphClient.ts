import { type TokenCredential } from '@azure/identity';
import { Client } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';

/**
 * A graph-client bound to `baseUrl`. For a non-Graph host (the local emulator) the host must be listed in
 * `customHosts`, or graph-client silently sends requests without an Authorization header.
 */
export function createGraphClient(credential: TokenCredential, baseUrl: string): Client {
    const url = new URL(baseUrl);
    const isGraphHost = url.hostname === 'graph.microsoft.com';
    return Client.initWithMiddleware({
        authProvider: new TokenCredentialAuthenticationProvider(credential, {
            scopes: ['https://graph.microsoft.com/.default'],
        }),
        baseUrl: `${url.origin}/`,
        ...(isGraphHost ? {} : { customHosts: new Set([url.hostname]) }),
    });
}
