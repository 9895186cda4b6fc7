import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { type EmuResponse } from '../core/contract';
import { emuRequest, fakeContext, type FakeContext } from '../keyvault/testing';
import { type DeliveryAttempt } from './delivery';
import { createEventGridModule, type EventGridModule } from './index';
import { echoValidation, startReceiver, type Receiver } from './receiver';

const systemEvent = (id: string, eventType = 'Microsoft.KeyVault.SecretNearExpiry') => ({
    id,
    topic: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/localhost',
    subject: 'app-secret',
    eventType,
    eventTime: '2026-01-01T00:00:00.000Z',
    data: { ObjectName: 'app-secret', VaultName: 'localhost', ObjectType: 'Secret' },
    dataVersion: '1',
    metadataVersion: '1',
});

describe('Event Grid webhook delivery of Key Vault system events', () => {
    let eg: EventGridModule;
    let ctx: FakeContext;
    let receiver: Receiver;

    const subscribe = async (body: Record<string, unknown>): Promise<EmuResponse> =>
        (await eg.control?.(
            '/subscriptions',
            emuRequest('POST', '/_emulator/eventGrid/subscriptions', { body }),
            ctx,
        ))!;
    const deliveries = async (): Promise<DeliveryAttempt[]> =>
        (
            (await eg.control?.('/deliveries', emuRequest('GET', '/_emulator/eventGrid/deliveries'), ctx))?.body as {
                value: DeliveryAttempt[];
            }
        ).value;

    beforeEach(async () => {
        // 10 s of Event Grid's schedule becomes 10 ms; per-request deadline 2 s.
        eg = createEventGridModule({ retryTimeScale: 0.001, deliveryTimeoutMs: 2_000 });
        ctx = fakeContext();
        eg.reset(ctx);
        receiver = await startReceiver();
    });

    afterEach(async () => {
        eg.dispose();
        await receiver.close();
    });

    it('§5.3 registration performs the SubscriptionValidation handshake first', async () => {
        const response = await subscribe({ endpointUrl: receiver.url, name: 'kv-near-expiry' });
        expect(response.status).toBe(201);
        expect(response.body).toMatchObject({ provisioningState: 'Succeeded', name: 'kv-near-expiry' });
        expect(receiver.requests).toHaveLength(1);
        const [validation] = receiver.requests;
        expect(validation?.headers['aeg-event-type']).toBe('SubscriptionValidation');
        const [event] = validation?.body as [{ data: { validationCode: string; validationUrl: string } }];
        expect(event).toMatchObject({
            eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
            subject: '',
            dataVersion: '1',
            metadataVersion: '1',
            topic: expect.stringMatching(/providers\/Microsoft\.KeyVault\/vaults\/localhost$/),
        });
        expect(event.data.validationCode).toMatch(/^[0-9a-f-]{36}$/);
        expect(event.data.validationUrl).toContain('/_emulator/eventGrid/validate?');
    });

    it('§5.3 a failed handshake (non-200 or wrong code) rejects the subscription', async () => {
        receiver.respond = () => ({ status: 202 });
        const accepted = await subscribe({ endpointUrl: receiver.url });
        expect(accepted.status).toBe(400);
        expect(JSON.stringify(accepted.body)).toContain('Webhook validation handshake failed');
        receiver.respond = () => ({ status: 200, body: { validationResponse: 'wrong' } });
        expect((await subscribe({ endpointUrl: receiver.url })).status).toBe(400);
        const listed = await eg.control?.('/subscriptions', emuRequest('GET', '/x'), ctx);
        expect((listed?.body as { value: unknown[] }).value).toEqual([]);
    });

    it('§5.3 a 200 without validationResponse awaits manual validation through validationUrl', async () => {
        receiver.respond = () => ({ status: 200 });
        const created = await subscribe({ endpointUrl: receiver.url });
        expect(created.body).toMatchObject({ provisioningState: 'AwaitingManualAction' });
        eg.publishSystemEvent(systemEvent('before'));
        await eg.whenIdle();
        expect(receiver.notifications()).toHaveLength(0);

        const [validation] = receiver.requests;
        const url = new URL((validation?.body as [{ data: { validationUrl: string } }])[0].data.validationUrl);
        const validated = await eg.control?.('/validate', emuRequest('GET', `${url.pathname}${url.search}`), ctx);
        expect(validated?.status).toBe(200);
        eg.publishSystemEvent(systemEvent('after'));
        await eg.whenIdle();
        expect(receiver.notifications().map((n) => (n.body as [{ id: string }])[0].id)).toEqual(['after']);
    });

    it('§5.3 notifications are one-element arrays with aeg-event-type: Notification and delivery headers', async () => {
        await subscribe({ endpointUrl: receiver.url, name: 'kv-sub' });
        eg.publishSystemEvent(systemEvent('n1'));
        await eg.whenIdle();
        const [notification] = receiver.notifications();
        expect(notification?.body).toEqual([systemEvent('n1')]);
        expect(notification?.headers).toMatchObject({
            'content-type': 'application/json; charset=utf-8',
            'aeg-event-type': 'Notification',
            'aeg-subscription-name': 'KV-SUB',
            'aeg-delivery-count': '0',
            'aeg-data-version': '1',
            'aeg-metadata-version': '1',
        });
    });

    it('includedEventTypes filters what a subscription receives', async () => {
        await subscribe({ endpointUrl: receiver.url, includedEventTypes: ['Microsoft.KeyVault.SecretNearExpiry'] });
        eg.publishSystemEvent(systemEvent('skip', 'Microsoft.KeyVault.SecretNewVersionCreated'));
        eg.publishSystemEvent(systemEvent('take'));
        await eg.whenIdle();
        expect(receiver.notifications().map((n) => (n.body as [{ id: string }])[0].id)).toEqual(['take']);
    });

    it('§5.3 non-2xx is retried with backoff and a growing aeg-delivery-count until success', async () => {
        await subscribe({ endpointUrl: receiver.url });
        let failures = 2;
        receiver.respond = (request) => {
            if (request.headers['aeg-event-type'] !== 'Notification') return echoValidation(request);
            failures -= 1;
            return { status: failures >= 0 ? 500 : 200 };
        };
        const started = Date.now();
        eg.publishSystemEvent(systemEvent('r1'));
        await eg.whenIdle();
        const elapsed = Date.now() - started;
        expect(receiver.notifications().map((n) => n.headers['aeg-delivery-count'])).toEqual(['0', '1', '2']);
        expect((await deliveries()).map((d) => [d.attempt, d.status, d.outcome])).toEqual([
            [1, 500, 'retrying'],
            [2, 500, 'retrying'],
            [3, 200, 'delivered'],
        ]);
        // The schedule's 10 s and 30 s scaled by 0.001: at least 40 ms of backoff.
        expect(elapsed).toBeGreaterThanOrEqual(35);
    });

    it('§5.3 delivery gives up after maxDeliveryAttempts; 404 waits the longer per-status backoff', async () => {
        await subscribe({ endpointUrl: receiver.url, maxDeliveryAttempts: 2 });
        receiver.respond = (request) =>
            request.headers['aeg-event-type'] === 'Notification' ? { status: 404 } : echoValidation(request);
        const started = Date.now();
        eg.publishSystemEvent(systemEvent('f1'));
        await eg.whenIdle();
        expect(receiver.notifications()).toHaveLength(2);
        expect((await deliveries()).map((d) => d.outcome)).toEqual(['retrying', 'dropped']);
        // 404 → at least 5 min, scaled: 300 ms.
        expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    });

    it('§5.3 400/401/403/413 from a webhook are not retried; dead-lettered when configured, else dropped', async () => {
        await subscribe({ endpointUrl: receiver.url, name: 'dl-sub', deadLetter: true });
        const statuses = [400, 401, 403, 413];
        receiver.respond = (request) => {
            if (request.headers['aeg-event-type'] !== 'Notification') return echoValidation(request);
            return { status: statuses[receiver.notifications().length - 1] ?? 500 };
        };
        for (const [index] of statuses.entries()) eg.publishSystemEvent(systemEvent(`c${index}`));
        await eg.whenIdle();
        expect(receiver.notifications()).toHaveLength(4);
        const letters = (
            (await eg.control?.('/deadLetters', emuRequest('GET', '/x'), ctx))?.body as {
                value: Record<string, unknown>[];
            }
        ).value;
        expect(letters).toHaveLength(4);
        const byStatus = new Map(letters.map((l) => [l.lastHttpStatusCode, l]));
        expect(byStatus.get(400)).toMatchObject({
            deadLetterReason: 'UndeliverableDueToHttpBadRequest',
            deliveryAttempts: 1,
            lastDeliveryOutcome: 'BadRequest',
            subscriptionName: 'DL-SUB',
            eventType: 'Microsoft.KeyVault.SecretNearExpiry',
            publishTime: '2026-01-01T00:00:00.000Z',
        });
        expect(byStatus.get(401)).toMatchObject({ deliveryAttempts: 1, lastDeliveryOutcome: 'Unauthorized' });
    });

    it('§5.3 an AzureFunction endpoint retries 401 and dead-letters after maxDeliveryAttempts', async () => {
        await subscribe({
            endpointUrl: receiver.url,
            endpointType: 'AzureFunction',
            maxDeliveryAttempts: 3,
            deadLetter: true,
        });
        receiver.respond = () => ({ status: 401 });
        eg.publishSystemEvent(systemEvent('af1'));
        await eg.whenIdle();
        expect(receiver.notifications()).toHaveLength(3);
        const letters = (
            (await eg.control?.('/deadLetters', emuRequest('GET', '/x'), ctx))?.body as {
                value: Record<string, unknown>[];
            }
        ).value;
        expect(letters).toEqual([
            expect.objectContaining({
                id: 'af1',
                deadLetterReason: 'MaxDeliveryAttemptsExceeded',
                deliveryAttempts: 3,
                lastHttpStatusCode: 401,
            }),
        ]);
        expect((await deliveries()).map((d) => d.outcome)).toEqual(['retrying', 'retrying', 'deadLettered']);
    });

    it('duplicate delivery knob sends every notification twice (same event id)', async () => {
        await subscribe({ endpointUrl: receiver.url });
        eg.setDuplicateDelivery(true);
        eg.publishSystemEvent(systemEvent('d1'));
        await eg.whenIdle();
        expect(receiver.notifications().map((n) => (n.body as [{ id: string }])[0].id)).toEqual(['d1', 'd1']);
        eg.setDuplicateDelivery(false);
        eg.publishSystemEvent(systemEvent('d2'));
        await eg.whenIdle();
        expect(receiver.notifications()).toHaveLength(3);
    });

    it('AzureFunction endpoints skip the handshake; non-loopback or malformed endpoints are refused', async () => {
        const fn = await subscribe({ endpointUrl: receiver.url, endpointType: 'AzureFunction' });
        expect(fn.status).toBe(201);
        expect(receiver.requests).toHaveLength(0);
        for (const endpointUrl of ['https://example.com/hook', 'ftp://127.0.0.1/x', 'not a url', 42]) {
            expect((await subscribe({ endpointUrl })).status).toBe(400);
        }
        expect(receiver.requests).toHaveLength(0);
    });

    it('an unreachable endpoint is retried and recorded as failed, without throwing', async () => {
        await subscribe({ endpointUrl: receiver.url, maxDeliveryAttempts: 2, endpointType: 'AzureFunction' });
        await receiver.close();
        eg.publishSystemEvent(systemEvent('u1'));
        await eg.whenIdle();
        const log = await deliveries();
        expect(log.map((d) => d.outcome)).toEqual(['retrying', 'dropped']);
        expect(log[0]?.error).toBeTypeOf('string');
        receiver = await startReceiver(); // afterEach closes it
    });

    it('reset cancels pending retries and removes subscriptions', async () => {
        await subscribe({ endpointUrl: receiver.url, maxDeliveryAttempts: 30 });
        // 404 is retried, after at least 5 min (300 ms here): the reset lands inside that wait.
        receiver.respond = (request) =>
            request.headers['aeg-event-type'] === 'Notification' ? { status: 404 } : echoValidation(request);
        eg.publishSystemEvent(systemEvent('x1'));
        await new Promise((resolve) => setTimeout(resolve, 50));
        eg.reset(ctx);
        await eg.whenIdle();
        expect(receiver.notifications()).toHaveLength(1);
        eg.publishSystemEvent(systemEvent('x2'));
        await eg.whenIdle();
        expect(receiver.notifications()).toHaveLength(1);
    });
});
