import { type TokenCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';

import { isPendingSecretName, ManagedTags } from '../rotation/markers';
import { type ManagedSecretIndexPort, type ManagedSecretRef } from '../scan/ports';
import { fromUpstreamError, statusOf } from './upstreamError';

/** Finds managed secrets by their tags. Listing returns properties only: no secret value is read here. */
export class KeyVaultManagedIndex implements ManagedSecretIndexPort {
    readonly #clients = new Map<string, SecretClient>();

    constructor(
        private readonly credential: TokenCredential,
        private readonly localEndpoints: boolean,
    ) {}

    async listManaged(vaultUrls: readonly string[]): Promise<ManagedSecretRef[]> {
        const refs: ManagedSecretRef[] = [];
        for (const vaultUrl of vaultUrls) {
            try {
                for await (const p of this.client(vaultUrl).listPropertiesOfSecrets()) {
                    const appId = p.tags?.[ManagedTags.appId];
                    const keyId = p.tags?.[ManagedTags.keyId];
                    if (!appId || !keyId || isPendingSecretName(p.name)) continue;
                    refs.push({
                        vaultUrl,
                        secretName: p.name,
                        version: p.version ?? '',
                        enabled: p.enabled !== false,
                        appId,
                        keyId,
                    });
                }
            } catch (error) {
                throw fromUpstreamError('keyVault', 'list secrets', error);
            }
        }
        return refs;
    }

    async current(vaultUrl: string, secretName: string): ReturnType<ManagedSecretIndexPort['current']> {
        try {
            const { properties: p } = await this.client(vaultUrl).getSecret(secretName);
            const appId = p.tags?.[ManagedTags.appId];
            const keyId = p.tags?.[ManagedTags.keyId];
            const version = p.version ?? '';
            const enabled = p.enabled !== false;
            // A rotation's stash carries the same tags but is never a managed secret (as in listManaged).
            if (!appId || !keyId || isPendingSecretName(secretName)) return { unmanaged: true, version, enabled };
            return { vaultUrl, secretName, version, enabled, appId, keyId };
        } catch (error) {
            if (statusOf(error) === 404) return undefined;
            // A disabled current version answers 403 SecretDisabled: report it as such, not as an outage.
            if (statusOf(error) === 403 && /disabled/i.test(error instanceof Error ? error.message : '')) {
                return { unmanaged: true, version: '', enabled: false };
            }
            throw fromUpstreamError('keyVault', 'get secret', error);
        }
    }

    private client(vaultUrl: string): SecretClient {
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
