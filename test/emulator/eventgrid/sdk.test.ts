import {
    AzureKeyCredential,
    AzureSASCredential,
    EventGridPublisherClient,
    generateSharedAccessSignature,
} from '@azure/eventgrid';
import { ClientSecretCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type LiveEmulator, startLiveEmulator } from '../keyvault/liveEmulator';
import { TOPIC_ID } from './topic';

interface Kept {
    value: { schema: string; event: Record<string, unknown> }[];
}

/** Conformance: the real EventGridPublisherClient against the running emulator's custom topic (§5.4). */
describe('Event Grid custom topic with the real EventGridPublisherClient', () => {
    let live: LiveEmulator;

    beforeAll(async () => {
        live = await startLiveEmulator();
    });
    afterAll(async () => {
        await live?.close();
    });

    const client = <T extends 'EventGrid' | 'CloudEvent'>(schema: T, key = live.emulator.eventGrid.topicKey) =>
        new EventGridPublisherClient(live.emulator.eventGrid.topicEndpoint, schema, new AzureKeyCredential(key), {
            retryOptions: { maxRetries: 0 },
            ...live.clientOptions,
        });

    it('§5.4 the ready descriptor names the topic endpoint and a key', () => {
        expect(live.emulator.eventGrid.topicEndpoint).toBe(`${live.emulator.baseUrl}/api/events`);
        expect(Buffer.from(live.emulator.eventGrid.topicKey, 'base64')).toHaveLength(32);
    });

    it('§5.4 EventGrid schema with AzureKeyCredential (aeg-sas-key) is accepted and kept for /_emulator/events', async () => {
        await client('EventGrid').send([
            {
                eventType: 'Contoso.Rotation.Completed',
                subject: 'apps/app-1',
                dataVersion: '1.0',
                data: { keyId: 'k-1', fingerprint: 'abcdef012345' },
            },
        ]);
        const kept = await live.control<Kept>('/events?type=Contoso.Rotation.Completed');
        expect(kept.value).toHaveLength(1);
        expect(kept.value[0]).toMatchObject({
            schema: 'EventGridSchema',
            event: {
                topic: TOPIC_ID,
                subject: 'apps/app-1',
                data: { keyId: 'k-1', fingerprint: 'abcdef012345' },
                id: expect.any(String),
                eventTime: expect.any(String),
            },
        });
    });

    it('§5.4 CloudEvent schema (cloudevents-batch+json) is accepted', async () => {
        await client('CloudEvent').send([
            { type: 'Contoso.Rotation.Failed', source: '/rotator', data: { reason: 'upstream' } },
        ]);
        const kept = await live.control<Kept>('/events?type=Contoso.Rotation.Failed');
        expect(kept.value).toEqual([
            expect.objectContaining({
                schema: 'CloudEventSchemaV1_0',
                event: expect.objectContaining({
                    specversion: '1.0',
                    source: '/rotator',
                    data: { reason: 'upstream' },
                }),
            }),
        ]);
    });

    it('§5.4 a wrong key is refused with 401 (RestError) and nothing is kept', async () => {
        const before = (await live.control<Kept>('/events')).value.length;
        await expect(
            client('EventGrid', Buffer.alloc(32, 1).toString('base64')).send([
                { eventType: 'X', subject: 's', dataVersion: '1', data: {} },
            ]),
        ).rejects.toMatchObject({ statusCode: 401 });
        expect((await live.control<Kept>('/events')).value).toHaveLength(before);
    });

    it('§5.4 AzureSASCredential (aeg-sas-token) signed with the topic key works until it expires on the emulator clock', async () => {
        const { topicEndpoint, topicKey } = live.emulator.eventGrid;
        const now = new Date((await live.control<{ now: string }>('/clock')).now);
        const sasClient = async (expiresOn: Date, key = topicKey) =>
            new EventGridPublisherClient(
                topicEndpoint,
                'EventGrid',
                new AzureSASCredential(
                    await generateSharedAccessSignature(topicEndpoint, new AzureKeyCredential(key), expiresOn),
                ),
                { retryOptions: { maxRetries: 0 }, ...live.clientOptions },
            );
        const event = { eventType: 'Contoso.Sas', subject: 's', dataVersion: '1', data: {} };
        await (await sasClient(new Date(now.getTime() + 3_600_000))).send([event]);
        expect((await live.control<Kept>('/events?type=Contoso.Sas')).value).toHaveLength(1);
        await expect((await sasClient(new Date(now.getTime() - 60_000))).send([event])).rejects.toMatchObject({
            statusCode: 401,
        });
        const otherKey = Buffer.alloc(32, 7).toString('base64');
        await expect(
            (await sasClient(new Date(now.getTime() + 3_600_000), otherKey)).send([event]),
        ).rejects.toMatchObject({ statusCode: 401 });
        expect((await live.control<Kept>('/events?type=Contoso.Sas')).value).toHaveLength(1);
    });

    it('§5.4 a TokenCredential (Entra, EventGrid Data Sender) publishes, also with local auth disabled', async () => {
        const { clientId, clientSecret } = live.emulator.principals.admin;
        const credential = new ClientSecretCredential(live.emulator.tenantId, clientId, clientSecret, {
            authorityHost: live.emulator.authorityHost,
            disableInstanceDiscovery: true,
            ...live.clientOptions,
        });
        await live.control('/eventGrid/topic', { disableLocalAuth: true });
        try {
            const entra = new EventGridPublisherClient(live.emulator.eventGrid.topicEndpoint, 'EventGrid', credential, {
                retryOptions: { maxRetries: 0 },
                ...live.clientOptions,
            });
            await entra.send([{ eventType: 'Contoso.Entra', subject: 's', dataVersion: '1', data: {} }]);
            expect((await live.control<Kept>('/events?type=Contoso.Entra')).value).toHaveLength(1);
            // Two emulator-days later the cached token is stale there; the CAE challenge gets the client a new one.
            await live.control('/clock', { advanceSeconds: 2 * 86_400 });
            await entra.send([{ eventType: 'Contoso.Entra', subject: 's2', dataVersion: '1', data: {} }]);
            expect((await live.control<Kept>('/events?type=Contoso.Entra')).value).toHaveLength(2);
            await expect(
                client('EventGrid').send([{ eventType: 'Contoso.Entra', subject: 's', dataVersion: '1', data: {} }]),
            ).rejects.toMatchObject({ statusCode: 401 });
        } finally {
            await live.control('/eventGrid/topic', { disableLocalAuth: false });
        }
    });

    it('raw: malformed JSON gets a 400 in the Event Grid error shape, and the server keeps serving', async () => {
        const response = await live.raw('POST', '/api/events?api-version=2018-01-01', {
            headers: { 'content-type': 'application/json', 'aeg-sas-key': live.emulator.eventGrid.topicKey },
            body: '[{"id":',
        });
        expect(response.status).toBe(400);
        expect(response.json).toMatchObject({ error: { code: 'BadRequest', details: [{ code: 'InputJsonInvalid' }] } });
        const again = await live.raw('GET', '/_emulator/events');
        expect(again.status).toBe(200);
    });
});
