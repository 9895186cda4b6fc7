import { type DurableClient, type DurableOrchestrationStatus, OrchestrationRuntimeStatus } from 'durable-functions';
import { describe, expect, it } from 'vitest';

import { rotationLockKeys, type StartRequest, startRotation } from '../../../shared/rotation/starter';
import { MemoryStateStore } from '../../support/fakes/MemoryStateStore';

/**
 * The two client calls the starter makes, answering like the Durable extension's HTTP API (v2.13.7
 * HttpApiHandler): a start for an id that is already active answers 500 (OrchestrationAlreadyExistsException is
 * not mapped), a start for a finished id replaces it, getStatus answers 404 for an unknown id.
 */
class ExtensionLikeClient {
    readonly instances = new Map<string, { runtimeStatus: OrchestrationRuntimeStatus; input: unknown }>();
    starts = 0;
    failNextStart: 'before' | 'after' | undefined;

    getStatus(id: string): Promise<DurableOrchestrationStatus> {
        const found = this.instances.get(id);
        if (!found) return Promise.reject(new Error(`HTTP 404 (not found) for ${id}`));
        return Promise.resolve({ instanceId: id, ...found } as unknown as DurableOrchestrationStatus);
    }

    async startNew(_name: string, options: { instanceId: string; input: unknown }): Promise<string> {
        await new Promise((r) => setTimeout(r, Math.random() * 3));
        const failure = this.failNextStart;
        this.failNextStart = undefined;
        if (failure === 'before') throw new Error('The operation failed with an unexpected status code: 500.');
        const existing = this.instances.get(options.instanceId);
        if (existing && existing.runtimeStatus === OrchestrationRuntimeStatus.Running)
            throw new Error(
                'The operation failed with an unexpected status code: 500. Details: {"ExceptionMessage":"An Orchestration instance with the status Running already exists."}',
            );
        this.starts += 1;
        this.instances.set(options.instanceId, {
            runtimeStatus: OrchestrationRuntimeStatus.Running,
            input: options.input,
        });
        if (failure === 'after') throw new Error('The operation failed with an unexpected status code: 500.');
        return options.instanceId;
    }

    finish(id: string): void {
        const found = this.instances.get(id);
        if (found) found.runtimeStatus = OrchestrationRuntimeStatus.Completed;
    }

    asDeps(state: MemoryStateStore, wallNow?: () => number) {
        return { client: this as unknown as DurableClient, state, ...(wallNow ? { wallNow } : {}) };
    }
}

const VAULT = 'https://kv.vault.azure.net';
const CREDENTIAL = { appId: 'aaaaaaaa-0000-4000-8000-000000000001', keyId: 'bbbbbbbb-0000-4000-8000-000000000001' };

function request(secretName: string, overrides: Partial<StartRequest> = {}): StartRequest {
    return { vaultUrl: VAULT, secretName, ...CREDENTIAL, dryRun: false, reason: 'test', trigger: 'api', ...overrides };
}

describe('startRotation: one rotation per application credential and per secret', () => {
    it('two secrets holding one credential, started together, make one rotation (not two credentials)', async () => {
        const client = new ExtensionLikeClient();
        const state = new MemoryStateStore();
        const results = await Promise.all([
            ...Array.from({ length: 5 }, () => startRotation(client.asDeps(state), request('region-a-secret'))),
            ...Array.from({ length: 5 }, () => startRotation(client.asDeps(state), request('region-b-secret'))),
        ]);
        expect(client.starts).toBe(1);
        expect(new Set(results.map((r) => r.id)).size).toBe(1);
        expect(results.filter((r) => !r.alreadyRunning)).toHaveLength(1);
    });

    it('a secret whose binding moved to the new key joins the rotation still running on it', async () => {
        const client = new ExtensionLikeClient();
        const state = new MemoryStateStore();
        const first = await startRotation(client.asDeps(state), request('payroll-secret'));
        const moved = await startRotation(
            client.asDeps(state),
            request('payroll-secret', { keyId: 'cccccccc-0000-4000-8000-000000000002' }),
        );
        expect(moved).toEqual({ id: first.id, alreadyRunning: true });
        expect(client.starts).toBe(1);
    });

    it('gives every rotation its own instance id, so a finished record is kept and a new one starts', async () => {
        const client = new ExtensionLikeClient();
        const state = new MemoryStateStore();
        const first = await startRotation(client.asDeps(state), request('payroll-secret'));
        client.finish(first.id);
        const second = await startRotation(client.asDeps(state), request('payroll-secret'));
        expect(second.alreadyRunning).toBe(false);
        expect(second.id).not.toBe(first.id);
        expect(second.id).toMatch(/^rotate@kv\.vault\.azure\.net@payroll-secret@[0-9a-f-]{36}$/);
        expect(client.instances.get(first.id)?.runtimeStatus).toBe(OrchestrationRuntimeStatus.Completed);
    });

    it('a failed start (500, nothing created) is an error and releases the locks for the next start', async () => {
        const client = new ExtensionLikeClient();
        const state = new MemoryStateStore();
        client.failNextStart = 'before';
        await expect(startRotation(client.asDeps(state), request('payroll-secret'))).rejects.toThrow(/500/);
        for (const key of rotationLockKeys(request('payroll-secret')))
            expect(await state.read(key)).toMatchObject({ instanceId: null });
        expect((await startRotation(client.asDeps(state), request('payroll-secret'))).alreadyRunning).toBe(false);
        expect(client.starts).toBe(1);
    });

    it('a start that answered 500 after creating the instance counts as started, and holds the locks', async () => {
        const client = new ExtensionLikeClient();
        const state = new MemoryStateStore();
        client.failNextStart = 'after';
        const first = await startRotation(client.asDeps(state), request('payroll-secret'));
        expect(first.alreadyRunning).toBe(false);
        expect(await startRotation(client.asDeps(state), request('other-secret'))).toEqual({
            id: first.id,
            alreadyRunning: true,
        });
    });

    it('a lock naming an instance that never appeared is honoured for a minute, then taken over', async () => {
        const client = new ExtensionLikeClient();
        const state = new MemoryStateStore();
        let wall = 1_000_000;
        const [credentialLock] = rotationLockKeys(request('payroll-secret'));
        await state.write(credentialLock!, { instanceId: 'rotate@kv.vault.azure.net@crashed@x', at: wall });
        expect(
            await startRotation(
                client.asDeps(state, () => wall),
                request('payroll-secret'),
            ),
        ).toEqual({
            id: 'rotate@kv.vault.azure.net@crashed@x',
            alreadyRunning: true,
        });
        wall += 61_000;
        const taken = await startRotation(
            client.asDeps(state, () => wall),
            request('payroll-secret'),
        );
        expect(taken.alreadyRunning).toBe(false);
        expect(client.starts).toBe(1);
    });

    it('dry runs take no lock and never join', async () => {
        const client = new ExtensionLikeClient();
        const state = new MemoryStateStore();
        const real = await startRotation(client.asDeps(state), request('payroll-secret'));
        const dry = await startRotation(client.asDeps(state), request('payroll-secret', { dryRun: true }));
        expect(dry.alreadyRunning).toBe(false);
        expect(dry.id).toMatch(/@dryrun@/);
        expect(dry.id).not.toBe(real.id);
    });
});
