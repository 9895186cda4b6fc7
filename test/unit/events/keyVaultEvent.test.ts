import { describe, expect, it } from 'vitest';

import { handleKeyVaultEvent, type KeyVaultEventDeps, NEAR_EXPIRY } from '../../../shared/events/keyVaultEvent';
import { createPolicy } from '../../../shared/domain/policy';
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
                    tags: { appId: 'a', keyId: 'k' },
                }),
            listManaged: () => Promise.resolve([]),
            listSecrets: () => Promise.resolve([]),
        },
        bindings: {
            find: () =>
                Promise.resolve({
                    vaultUrl: VAULT,
                    secretName: 'app-secret',
                    appId: 'a',
                    keyId: 'k',
                    enrolledAt: '2026-01-01T00:00:00.000Z',
                    enrolledBy: { kind: 'operator', objectId: null, appId: null, name: null },
                    reason: 'test',
                    updatedAt: '2026-01-01T00:00:00.000Z',
                    lastRotationId: null,
                }),
        },
        notifier: { publish: () => Promise.resolve() },
        state,
        start: async (r) => {
            await start(r);
            return { id: 'rotate@x', alreadyRunning: false };
        },
        paused: false,
        log: silentLogger,
        policy: createPolicy(),
        now: () => Promise.resolve(new Date('2026-06-01T00:00:00Z')),
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

describe('Key Vault NearExpiry and rotate-before-days', () => {
    const NOW = new Date('2026-06-01T00:00:00Z');
    const withSecret = (daysLeft: number, tags?: Record<string, string>): KeyVaultEventDeps => {
        const base = instance(new MemoryStateStore(), () => Promise.resolve());
        return {
            ...base,
            index: {
                ...base.index,
                current: () =>
                    Promise.resolve({
                        vaultUrl: VAULT,
                        secretName: 'app-secret',
                        version: 'v1',
                        enabled: true,
                        tags: { appId: 'a', keyId: 'k' },
                        expiresOn: new Date(NOW.getTime() + daysLeft * 86_400_000).toISOString(),
                        ...(tags ? { policyTags: tags } : {}),
                    }),
            },
        };
    };

    it('an event 30 days out starts the rotation under the default window', async () => {
        expect((await handleKeyVaultEvent(withSecret(29.5), event)).action).toBe('started');
    });

    it("a secret that rotates 10 days before expiry is not due at Key Vault's 30-day event", async () => {
        const outcome = await handleKeyVaultEvent(withSecret(29.5, { 'rotate-before-days': '10' }), event);
        expect(outcome).toMatchObject({
            action: 'ignored',
            reason: expect.stringContaining('not due: 29 day(s) left'),
        });
    });

    it('an event for a secret far from expiry (250 days) starts nothing', async () => {
        expect((await handleKeyVaultEvent(withSecret(250), event)).action).toBe('ignored');
    });

    it('SecretExpired always acts', async () => {
        const expired = { ...event, id: 'evt-x', eventType: 'Microsoft.KeyVault.SecretExpired' };
        expect((await handleKeyVaultEvent(withSecret(-1, { 'rotate-before-days': '10' }), expired)).action).toBe(
            'started',
        );
    });
});
