import { type TokenCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';

/**
 * One SecretClient per vault, shared by the adapters (each client caches its token and challenge). Local
 * emulators answer the Key Vault challenge from a non-vault host, so that check is off only for them.
 */
export class SecretClients {
    readonly #clients = new Map<string, SecretClient>();

    constructor(
        private readonly credential: TokenCredential,
        private readonly localEndpoints: boolean,
    ) {}

    for(vaultUrl: string): SecretClient {
        let client = this.#clients.get(vaultUrl);
        if (!client) {
            client = new SecretClient(vaultUrl, this.credential, {
                disableChallengeResourceVerification: this.localEndpoints,
            });
            this.#clients.set(vaultUrl, client);
        }
        return client;
    }
}
