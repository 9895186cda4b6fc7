import { describe, expect, it } from 'vitest';

import { handleKeyVaultEvent, type KeyVaultEventDeps, NEAR_EXPIRY } from '../../../shared/events/keyVaultEvent';
import { silentLogger } from '../../../shared/logging/logger';
import { type StartRequest } from '../../../shared/rotation/starter';
import { MemoryStateStore } from '../../support/fakes/MemoryStateStore';

const TOPIC = '/subscriptions/s/resourceGroups/r/providers/Microsoft.KeyVault/vaults/v';
const VAULT = 'https://v.vault.azure.net';

const event = {
    id: 'evt-1',
    topic: TOPIC,
    eventType: NEAR_EXPIRY,
    data: { Id: `${VAULT}/secrets/app-secret/v1`, ObjectName: 'app-secret', Version: 'v1' },
};

/** One app instance: its own start function over the shared store (two instances share the blob container). */
function instance(state: MemoryStateStore, start: (r: StartRequest) => Promise<void>): KeyVaultEventDeps {
    return {
        allowedTopics: [TOPIC],
        vaultUrls: [VAULT],
        index: {
            current: () =>
                Promise.resolve({
                    vaultUrl: VAULT,
                    secretName: 'app-secret',
                    version: 'v1',
                    enabled: true,
                    appId: 'a',
                    keyId: 'k',
                    expiresOn: null,
                } as never),
            listManaged: () => Promise.resolve([]),
        },
        state,
        start: async (r) => {
            await start(r);
            return { id: 'rotate@x', alreadyRunning: false };
        },
        paused: false,
        log: silentLogger,
    };
}

describe('Key Vault event de-duplication across instances', () => {
    it('the same event delivered to two instances at once acts exactly once', async () => {
        const state = new MemoryStateStore();
        let starts = 0;
        const count = (): Promise<void> => {
            starts += 1;
            return Promise.resolve();
        };
        const outcomes = await Promise.all(
            [instance(state, count), instance(state, count)].map((deps) => handleKeyVaultEvent(deps, event)),
        );
        expect(starts).toBe(1);
        expect(outcomes.map((o) => o.action).sort()).toEqual(['duplicate', 'started']);
    });

    it('a failed start releases the claim, so the redelivery acts', async () => {
        const state = new MemoryStateStore();
        const failing = instance(state, () => Promise.reject(new Error('host busy')));
        await expect(handleKeyVaultEvent(failing, event)).rejects.toThrow('host busy');
        let started = false;
        const ok = instance(state, () => {
            started = true;
            return Promise.resolve();
        });
        expect((await handleKeyVaultEvent(ok, event)).action).toBe('started');
        expect(started).toBe(true);
    });
});
