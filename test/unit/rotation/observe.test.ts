import { describe, expect, it } from 'vitest';

import { checkUsage, deleteOldCredential, notify, refreshConsumer } from '../../../shared/rotation/activities/observe';
import { type RefreshInput } from '../../../shared/rotation/contracts';
import { refreshFailed } from '../../support/fakes/FakeRefresher';
import { APP_ID, APP_OBJECT_ID, createWorld, ROTATION_ID, SECRET_NAME, VAULT_URL } from '../../support/fakes/world';

describe('deleteOldCredential', () => {
    it('removes the old credential once and reports notFound on a re-run', async () => {
        const world = createWorld();
        const input = { appObjectId: APP_OBJECT_ID, keyId: world.oldKeyId };
        expect(await deleteOldCredential(world.deps, input)).toEqual({ result: 'removed' });
        expect(world.directory.credentialsOf(APP_ID)).toEqual([]);
        expect(await deleteOldCredential(world.deps, input)).toEqual({ result: 'notFound' });
    });

    it('removes only the named credential', async () => {
        const world = createWorld({ otherCredentials: 2 });
        await deleteOldCredential(world.deps, { appObjectId: APP_OBJECT_ID, keyId: world.oldKeyId });
        expect(world.directory.credentialsOf(APP_ID).map((c) => c.displayName)).toEqual(['manual-0', 'manual-1']);
    });
});

describe('checkUsage', () => {
    it('counts successful sign-ins per key, each from its own since, in one read', async () => {
        const world = createWorld({ start: '2026-03-10T00:00:00.000Z' });
        world.signIns.record(APP_ID, world.oldKeyId, '2026-03-08T10:00:00.000Z');
        world.signIns.record(APP_ID, world.oldKeyId, '2026-03-09T10:00:00.000Z');
        world.signIns.record(APP_ID, world.oldKeyId, '2026-03-09T10:30:00.000Z', { success: false });
        world.signIns.record(APP_ID, 'new-key', '2026-03-08T12:00:00.000Z');
        world.signIns.record(APP_ID, 'other-key', '2026-03-09T11:00:00.000Z');

        const usage = await checkUsage(world.deps, {
            appId: APP_ID,
            keys: [
                { keyId: world.oldKeyId, since: '2026-03-09T00:00:00.000Z' },
                { keyId: 'new-key', since: '2026-03-08T00:00:00.000Z' },
            ],
        });
        expect(usage).toEqual({
            complete: true,
            keys: [
                {
                    keyId: world.oldKeyId,
                    count: 1,
                    first: '2026-03-09T10:00:00.000Z',
                    last: '2026-03-09T10:00:00.000Z',
                },
                { keyId: 'new-key', count: 1, first: '2026-03-08T12:00:00.000Z', last: '2026-03-08T12:00:00.000Z' },
            ],
            own: [],
            pages: 1,
        });
        expect(world.signIns.queries).toHaveLength(1);
    });

    it("reports the rotator's own sign-ins apart and never counts them as use", async () => {
        const world = createWorld({ start: '2026-03-10T00:00:00.000Z' });
        const mine = '6f1c0b7e-1234-4abc-8def-0123456789ab';
        world.signIns.record(APP_ID, 'new-key', '2026-03-09T12:00:00.000Z', { correlationId: mine });
        const usage = await checkUsage(world.deps, {
            appId: APP_ID,
            keys: [{ keyId: 'new-key', since: '2026-03-08T00:00:00.000Z' }],
            ownCorrelationIds: [mine],
        });
        expect(usage).toMatchObject({
            complete: true,
            keys: [{ keyId: 'new-key', count: 0 }],
            own: [{ correlationId: mine, keyId: 'new-key', at: '2026-03-09T12:00:00.000Z' }],
        });
    });

    it('a failed or throttled read is "not complete", never zero sign-ins', async () => {
        const world = createWorld();
        world.signIns.failNext(new Error('throttled: graph read sign-in logs (HTTP 429)'));
        const usage = await checkUsage(world.deps, {
            appId: APP_ID,
            keys: [{ keyId: world.oldKeyId, since: '2026-01-01T00:00:00Z' }],
        });
        expect(usage).toEqual({ complete: false, reason: 'throttled: graph read sign-in logs (HTTP 429)' });
    });
});

describe('refreshConsumer', () => {
    const API_CONSUMER = { name: 'api', type: 'webhook', url: 'https://api.example/refresh' };

    const request: RefreshInput = {
        consumerName: 'api',
        vaultUrl: VAULT_URL,
        secretName: SECRET_NAME,
        secretVersion: '0123456789abcdef',
        fingerprint: '0123456789ab',
        rotationId: ROTATION_ID,
        requestedAt: '2026-03-01T09:00:00.000Z',
    };

    it('passes the reference-only request to the consumer, with defaults applied', async () => {
        const world = createWorld({ consumers: [API_CONSUMER] });
        const outcome = await refreshConsumer(world.deps, request);
        expect(outcome.ok).toBe(true);
        expect(world.refresher.calls).toEqual([
            {
                consumer: 'api',
                request: {
                    vaultUrl: VAULT_URL,
                    secretName: SECRET_NAME,
                    secretVersion: '0123456789abcdef',
                    fingerprint: '0123456789ab',
                    rotationId: ROTATION_ID,
                    requestedAt: '2026-03-01T09:00:00.000Z',
                },
            },
        ]);
    });

    it('returns a consumer failure as a value', async () => {
        const world = createWorld({ consumers: [API_CONSUMER] });
        world.refresher.script('api', [refreshFailed('HTTP 500', true)]);
        expect(await refreshConsumer(world.deps, request)).toEqual({ ok: false, retryable: true, detail: 'HTTP 500' });
    });

    it('rejects an input whose fingerprint is not a fingerprint', async () => {
        const world = createWorld({ consumers: [API_CONSUMER] });
        await expect(refreshConsumer(world.deps, { ...request, fingerprint: 'not-a-fingerprint' })).rejects.toThrow();
        expect(world.refresher.calls).toEqual([]);
    });

    it('resolves the consumer by name from the configuration; an unknown name is a failure, not a call', async () => {
        const world = createWorld({ consumers: [API_CONSUMER] });
        const outcome = await refreshConsumer(world.deps, { ...request, consumerName: 'gone' });
        expect(outcome).toEqual({
            ok: false,
            retryable: false,
            detail: 'consumer gone is no longer configured for this secret',
        });
        expect(world.refresher.calls).toEqual([]);
    });
});

describe('notify', () => {
    it('publishes the events as given', async () => {
        const world = createWorld();
        const event = {
            id: `${ROTATION_ID}:1`,
            type: 'Rotation.Started',
            subject: `${VAULT_URL}/secrets/${SECRET_NAME}`,
            time: '2026-03-01T09:00:00.000Z',
            data: { rotationId: ROTATION_ID, newKeyId: null },
        };
        await notify(world.deps, { events: [event] });
        expect(world.notifier.events).toEqual([event]);
    });
});
