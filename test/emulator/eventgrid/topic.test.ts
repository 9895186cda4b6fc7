import { beforeEach, describe, expect, it } from 'vitest';

import { type EmuResponse } from '../core/contract';
import { ADMIN, emuRequest, fakeContext, type FakeContext, type RequestOptions } from '../keyvault/testing';
import { createEventGridModule, type EventGridModule } from './index';
import { TOPIC_ID } from './topic';

const PATH = '/api/events?api-version=2018-01-01';

const eventGridEvent = (overrides: Record<string, unknown> = {}) => ({
    id: 'e1',
    subject: 'rotation/app-1',
    eventType: 'Contoso.Rotation.Completed',
    eventTime: '2026-01-01T00:00:00.000Z',
    data: { keyId: 'k1' },
    dataVersion: '1.0',
    ...overrides,
});

describe('Event Grid custom topic (module level)', () => {
    let eg: EventGridModule;
    let ctx: FakeContext;

    const publish = (body: unknown, options: RequestOptions = {}): Promise<EmuResponse> =>
        eg.handle(
            emuRequest('POST', PATH, {
                body: typeof body === 'string' ? body : JSON.stringify(body),
                headers: { 'content-type': 'application/json', 'aeg-sas-key': eg.topicKey, ...options.headers },
            }),
            ctx,
        );
    const events = async (query = '') =>
        (
            (await eg.control?.('/events', emuRequest('GET', `/_emulator/events${query}`), ctx))?.body as {
                value: { schema: string; event: Record<string, unknown> }[];
            }
        ).value;
    const errorCode = (response: EmuResponse) => (response.body as { error: { code: string } }).error.code;

    beforeEach(() => {
        eg = createEventGridModule();
        ctx = fakeContext();
        eg.reset(ctx);
    });

    it('generates a 32-byte base64 topic key per emulator', () => {
        expect(Buffer.from(eg.topicKey, 'base64')).toHaveLength(32);
        expect(createEventGridModule().topicKey).not.toBe(eg.topicKey);
        expect(eg.matches(emuRequest('POST', PATH))).toBe(true);
        expect(eg.matches(emuRequest('POST', '/secrets/x'))).toBe(false);
    });

    it('§5.4 EventGrid-schema batch with aeg-sas-key → 200 with an empty body; kept with topic stamped', async () => {
        const response = await publish([eventGridEvent(), eventGridEvent({ id: 'e2' })]);
        expect(response.status).toBe(200);
        expect(response.body).toBeUndefined();
        const kept = await events();
        expect(kept.map((k) => k.event.id)).toEqual(['e1', 'e2']);
        expect(kept[0]).toMatchObject({
            schema: 'EventGridSchema',
            event: { topic: TOPIC_ID, metadataVersion: '1', dataVersion: '1.0', data: { keyId: 'k1' } },
        });
    });

    it('§5.4 CloudEvents batch (application/cloudevents-batch+json; charset=utf-8) → 200', async () => {
        const cloudEvent = {
            id: 'c1',
            source: '/rotator',
            type: 'Contoso.Rotation.Completed',
            time: '2026-01-01T00:00:00.000Z',
            specversion: '1.0',
            datacontenttype: 'application/json',
            data: { a: 1 },
        };
        const response = await publish([cloudEvent], {
            headers: { 'content-type': 'application/cloudevents-batch+json; charset=utf-8' },
        });
        expect(response.status).toBe(200);
        expect(await events('?type=Contoso.Rotation.Completed')).toEqual([
            expect.objectContaining({ schema: 'CloudEventSchemaV1_0', event: cloudEvent }),
        ]);
        expect(await events('?type=Other')).toEqual([]);
    });

    it('§5.4 missing or wrong aeg-sas-key → 401 with the Event Grid error shape; nothing kept', async () => {
        const missing = await eg.handle(
            emuRequest('POST', PATH, { body: [eventGridEvent()], headers: { 'content-type': 'application/json' } }),
            ctx,
        );
        expect(missing.status).toBe(401);
        expect(errorCode(missing)).toBe('Unauthorized');
        expect((missing.body as { error: { message: string } }).error.message).toContain('aeg-sas-key');
        const wrong = await publish([eventGridEvent()], { headers: { 'aeg-sas-key': 'x'.repeat(44) } });
        expect(wrong.status).toBe(401);
        expect(await events()).toEqual([]);
    });

    it('bad input → 400 BadRequest with InputJsonInvalid details, and the batch is rejected whole', async () => {
        const cases: [unknown, Record<string, string>][] = [
            ['{not json', {}],
            [eventGridEvent(), {}], // an object, not an array
            [[eventGridEvent(), eventGridEvent({ subject: undefined })], {}],
            [[eventGridEvent({ eventTime: 'yesterday' })], {}],
            [[eventGridEvent({ topic: '/subscriptions/other/topics/x' })], {}],
            [
                [{ id: 'c', source: '/s', type: 't', specversion: '0.3' }],
                { 'content-type': 'application/cloudevents-batch+json' },
            ],
            [[eventGridEvent()], { 'content-type': 'text/plain' }],
        ];
        for (const [body, headers] of cases) {
            const response = await publish(body, { headers });
            expect(response.status, JSON.stringify(body)).toBe(400);
            expect(errorCode(response)).toBe('BadRequest');
            expect((response.body as { error: { details: { code: string }[] } }).error.details[0]?.code).toBe(
                'InputJsonInvalid',
            );
        }
        expect(await events()).toEqual([]);
    });

    it('missing api-version → 400, oversized batch → 413, GET → 405', async () => {
        const noVersion = await eg.handle(
            emuRequest('POST', '/api/events', {
                body: [eventGridEvent()],
                headers: { 'content-type': 'application/json', 'aeg-sas-key': eg.topicKey },
            }),
            ctx,
        );
        expect(noVersion.status).toBe(400);
        const big = await publish([eventGridEvent({ data: 'x'.repeat(1024 * 1024) })]);
        expect(big.status).toBe(413);
        expect((await eg.handle(emuRequest('GET', PATH), ctx)).status).toBe(405);
    });

    it('§5.4 Entra bearer (aud https://eventgrid.azure.net) needs EventGrid Data Sender; admin holds it after reset', async () => {
        const bearer = (oid: string, aud = 'https://eventgrid.azure.net') =>
            eg.handle(
                emuRequest('POST', PATH, {
                    body: JSON.stringify([eventGridEvent()]),
                    headers: {
                        'content-type': 'application/json',
                        authorization: `Bearer ${ctx.issueToken({ oid, aud })}`,
                    },
                }),
                ctx,
            );
        expect((await bearer(ADMIN.servicePrincipalId)).status).toBe(200);
        const other = 'e0e0e0e0-0000-4000-8000-0000000000e0';
        const denied = await bearer(other);
        expect(denied.status).toBe(401);
        expect(JSON.stringify(denied.body)).toContain('Microsoft.EventGrid/events/send/action');
        const assigned = await eg.control?.(
            '/roleAssignments',
            emuRequest('POST', '/x', { body: { principalId: other, role: 'EventGrid Data Sender' } }),
            ctx,
        );
        expect(assigned?.status).toBe(201);
        expect((await bearer(other)).status).toBe(200);
        expect((await bearer(other, 'https://vault.azure.net')).status).toBe(401);
        expect((await events()).length).toBe(2);
    });

    it('disableLocalAuth refuses aeg-sas-key (the product topic is Entra-only) while bearer tokens still work', async () => {
        await eg.control?.('/topic', emuRequest('POST', '/x', { body: { disableLocalAuth: true } }), ctx);
        const keyed = await publish([eventGridEvent()]);
        expect(keyed.status).toBe(401);
        expect(JSON.stringify(keyed.body)).toContain('Local authentication');
        const token = ctx.issueToken({ oid: ADMIN.servicePrincipalId, aud: 'https://eventgrid.azure.net' });
        const response = await eg.handle(
            emuRequest('POST', PATH, {
                body: JSON.stringify([eventGridEvent()]),
                headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            }),
            ctx,
        );
        expect(response.status).toBe(200);
        eg.reset(ctx);
        expect((await publish([eventGridEvent()])).status).toBe(200);
    });

    it('reset clears kept events but keeps the key; snapshot/restore keeps both', async () => {
        await publish([eventGridEvent()]);
        const snapshot = JSON.parse(JSON.stringify(eg.snapshot()));
        const copy = createEventGridModule();
        copy.restore(snapshot, ctx);
        expect(copy.topicKey).toBe(eg.topicKey);
        const kept = (await copy.control?.('/events', emuRequest('GET', '/_emulator/events'), ctx))?.body as {
            value: unknown[];
        };
        expect(kept.value).toHaveLength(1);
        const key = eg.topicKey;
        eg.reset(ctx);
        expect(eg.topicKey).toBe(key);
        expect(await events()).toEqual([]);
    });
});
