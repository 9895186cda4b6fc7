import { EventGridDeserializer, isSystemEvent } from '@azure/eventgrid';
import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type LiveEmulator, startLiveEmulator } from '../keyvault/liveEmulator';
import { startReceiver, type Receiver } from './receiver';

const DAY = 86_400;

/**
 * Scenario (issue "Done when"): a Key Vault secret's NearExpiry event reaches a webhook subscriber exactly
 * once per version as the emulator clock advances, and twice with the duplicate-delivery knob.
 */
describe('scenario: Key Vault SecretNearExpiry reaches a subscriber once per version', () => {
    let live: LiveEmulator;
    let receiver: Receiver;

    beforeAll(async () => {
        live = await startLiveEmulator();
        receiver = await startReceiver();
    });
    afterAll(async () => {
        await live?.close();
        await receiver?.close();
    });

    /**
     * One long-lived client, like the product's: after each multi-day clock jump its cached token is stale on the
     * emulator clock and the vault's CAE challenge makes it fetch a fresh one.
     */
    let client: SecretClient | undefined;
    const vault = (): SecretClient => {
        if (client !== undefined) return client;
        const { clientId, clientSecret } = live.emulator.principals.admin;
        const credential = new ClientSecretCredential(live.emulator.tenantId, clientId, clientSecret, {
            authorityHost: live.emulator.authorityHost,
            disableInstanceDiscovery: true,
            ...live.clientOptions,
        });
        client = new SecretClient(live.emulator.vaultUrl, credential, {
            disableChallengeResourceVerification: true,
            ...live.clientOptions,
        });
        return client;
    };
    const emulatorNow = async () => new Date((await live.control<{ now: string }>('/clock')).now);
    const advanceDays = (days: number) => live.control('/clock', { advanceSeconds: days * DAY });
    /** Waits until `count` notifications arrived, then a little longer to catch any extra copy. */
    async function settle(count: number): Promise<void> {
        const deadline = Date.now() + 10_000;
        while (receiver.notifications().length < count && Date.now() < deadline) {
            await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await new Promise((resolve) => setTimeout(resolve, 300));
    }

    async function versions(): Promise<string[]> {
        const deserializer = new EventGridDeserializer();
        const out: string[] = [];
        for (const notification of receiver.notifications()) {
            for (const event of await deserializer.deserializeEventGridEvents(JSON.stringify(notification.body))) {
                expect(event.eventType).toBe('Microsoft.KeyVault.SecretNearExpiry');
                expect(isSystemEvent('Microsoft.KeyVault.SecretNearExpiry', event)).toBe(true);
                // §5.2: data keeps Key Vault's PascalCase keys.
                out.push((event.data as { Version: string }).Version);
            }
        }
        return out;
    }

    async function newVersion(daysToExpiry: number): Promise<string> {
        const expiresOn = new Date((await emulatorNow()).getTime() + daysToExpiry * DAY * 1000);
        const secret = await vault().setSecret('rotating-secret', 'value', { expiresOn });
        return secret.properties.version!;
    }

    it('§5.1 30 days before exp, once per version; twice per version with duplicate delivery', async () => {
        const subscription = await live.control<{ provisioningState: string }>('/eventGrid/subscriptions', {
            endpointUrl: receiver.url,
            includedEventTypes: ['Microsoft.KeyVault.SecretNearExpiry'],
        });
        expect(subscription.provisioningState).toBe('Succeeded');

        const v1 = await newVersion(40);
        await advanceDays(9); // 31 days left
        await settle(0);
        expect(receiver.notifications()).toHaveLength(0);

        await advanceDays(2); // 29 days left
        await settle(1);
        expect(await versions()).toEqual([v1]);

        await advanceDays(1);
        await advanceDays(45); // past exp: SecretExpired is not subscribed, NearExpiry must not repeat
        await settle(1);
        expect(await versions()).toEqual([v1]);

        const v2 = await newVersion(40);
        await advanceDays(11);
        await settle(2);
        expect(await versions()).toEqual([v1, v2]);

        await live.control('/faults', { duplicateEventDelivery: true });
        const v3 = await newVersion(40);
        await advanceDays(11);
        await settle(4);
        expect(await versions()).toEqual([v1, v2, v3, v3]);
        const [third, fourth] = receiver.notifications().slice(2);
        expect((third?.body as [{ id: string }])[0].id).toBe((fourth?.body as [{ id: string }])[0].id);
    });
});
