import { PolicyOverrideTags } from '../domain/policy';
import { isPendingSecretName, ManagedTags } from '../rotation/markers';
import { type ManagedSecretIndexPort, type ManagedSecretRef } from '../scan/ports';
import { type SecretClients } from './secretClients';
import { fromUpstreamError, statusOf } from './upstreamError';

/** Finds managed secrets by their tags. Listing returns properties only: no secret value is read here. */
export class KeyVaultManagedIndex implements ManagedSecretIndexPort {
    constructor(private readonly clients: SecretClients) {}

    async listManaged(vaultUrls: readonly string[]): Promise<ManagedSecretRef[]> {
        const refs: ManagedSecretRef[] = [];
        for (const vaultUrl of vaultUrls) {
            try {
                for await (const p of this.clients.for(vaultUrl).listPropertiesOfSecrets()) {
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
                        ...extras(p),
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
            const { properties: p } = await this.clients.for(vaultUrl).getSecret(secretName);
            const appId = p.tags?.[ManagedTags.appId];
            const keyId = p.tags?.[ManagedTags.keyId];
            const version = p.version ?? '';
            const enabled = p.enabled !== false;
            // A rotation's stash carries the same tags but is never a managed secret (as in listManaged).
            if (!appId || !keyId || isPendingSecretName(secretName)) return { unmanaged: true, version, enabled };
            return { vaultUrl, secretName, version, enabled, appId, keyId, ...extras(p) };
        } catch (error) {
            if (statusOf(error) === 404) return undefined;
            // A disabled current version answers 403 SecretDisabled: report it as such, not as an outage.
            if (statusOf(error) === 403 && /disabled/i.test(error instanceof Error ? error.message : '')) {
                return { unmanaged: true, version: '', enabled: false };
            }
            throw fromUpstreamError('keyVault', 'get secret', error);
        }
    }
}

/** Policy-override tags and the expiry: what decides when a rotation is due (scan and Key Vault events). */
function extras(p: {
    tags?: Record<string, string>;
    expiresOn?: Date;
}): Pick<ManagedSecretRef, 'policyTags' | 'expiresOn'> {
    const policyTags: Record<string, string> = {};
    for (const tag of Object.values(PolicyOverrideTags)) {
        const value = p.tags?.[tag];
        if (value !== undefined) policyTags[tag] = value;
    }
    return {
        ...(Object.keys(policyTags).length > 0 ? { policyTags } : {}),
        ...(p.expiresOn ? { expiresOn: p.expiresOn.toISOString() } : {}),
    };
}
