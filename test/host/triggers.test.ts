import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { ManualClock } from './src/clock/clock';
import { startHost } from './src/startHost';
import { postJson, startFixtureHost, until, withCode, type FixtureHost } from './helpers';

let f: FixtureHost;

beforeAll(async () => {
    f = await startFixtureHost();
});

afterAll(async () => {
    await f.dispose();
});

describe('registration capture', () => {
    it('records every registration through the @azure/functions-core shim', () => {
        const byName = Object.fromEntries(f.host.registry.list().map((fn) => [fn.name, fn]));
        expect(byName.hello?.trigger.type).toBe('httpTrigger');
        expect(byName.tick?.trigger.type).toBe('timerTrigger');
        expect(byName.onEvent?.trigger.type).toBe('eventGridTrigger');
        expect(byName.sequence?.trigger.type).toBe('orchestrationTrigger');
        expect(byName.Say?.trigger.type).toBe('activityTrigger');
        // df.app.client.* adds a durableClient input binding (auto-named by the library).
        const clientBindings = Object.values(byName.startOrchestration?.metadata.bindings ?? {});
        expect(clientBindings.some((b) => b.type === 'durableClient' && b.direction === 'in')).toBe(true);
        expect(f.host.registry.get('SAY')?.name).toBe('Say');
    });

    it('runs appStart hooks once after loading', () => {
        expect(f.records('appStart')).toEqual([{ kind: 'appStart', startedBy: 'fixture' }]);
    });

    it('loads a compiled JavaScript app through a package.json main glob', async () => {
        const js = await startHost({
            appRoot: path.join(__dirname, 'fixtures', 'js-app'),
            port: 0,
            timerTriggers: false,
        });
        try {
            expect(
                js.registry
                    .list()
                    .map((fn) => fn.name)
                    .sort(),
            ).toEqual(['jsDouble', 'jsGreet', 'jsTimesTwo']);
            const res = await fetch(`${js.baseUrl}/api/js/greet/Lin`);
            expect(await res.json()).toEqual({ hello: 'Lin' });
            await js.runtime.startNew('jsDouble', 'js-1', '21');
            const done = await js.waitForStatus('js-1', ['Completed']);
            expect(done.output).toBe('42');
        } finally {
            await js.close();
        }
    });
});

describe('HTTP triggers', () => {
    it('routes /api/<route> with params, constraints and query through a real HttpRequest', async () => {
        const res = await fetch(`${f.host.baseUrl}/api/hello/Ada/2?q=x`);
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({ greeting: 'Hello AdaHello Ada', q: 'x' });
        expect((await fetch(`${f.host.baseUrl}/api/hello/Ada/two`)).status).toBe(404);
        expect((await fetch(`${f.host.baseUrl}/api/hello/Ada`, { method: 'POST' })).status).toBe(405);
    });

    it('enforces authLevel function with the configured keys', async () => {
        expect((await fetch(`${f.host.baseUrl}/api/secure`, { method: 'POST', body: 'x' })).status).toBe(401);
        const wrong = await fetch(`${f.host.baseUrl}/api/secure?code=nope`, { method: 'POST', body: 'x' });
        expect(wrong.status).toBe(401);
        const byQuery = await fetch(`${f.host.baseUrl}/api/secure?code=fixture-function-key`, {
            method: 'POST',
            body: 'a',
        });
        expect(byQuery.status).toBe(201);
        expect(await byQuery.text()).toBe('got a');
        const byHeader = await fetch(`${f.host.baseUrl}/api/secure`, {
            method: 'POST',
            body: 'b',
            headers: { 'x-functions-key': 'fixture-master-key' },
        });
        expect(byHeader.status).toBe(201);
    });

    it('runs invocation hooks and lets a log hook rewrite user logs', async () => {
        await fetch(`${f.host.baseUrl}/api/hello/Hook`);
        expect(f.records('preInvocation').some((r) => r.functionName === 'hello')).toBe(true);
        expect(f.records('postInvocation').length).toBeGreaterThan(0);
        const messages = f.host.logs.map((l) => l.message).join('\n');
        expect(messages).toContain('greeting Hook secret=[REDACTED]');
        expect(messages).not.toContain('hunter2');
    });
});

describe('timer triggers', () => {
    it('runs on startup, follows the %SETTING% NCRONTAB schedule on the host clock, and fires via admin', async () => {
        const clock = f.host.clock as ManualClock;
        await until(() => f.records('tick').length === 1);
        clock.advance(4 * 60_000); // 00:04 — the next occurrence is 00:05:00
        await new Promise((r) => setTimeout(r, 50));
        expect(f.records('tick')).toHaveLength(1);
        clock.advance(60_000);
        await until(() => f.records('tick').length === 2);
        expect(f.records('tick')[1]?.isPastDue).toBe(false);
        clock.advance(16 * 60_000); // skips 00:10 and 00:15: one past-due invocation
        await until(() => f.records('tick').length === 3);
        expect(f.records('tick')[2]?.isPastDue).toBe(true);

        expect((await postJson(`${f.host.baseUrl}/admin/functions/tick`, {})).status).toBe(401);
        const fired = await postJson(`${f.host.baseUrl}/admin/functions/tick?code=fixture-master-key`, {});
        expect(fired.status).toBe(202);
        await until(() => f.records('tick').length === 4);
    });
});

describe('Event Grid webhook', () => {
    const url = (name: string): string =>
        withCode(
            `${f.host.baseUrl}/runtime/webhooks/EventGrid?functionName=${name}`,
            f.host.keys.systemKeys.eventgrid_extension,
        );

    it('answers SubscriptionValidation with the validation code', async () => {
        const res = await postJson(
            url('onEvent'),
            [
                {
                    id: 'v1',
                    eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
                    data: { validationCode: 'abc-123' },
                },
            ],
            { 'aeg-event-type': 'SubscriptionValidation' },
        );
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({ validationResponse: 'abc-123' });
    });

    it('invokes the function once per Event Grid schema event', async () => {
        const events = ['e1', 'e2'].map((id) => ({
            id,
            topic: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv',
            subject: 'secret',
            eventType: 'Microsoft.KeyVault.SecretNearExpiry',
            eventTime: START_ISO,
            data: { ObjectName: id },
            dataVersion: '1',
            metadataVersion: '1',
        }));
        const res = await postJson(url('onEvent'), events, { 'aeg-event-type': 'Notification' });
        expect(res.status).toBe(202);
        const seen = f.records('eventGrid').map((r) => r.id);
        expect(seen).toEqual(expect.arrayContaining(['e1', 'e2']));
        expect(f.records('eventGrid').find((r) => r.id === 'e1')?.data).toEqual({ ObjectName: 'e1' });
    });

    it('accepts a CloudEvents event and the CloudEvents validation handshake', async () => {
        const options = await fetch(url('onEvent'), {
            method: 'OPTIONS',
            headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' },
        });
        expect(options.status).toBe(200);
        expect(options.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');
        const cloudEvent = {
            specversion: '1.0',
            id: 'ce1',
            type: 'Custom.Thing',
            source: '/x',
            time: START_ISO,
            data: { a: 1 },
        };
        const res = await postJson(url('onEvent'), cloudEvent, {
            'aeg-event-type': 'Notification',
            'Content-Type': 'application/cloudevents+json',
        });
        expect(res.status).toBe(202);
        expect(f.records('eventGrid').some((r) => r.id === 'ce1')).toBe(true);
    });

    it('rejects unknown functions and missing event-type headers', async () => {
        expect((await postJson(url('nope'), [], { 'aeg-event-type': 'Notification' })).status).toBe(404);
        expect((await postJson(url('onEvent'), [])).status).toBe(400);
    });

    it('gives Event Grid functions a working durable client', async () => {
        const res = await postJson(
            url('startFromEvent'),
            [{ id: 'k1', subject: 'Reykjavik', eventType: 'x', data: {} }],
            {
                'aeg-event-type': 'Notification',
            },
        );
        expect(res.status).toBe(202);
        const done = await f.host.waitForStatus('eg-k1', ['Completed']);
        expect(JSON.parse(done.output ?? 'null')).toEqual(['Hello Reykjavik']);
    });
});

const START_ISO = '2026-03-01T00:00:00Z';
