import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { vaultResourceId } from '../emulator/keyvault/vault';
import { eventually, postToWebhook, rotations, settle, subscribeKeyVaultEvents } from './support/triggers';
import { type RotationView, World } from './support/world';
import { NO_EVIDENCE_SOURCE } from '../sandbox/seedTenant';

const NEAR_EXPIRY = 'Microsoft.KeyVault.SecretNearExpiry';

interface SystemEvent {
    id: string;
    topic: string;
    subject: string;
    eventType: string;
    data: { ObjectName: string; Version: string };
}

interface Delivery {
    eventId: string;
    eventType: string;
    status?: number;
    outcome: string;
    copy: number;
}

/**
 * Key Vault events end to end: the emulator's vault raises SecretNearExpiry on its (virtual) clock and its Event
 * Grid system topic pushes it to the host's Event Grid webhook, which runs `onKeyVaultEvent` with a durable client.
 */
describe('Key Vault events through the local host against the tenant emulator', () => {
    let world: World;
    let topic: string;

    beforeAll(async () => {
        world = await World.start({
            apps: [
                { displayName: 'near', expiresInDays: 20, secretName: 'near-secret', tags: NO_EVIDENCE_SOURCE },
                { displayName: 'dup', expiresInDays: 20, secretName: 'dup-secret', tags: NO_EVIDENCE_SOURCE },
                { displayName: 'victim', expiresInDays: 20, secretName: 'victim-secret', tags: NO_EVIDENCE_SOURCE },
                { displayName: 'far', expiresInDays: 60, secretName: 'far-secret', tags: NO_EVIDENCE_SOURCE },
                { displayName: 'stale', expiresInDays: 90, secretName: 'stale-secret', tags: NO_EVIDENCE_SOURCE },
                { displayName: 'plain', expiresInDays: 10 },
                { displayName: 'late', expiresInDays: 100, secretName: 'late-secret', tags: NO_EVIDENCE_SOURCE },
            ],
            // Frozen until the Event Grid subscription exists: the vault raises NearExpiry for the secrets inside the
            // 30-day window at the first clock move, and an event raised before the subscription is never delivered
            // (in Azure the subscription is deployed before any secret nears expiry). Started in the second test.
            clockRate: 0,
        });
        topic = vaultResourceId(world.emu.descriptor.baseUrl);
        // A secret inside the 30-day window without the managed tags: its NearExpiry must be acknowledged only.
        const token = await world.emu.adminToken('https://vault.azure.net/.default');
        await world.emu.expectOk(
            world.emu.call(
                'PUT',
                '/secrets/plain-secret?api-version=7.5',
                { value: 'not-a-managed-value', attributes: { exp: Math.floor(Date.now() / 1000) + 10 * 86_400 } },
                { authorization: `Bearer ${token}` },
            ),
            'storing plain-secret',
        );
    }, 180_000);

    afterAll(async () => {
        await world?.close();
    });

    const rotationsOf = async (secretName: string) =>
        (await rotations(world)).filter((r) => r.secretName === secretName);

    async function currentVersion(name: string): Promise<string> {
        const live = await world.secretValue(name);
        if (!live) throw new Error(`no secret ${name}`);
        return live.version;
    }

    function nearExpiryEvent(secretName: string, version: string, eventTopic: string): SystemEvent & object {
        return {
            id: randomUUID(),
            topic: eventTopic,
            subject: secretName,
            eventType: NEAR_EXPIRY,
            eventTime: new Date().toISOString(),
            dataVersion: '1',
            metadataVersion: '1',
            data: {
                Id: `${world.emu.descriptor.vaultUrl}/secrets/${secretName}/${version}`,
                VaultName: 'localhost',
                ObjectType: 'Secret',
                ObjectName: secretName,
                Version: version,
                NBF: null,
                EXP: Math.floor(Date.now() / 1000) + 20 * 86_400,
            },
        } as SystemEvent & object;
    }

    it('an event from a topic that is not on the allow-list is rejected and starts nothing', async () => {
        const version = await currentVersion('victim-secret');
        const foreignTopic = topic.replace(/\/vaults\/[^/]+$/, '/vaults/someone-elses-vault');
        expect(foreignTopic).not.toBe(topic);
        const foreign = nearExpiryEvent('victim-secret', version, foreignTopic);
        expect(await postToWebhook(world, [foreign])).toBe(202);
        await settle(1_500);
        expect(await rotationsOf('victim-secret')).toEqual([]);
        expect(await world.passwords(world.app('victim').appId)).toHaveLength(1);
        expect(readFileSync(world.host.logFile, 'utf8')).toMatch(/Rejected event from a topic that is not allowed/);

        // Control: the very same event (same id) from the vault's own topic does start the rotation.
        expect(await postToWebhook(world, [{ ...foreign, topic }])).toBe(202);
        const started = await eventually(async () => {
            const r = await rotationsOf('victim-secret');
            return r.length > 0 ? r : undefined;
        }, 'the control rotation');
        expect(started.map((r) => r.trigger)).toEqual(['keyVaultEvent']);
    });

    it('SecretNearExpiry raised by the vault and delivered by Event Grid rotates the managed secret', async () => {
        await subscribeKeyVaultEvents(world);
        // Every notification from here on is delivered twice (at-least-once made visible).
        await world.emu.expectOk(world.emu.call('POST', '/_emulator/faults', { duplicateEventDelivery: true }), 'dup');
        const oldVersion = await currentVersion('near-secret');
        // Secrets inside the 30-day window raise NearExpiry at the next clock move.
        await world.emu.advanceClock(60);
        // From here time flows, as in Azure (propagation delays are waited out on durable timers).
        world.startClock();

        const [started] = await eventually(async () => {
            const r = await rotationsOf('near-secret');
            return r.length > 0 ? r : undefined;
        }, 'a rotation of near-secret');
        expect(started?.trigger).toBe('keyVaultEvent');
        const view = await eventually(async () => {
            const v = await world.rotation(started!.id);
            return v.steps.some((s) => s.name === 'grace' && s.state === 'waiting') ? v : undefined;
        }, 'near-secret to be published');
        const live = await world.secretValue('near-secret');
        expect(live?.version).not.toBe(oldVersion);
        expect(live?.tags['entra-key-id']).toBe(view.newKeyId);
        expect(live?.value).not.toBe(world.app('near').clientSecret);
        const keys = (await world.passwords(world.app('near').appId)).map((p) => p.keyId);
        expect(keys.sort()).toEqual([world.app('near').keyId, view.newKeyId].sort());
    });

    it('the same event delivered five times (two by Event Grid, three re-posted) rotates once', async () => {
        // The vault raises NearExpiry when the clock passes exp - 30 d; wait for it rather than assume it already ran.
        const event = await eventually(async () => {
            const systemEvents = (
                await world.emu.call<{ value: SystemEvent[] }>(
                    'GET',
                    `/_emulator/eventGrid/systemEvents?type=${NEAR_EXPIRY}`,
                )
            ).body.value;
            return systemEvents.find((e) => e.data.ObjectName === 'dup-secret');
        }, 'the NearExpiry event of dup-secret');
        const deliveriesOf = async () =>
            (await world.emu.call<{ value: Delivery[] }>('GET', '/_emulator/eventGrid/deliveries')).body.value.filter(
                (d) => d.eventId === event.id && d.outcome === 'delivered',
            );
        const delivered = await eventually(async () => {
            const d = await deliveriesOf();
            return d.length >= 2 ? d : undefined;
        }, 'both copies to be delivered');
        expect(delivered.map((d) => d.copy).sort()).toEqual([1, 2]);

        const first = await eventually(async () => {
            const r = await rotationsOf('dup-secret');
            return r.length > 0 ? r : undefined;
        }, 'the rotation of dup-secret');
        // Three more deliveries of the same event, two of them at once.
        const statuses = await Promise.all([postToWebhook(world, [event]), postToWebhook(world, [event])]);
        statuses.push(await postToWebhook(world, [event]));
        expect(statuses).toEqual([202, 202, 202]);
        await settle(2_000);

        const after = await rotationsOf('dup-secret');
        expect(after.map((r) => r.id)).toEqual(first.map((r) => r.id));
        expect(after).toHaveLength(1);
        const view: RotationView = await eventually(async () => {
            const v = await world.rotation(after[0]!.id);
            return v.newKeyId ? v : undefined;
        }, 'the new key of dup-secret');
        // Exactly one new credential was added to the application.
        const keys = (await world.passwords(world.app('dup').appId)).map((p) => p.keyId);
        expect(keys.sort()).toEqual([world.app('dup').keyId, view.newKeyId].sort());
        expect(readFileSync(world.host.logFile, 'utf8')).toMatch(/Duplicate event delivery ignored/);
    });

    it('unmanaged, stale-version, other-type and out-of-window secrets are acknowledged and left alone', async () => {
        // plain-secret (no tags) got a real NearExpiry and it was delivered: acknowledged, nothing started.
        const plainDelivered = await eventually(async () => {
            const events = (
                await world.emu.call<{ value: SystemEvent[] }>(
                    'GET',
                    `/_emulator/eventGrid/systemEvents?type=${NEAR_EXPIRY}`,
                )
            ).body.value;
            const plain = events.find((e) => e.data.ObjectName === 'plain-secret');
            if (!plain) return undefined;
            const d = (
                await world.emu.call<{ value: Delivery[] }>('GET', '/_emulator/eventGrid/deliveries')
            ).body.value.filter((x) => x.eventId === plain.id && x.outcome === 'delivered');
            return d.length > 0 ? d : undefined;
        }, 'the NearExpiry of plain-secret to be delivered');
        expect(plainDelivered.every((d) => d.status !== undefined && d.status < 300)).toBe(true);

        // stale-secret: an event about a version that is no longer current.
        const staleVersion = await currentVersion('stale-secret');
        const token = await world.emu.adminToken('https://vault.azure.net/.default');
        const stale = world.app('stale');
        await world.emu.expectOk(
            world.emu.call(
                'PUT',
                '/secrets/stale-secret?api-version=7.5',
                {
                    value: stale.clientSecret,
                    attributes: { exp: Math.floor(Date.parse(stale.endDateTime) / 1000) },
                    tags: { 'entra-app-id': stale.appId, 'entra-key-id': stale.keyId },
                },
                { authorization: `Bearer ${token}` },
            ),
            'a new version of stale-secret',
        );
        expect(await currentVersion('stale-secret')).not.toBe(staleVersion);
        expect(await postToWebhook(world, [nearExpiryEvent('stale-secret', staleVersion, topic)])).toBe(202);
        // Another event type about the current version of a managed secret.
        const other = nearExpiryEvent('far-secret', await currentVersion('far-secret'), topic);
        expect(
            await postToWebhook(world, [{ ...other, eventType: 'Microsoft.KeyVault.SecretNewVersionCreated' }]),
        ).toBe(202);
        await settle(1_500);

        const all = await rotations(world);
        for (const name of ['plain-secret', 'stale-secret', 'far-secret']) {
            expect(all.filter((r) => r.secretName === name)).toEqual([]);
        }
        expect(await world.passwords(stale.appId)).toHaveLength(1);
        expect(await world.passwords(world.app('far').appId)).toHaveLength(1);
        const log = readFileSync(world.host.logFile, 'utf8');
        expect(log).toMatch(/not acted on: secret is not enrolled/);
        expect(log).toMatch(/not acted on: event is about a version that is no longer current/);
        expect(log).toMatch(/not acted on: event type Microsoft\.KeyVault\.SecretNewVersionCreated/);
        // Only the three in-window managed secrets were rotated, once each.
        expect(all.map((r) => r.secretName).sort()).toEqual(['dup-secret', 'near-secret', 'victim-secret']);
    });

    it('a handler failure (Key Vault throttling) is answered 5xx, Event Grid retries, and the secret rotates once', async () => {
        const late = world.app('late');
        const token = await world.emu.adminToken('https://vault.azure.net/.default');
        // Move late-secret into the 30-day window with a new version (as a re-import would).
        await world.emu.expectOk(
            world.emu.call(
                'PUT',
                '/secrets/late-secret?api-version=7.5',
                {
                    value: late.clientSecret,
                    attributes: { exp: Math.floor((await world.emu.now()).getTime() / 1000) + 20 * 86_400 },
                    tags: { 'entra-app-id': late.appId, 'entra-key-id': late.keyId },
                },
                { authorization: `Bearer ${token}` },
            ),
            'a new version of late-secret',
        );
        // More 429s than the Key Vault SDK retries on one call: the first deliveries fail inside the handler.
        await world.emu.expectOk(
            world.emu.call('POST', '/_emulator/faults', {
                keyVault: { throttle: { count: 8, retryAfterSeconds: 1 } },
            }),
            'faults',
        );
        try {
            await world.emu.advanceClock(60);
            const [started] = await eventually(
                async () => {
                    const r = await rotationsOf('late-secret');
                    return r.length > 0 ? r : undefined;
                },
                'a rotation of late-secret',
                90_000,
            );
            expect(started?.trigger).toBe('keyVaultEvent');
        } finally {
            await world.emu.call('POST', '/_emulator/faults', { keyVault: { throttle: { count: 0 } } });
        }
        const event = (
            await world.emu.call<{ value: SystemEvent[] }>(
                'GET',
                `/_emulator/eventGrid/systemEvents?type=${NEAR_EXPIRY}`,
            )
        ).body.value.find((e) => e.data.ObjectName === 'late-secret');
        const attempts = (
            await world.emu.call<{ value: Delivery[] }>('GET', '/_emulator/eventGrid/deliveries')
        ).body.value.filter((d) => d.eventId === event?.id);
        // Some attempt failed with a 5xx and was retried (not dead-lettered), and some attempt got through.
        expect(attempts.some((a) => (a.status ?? 0) >= 500 && a.outcome === 'retrying')).toBe(true);
        expect(attempts.some((a) => a.outcome === 'delivered')).toBe(true);
        await settle(1_500);
        expect(await rotationsOf('late-secret')).toHaveLength(1);
    });
});
