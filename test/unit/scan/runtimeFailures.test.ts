import { type DurableOrchestrationStatus, OrchestrationRuntimeStatus } from 'durable-functions';
import { describe, expect, it } from 'vitest';

import { historyKey, RotationHistory } from '../../../shared/history/rotationHistory';
import { type LifecycleEvent } from '../../../shared/rotation/ports';
import { announceRuntimeFailures } from '../../../shared/scan/runtimeFailures';
import { historyRecord } from '../../support/builders/historyRecord';
import { MemoryStateStore } from '../../support/fakes/MemoryStateStore';

const NOW = new Date('2026-03-10T00:00:00.000Z');

function status(instanceId: string, runtimeStatus: OrchestrationRuntimeStatus): DurableOrchestrationStatus {
    return {
        name: 'rotateCredential',
        instanceId,
        runtimeStatus,
        input: { vaultUrl: 'https://kv.vault.azure.net', secretName: 's', rotationId: 'r', dryRun: false },
        output: 'Error: boom',
        customStatus: null,
        createdTime: new Date('2026-03-09T00:00:00.000Z'),
        lastUpdatedTime: new Date('2026-03-09T00:00:00.000Z'),
        history: undefined,
    };
}

describe('announceRuntimeFailures', () => {
    it('a publish that fails releases the claim: the next scan announces, and only once', async () => {
        const state = new MemoryStateStore();
        const published: LifecycleEvent[] = [];
        let failPublish = true;
        const deps = {
            client: { getStatusBy: () => Promise.resolve([status('i-1', OrchestrationRuntimeStatus.Failed)]) },
            state,
            notifier: {
                publish: (events: readonly LifecycleEvent[]) => {
                    if (failPublish) return Promise.reject(new Error('topic unavailable'));
                    published.push(...events);
                    return Promise.resolve();
                },
            },
        };
        expect(await announceRuntimeFailures(deps, { now: NOW, scanId: 'scan-1' })).toEqual({
            announced: [],
            alreadyAnnounced: 0,
        });
        failPublish = false;
        expect((await announceRuntimeFailures(deps, { now: NOW, scanId: 'scan-2' })).announced).toEqual(['i-1']);
        expect((await announceRuntimeFailures(deps, { now: NOW, scanId: 'scan-3' })).announced).toEqual([]);
        expect(published.map((e) => [e.id, e.type, e.data['code']])).toEqual([
            ['i-1:runtime-failed', 'Rotation.Failed', 'runtime_failed'],
        ]);
    });

    it('asks the durable client for Failed and Terminated instances only, and ignores other orchestrations', async () => {
        const filters: unknown[] = [];
        const other = { ...status('x', OrchestrationRuntimeStatus.Failed), name: 'somethingElse' };
        const result = await announceRuntimeFailures(
            {
                client: {
                    getStatusBy: (filter) => {
                        filters.push(filter);
                        return Promise.resolve([other as DurableOrchestrationStatus]);
                    },
                },
                state: new MemoryStateStore(),
                notifier: { publish: () => Promise.reject(new Error('must not publish')) },
            },
            { now: NOW, scanId: 's' },
        );
        expect(result).toEqual({ announced: [], alreadyAnnounced: 0 });
        expect(filters).toEqual([
            {
                createdTimeFrom: new Date(NOW.getTime() - 30 * 86_400_000),
                runtimeStatus: [OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated],
            },
        ]);
    });
});

describe('a runtime failure closes the rotation record', () => {
    it('the Running record written at start becomes final (Failed, runtime_failed, last timeline); a final record is left alone', async () => {
        const state = new MemoryStateStore();
        const history = new RotationHistory(state);
        const vaultUrl = 'https://kv.vault.azure.net';
        const base = historyRecord({
            id: 'i-1',
            rotationId: 'r',
            vaultUrl,
            secretName: 's',
            reason: 'why',
            startedBy: { objectId: 'o', appId: null, name: 'Ana' },
            startedAt: '2026-03-09T00:00:00.000Z',
            updatedAt: '2026-03-09T00:00:00.000Z',
        });
        await history.save(base, NOW);
        const crashed = {
            ...status('i-1', OrchestrationRuntimeStatus.Failed),
            customStatus: {
                newKeyId: 'new-key',
                steps: [{ name: 'create', state: 'succeeded', at: '2026-03-09T00:01:00.000Z', detail: 'key new-key' }],
            },
        };
        const deps = {
            client: { getStatusBy: () => Promise.resolve([crashed]) },
            state,
            notifier: { publish: () => Promise.resolve() },
            history,
        };
        await announceRuntimeFailures(deps, { now: NOW, scanId: 'scan-1' });
        const [record] = await history.list(vaultUrl, 's');
        expect(record).toMatchObject({
            status: 'Failed',
            final: true,
            finishedAt: NOW.toISOString(),
            reason: 'why',
            startedBy: { name: 'Ana' },
            newKeyId: 'new-key',
            outcome: { code: 'runtime_failed' },
            steps: [{ name: 'create', state: 'succeeded' }],
        });
        expect(record?.outcome?.message).toContain('boom');

        // A later scan (or a terminate after the end) changes nothing.
        const before = state.peekRaw(historyKey(vaultUrl, 's'));
        await announceRuntimeFailures(
            {
                ...deps,
                client: {
                    getStatusBy: () => Promise.resolve([status('i-1', OrchestrationRuntimeStatus.Terminated)]),
                },
            },
            { now: new Date(NOW.getTime() + 86_400_000), scanId: 'scan-2' },
        );
        expect(state.peekRaw(historyKey(vaultUrl, 's'))).toBe(before);
    });
});
