import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { type LiveEmulator, startLiveEmulator } from './liveEmulator';

const API = 'api-version=2026-04-01';

/** Key Vault and Event Grid state survives an emulator restart on the same state directory. */
describe('Key Vault and Event Grid persistence across a restart', () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'kv-eg-persist-'));
    const running: LiveEmulator[] = [];

    afterAll(async () => {
        for (const live of running) await live.close({ keepState: true });
        rmSync(stateDir, { recursive: true, force: true });
    });

    it('secrets (with values), role assignments, subscriptions, kept events and the topic key come back', async () => {
        const first = await startLiveEmulator({ stateDir, persist: true });
        running.push(first);
        const token = await first.adminToken('https://vault.azure.net/.default');
        const set = await first.raw('PUT', `/secrets/persisted?${API}`, {
            headers: { authorization: `Bearer ${token}` },
            body: { value: 'kept-value', tags: { owner: 'rotator' } },
        });
        expect(set.status).toBe(200);
        const principalId = '0f0f0f0f-0000-4000-8000-00000000abcd';
        await first.control('/keyVault/roleAssignments', { principalId, role: 'Key Vault Secrets User' });
        await first.control('/eventGrid/subscriptions', {
            endpointUrl: 'http://127.0.0.1:9/unused',
            endpointType: 'AzureFunction',
            includedEventTypes: ['Microsoft.KeyVault.SecretNearExpiry'],
            name: 'persisted-sub',
        });
        const published = await first.raw('POST', '/api/events?api-version=2018-01-01', {
            headers: { 'aeg-sas-key': first.emulator.eventGrid.topicKey },
            body: [
                {
                    id: 'p1',
                    subject: 's',
                    eventType: 'Contoso.Persisted',
                    eventTime: new Date().toISOString(),
                    data: {},
                },
            ],
        });
        expect(published.status).toBe(200);
        const topicKey = first.emulator.eventGrid.topicKey;
        await first.close({ keepState: true });
        running.pop();

        const second = await startLiveEmulator({ stateDir, persist: true });
        running.push(second);
        expect(second.emulator.eventGrid.topicKey).toBe(topicKey);
        const again = await second.adminToken('https://vault.azure.net/.default');
        const got = await second.raw('GET', `/secrets/persisted/?${API}`, {
            headers: { authorization: `Bearer ${again}` },
        });
        expect(got.json).toMatchObject({ value: 'kept-value', tags: { owner: 'rotator' } });
        expect((got.json as { id: string }).id).toBe(
            (set.json as { id: string }).id.replace(first.emulator.baseUrl, second.emulator.baseUrl),
        );
        const roles = await second.control<{ value: { principalId: string }[] }>('/keyVault/roleAssignments');
        expect(roles.value.map((r) => r.principalId)).toContain(principalId);
        const subscriptions = await second.control<{ value: { name: string }[] }>('/eventGrid/subscriptions');
        expect(subscriptions.value.map((s) => s.name)).toEqual(['persisted-sub']);
        const events = await second.control<{ value: { event: { id: string } }[] }>('/events');
        expect(events.value.map((e) => e.event.id)).toEqual(['p1']);
    });
});
