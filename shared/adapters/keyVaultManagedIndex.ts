import { type SecretProperties } from '@azure/keyvault-secrets';

import { PolicyOverrideTags } from '../domain/policy';
import { isPendingSecretName, ManagedTags } from '../rotation/markers';
import { type ManagedSecretIndexPort, type ManagedSecretRef, type SecretState } from '../scan/ports';
import { type SecretClients } from './secretClients';
import { fromUpstreamError, statusOf } from './upstreamError';

/** Lists secrets and their tags. Listing returns properties only: no secret value is read here. */
export class KeyVaultManagedIndex implements ManagedSecretIndexPort {
    constructor(private readonly clients: SecretClients) {}

    async listManaged(vaultUrls: readonly string[]): Promise<ManagedSecretRef[]> {
        const refs: ManagedSecretRef[] = [];
        for (const s of await this.listSecrets(vaultUrls)) {
            if (!s.tags.appId || !s.tags.keyId) continue;
            const { tags, ...rest } = s;
            refs.push({ ...rest, appId: tags.appId!, keyId: tags.keyId! });
        }
        return refs;
    }

    async listSecrets(vaultUrls: readonly string[]): Promise<SecretState[]> {
        const states: SecretState[] = [];
        for (const vaultUrl of vaultUrls) {
            try {
                for await (const p of this.clients.for(vaultUrl).listPropertiesOfSecrets()) {
                    if (isPendingSecretName(p.name)) continue;
                    states.push(stateOf(vaultUrl, p.name, p));
                }
            } catch (error) {
                throw fromUpstreamError('keyVault', 'list secrets', error);
            }
        }
        return states;
    }

    async current(vaultUrl: string, secretName: string): Promise<SecretState | undefined> {
        // A rotation's stash is never a managed secret (as in listSecrets).
        if (isPendingSecretName(secretName)) return undefined;
        try {
            const { properties: p } = await this.clients.for(vaultUrl).getSecret(secretName);
            return stateOf(vaultUrl, secretName, p);
        } catch (error) {
            if (statusOf(error) === 404) return undefined;
            // A disabled current version answers 403 SecretDisabled: report it as such, not as an outage.
            if (statusOf(error) === 403 && /disabled/i.test(error instanceof Error ? error.message : '')) {
                return { vaultUrl, secretName, version: '', enabled: false, tags: {} };
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

function stateOf(vaultUrl: string, secretName: string, p: SecretProperties): SecretState {
    const appId = p.tags?.[ManagedTags.appId];
    const keyId = p.tags?.[ManagedTags.keyId];
    return {
        vaultUrl,
        secretName,
        version: p.version ?? '',
        enabled: p.enabled !== false,
        tags: { ...(appId ? { appId } : {}), ...(keyId ? { keyId } : {}) },
        ...extras(p),
    };
}
