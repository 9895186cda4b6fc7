import { type KeyVaultSecret } from '@azure/keyvault-secrets';

import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { ErrorCodes } from '../errors/errorCodes';
import { RotatorError } from '../errors/RotatorError';
import { currentPacing } from '../pacing/pacingContext';
import { type QuotaBudget } from '../pacing/quotaBudget';
import { throttledError } from '../pacing/throttled';
import { Secret } from '../security/Secret';
import { type SecretStorePort, type SecretWrite, type StoredSecretProperties } from '../rotation/ports';
import { type SecretClients } from './secretClients';
import { fromUpstreamError, statusOf } from './upstreamError';

type SecretProps = KeyVaultSecret['properties'];

/** A purged name refuses writes for ~1–5 s (azure-sdk-for-net#26027); wait this long before giving up. */
const BEING_DELETED_WAIT_MS = 30_000;
const BEING_DELETED_MAX_PAUSE_MS = 4_000;

/**
 * Key Vault's 409 `ObjectIsBeingDeleted` ("Secret x is currently being deleted…"). The SDK's RestError keeps
 * the outer code (`Conflict`) and the message, not the `innererror`, so the message is all there is.
 */
function isBeingDeleted(error: unknown): boolean {
    return error instanceof Error && /currently being deleted/i.test(error.message);
}

/**
 * Key Vault secrets, one SecretClient per vault. Every read asks for the latest version: this adapter has no
 * way to pin one, which is the seed-000 lesson in code.
 */
export class KeyVaultSecrets implements SecretStorePort {
    constructor(
        private readonly clients: SecretClients,
        /** Paces secret writes per vault (300 per 10 s) across every rotation in this process. */
        private readonly budget?: QuotaBudget,
    ) {}

    /**
     * Waits for a turn on the vault's write quota, inside the call: a secret write often follows a Graph write
     * whose result exists only in memory (the stash after addPassword), so giving up here would waste that write.
     * Vault turns are short (300 writes per 10 s); only a 429 from the vault itself surfaces as throttled.
     */
    private async writeTurn(vaultUrl: string): Promise<void> {
        if (!this.budget) return;
        const { priority } = currentPacing();
        const key = `vaultWrite|${randomUUID()}`;
        for (;;) {
            const admission = this.budget.admit('vaultWrites', vaultUrl, key, priority);
            if (admission.admitted) {
                if (admission.waitMs > 0) await sleep(admission.waitMs);
                return;
            }
            await sleep(Math.min(admission.retryAfterMs, 10_000));
        }
    }

    private wireError(vaultUrl: string, operation: string, error: unknown): RotatorError {
        const mapped = fromUpstreamError('keyVault', operation, error);
        if (this.budget && statusOf(error) === 429) {
            const retryAfterMs = mapped.retryAfterSeconds === undefined ? undefined : mapped.retryAfterSeconds * 1000;
            const waitMs = this.budget.throttled('vaultWrites', vaultUrl, retryAfterMs);
            return throttledError(mapped.message, waitMs, error);
        }
        return mapped;
    }

    async getLatest(
        vaultUrl: string,
        name: string,
    ): Promise<{ properties: StoredSecretProperties; value: Secret } | undefined> {
        try {
            const secret = await this.clients.for(vaultUrl).getSecret(name);
            if (secret.value === undefined || secret.value === '') return undefined;
            return { properties: toProperties(secret.properties), value: new Secret(secret.value) };
        } catch (error) {
            if (statusOf(error) === 404) return undefined;
            throw fromUpstreamError('keyVault', 'get secret', error);
        }
    }

    async getLatestProperties(vaultUrl: string, name: string): Promise<StoredSecretProperties | undefined> {
        return (await this.getLatest(vaultUrl, name))?.properties;
    }

    async getDeletedProperties(vaultUrl: string, name: string): Promise<StoredSecretProperties | undefined> {
        try {
            // Only the properties leave this method: the deleted bundle also carries the value.
            return toProperties((await this.clients.for(vaultUrl).getDeletedSecret(name)).properties);
        } catch (error) {
            if (statusOf(error) === 404) return undefined;
            throw fromUpstreamError('keyVault', 'get deleted secret', error);
        }
    }

    async setSecret(
        vaultUrl: string,
        name: string,
        value: Secret,
        write: SecretWrite,
    ): Promise<StoredSecretProperties> {
        const client = this.clients.for(vaultUrl);
        const options = {
            tags: { ...write.tags },
            contentType: write.contentType,
            ...(write.expiresOn ? { expiresOn: new Date(write.expiresOn) } : {}),
        };
        await this.writeTurn(vaultUrl);
        const set = async (): Promise<StoredSecretProperties> =>
            toProperties((await client.setSecret(name, value.reveal(), options)).properties);
        const deadline = Date.now() + BEING_DELETED_WAIT_MS;
        for (let attempt = 0; ; attempt++) {
            let conflict: unknown;
            try {
                return await set();
            } catch (error) {
                if (statusOf(error) !== 409) throw this.wireError(vaultUrl, 'set secret', error);
                conflict = error;
            }
            // Two different 409s (the SDK keeps only the outer code `Conflict`, so the message tells them apart):
            // ObjectIsDeletedButRecoverable: the name is soft-deleted and could not be purged (purge protection,
            // as in the deployed vault): recover it, then write. ObjectIsBeingDeleted: a delete or purge of the
            // name is still being processed (seconds): wait and write again; recovering it would answer 404.
            if (!isBeingDeleted(conflict)) {
                if (write.recoverOnlyIf) {
                    // Recovering would bring back whatever was deleted under this name: look before touching it.
                    const deleted = await this.getDeletedProperties(vaultUrl, name);
                    if (deleted && !write.recoverOnlyIf(deleted.tags)) {
                        throw new RotatorError(
                            'policy',
                            ErrorCodes.conflict,
                            `a deleted secret ${name} in ${vaultUrl} that this rotator did not create holds the name; it was neither recovered nor overwritten`,
                            { retryable: false, status: 409 },
                        );
                    }
                }
                try {
                    await (await client.beginRecoverDeletedSecret(name, { intervalInMs: 250 })).pollUntilDone();
                    return await set();
                } catch (error) {
                    // 404: nothing to recover, the name is being purged; anything else is a real failure.
                    if (statusOf(error) !== 404 && statusOf(error) !== 409)
                        throw fromUpstreamError('keyVault', 'set secret', error);
                }
            }
            if (Date.now() >= deadline) {
                throw new RotatorError(
                    'upstream',
                    ErrorCodes.conflict,
                    `keyVault set secret failed (HTTP 409, ObjectIsBeingDeleted): the name is still being deleted or purged; retry later`,
                    { retryable: true, status: 409 },
                );
            }
            await sleep(Math.min(BEING_DELETED_MAX_PAUSE_MS, 500 * 2 ** attempt));
        }
    }

    async deleteSecret(vaultUrl: string, name: string): Promise<void> {
        const client = this.clients.for(vaultUrl);
        try {
            const poller = await client.beginDeleteSecret(name, { intervalInMs: 250 });
            await poller.pollUntilDone();
        } catch (error) {
            if (statusOf(error) !== 404) throw fromUpstreamError('keyVault', 'delete secret', error);
        }
        try {
            // Purge so a later rotation can reuse the stash name; vaults with purge protection refuse, which is fine.
            await client.purgeDeletedSecret(name);
        } catch (error) {
            const status = statusOf(error);
            if (status !== 404 && status !== 403 && status !== 409)
                throw fromUpstreamError('keyVault', 'purge secret', error);
        }
    }
}

function toProperties(p: SecretProps): StoredSecretProperties {
    return {
        name: p.name,
        version: p.version ?? '',
        enabled: p.enabled !== false,
        tags: { ...(p.tags ?? {}) },
        contentType: p.contentType,
        expiresOn: p.expiresOn?.toISOString(),
    };
}
