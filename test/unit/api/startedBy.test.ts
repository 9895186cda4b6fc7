import { runInNewContext } from 'node:vm';

import { type DurableOrchestrationStatus, OrchestrationRuntimeStatus } from 'durable-functions';
import { describe, expect, it } from 'vitest';

import { type RotationsApiDeps, startRotationRoute, toRotationView } from '../../../shared/api/rotationsApi';
import { DASHBOARD_LOGIC_JS } from '../../../shared/dashboard/clientLogic';
import { type Binding } from '../../../shared/enrollment/bindings';
import { RotationInputSchema } from '../../../shared/rotation/contracts';
import { type StartRequest, startRotation } from '../../../shared/rotation/starter';
import { MemoryStateStore } from '../../support/fakes/MemoryStateStore';

const VAULT = 'https://kv.vault.azure.net';
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJvaWQiOiJ1c2VyLW9pZCJ9.c2lnbmF0dXJl';

function deps(starts: StartRequest[]): RotationsApiDeps {
    const secret = { vaultUrl: VAULT, secretName: 'payroll-secret', version: 'v1', enabled: true, tags: {} };
    const binding = { vaultUrl: VAULT, secretName: 'payroll-secret', appId: 'app-1', keyId: 'key-1' } as Binding;
    return {
        authorize: (authorization) =>
            Promise.resolve(
                authorization === `Bearer ${TOKEN}`
                    ? { ok: true as const, caller: { appId: 'spa-client', objectId: 'user-oid', name: 'Ana', roles: [] } }
                    : { ok: false as const, status: 401, code: 'unauthorized', message: 'no' },
            ),
        durable: { getStatus: () => Promise.reject(new Error('unused')), getStatusBy: () => Promise.resolve([]) },
        start: (r) => {
            starts.push(r);
            return Promise.resolve({ id: 'rotate@h@payroll-secret@r1', alreadyRunning: false });
        },
        index: {
            listManaged: () => Promise.resolve([]),
            listSecrets: () => Promise.resolve([secret]),
            current: () => Promise.resolve(secret),
        },
        bindings: { find: () => Promise.resolve(binding) },
        notifier: { publish: () => Promise.resolve() },
        vaultUrls: [VAULT],
        defaultVaultUrl: VAULT,
        paused: false,
        now: () => Promise.resolve(new Date('2026-06-01T00:00:00Z')),
    };
}

describe('who started what', () => {
    it('the operator API records the caller from the verified token with the start, never the token', async () => {
        const starts: StartRequest[] = [];
        const res = await startRotationRoute(deps(starts), {
            authorization: `Bearer ${TOKEN}`,
            params: {},
            query: new URLSearchParams(),
            json: () => Promise.resolve({ secretName: 'payroll-secret', reason: 'audit finding' }),
        });
        expect(res.status).toBe(202);
        expect(starts).toHaveLength(1);
        expect(starts[0]!.startedBy).toEqual({ objectId: 'user-oid', appId: 'spa-client', name: 'Ana' });
        expect(JSON.stringify(starts[0])).not.toContain(TOKEN.split('.')[1]!);
    });

    it('the starter puts it in the orchestration input; an input without it (older instances) still parses', async () => {
        const inputs: unknown[] = [];
        const client = {
            startNew: (_name: string, options?: { input?: unknown }) => {
                inputs.push(options?.input);
                return Promise.resolve('id');
            },
            getStatus: () => Promise.reject(new Error('unused')),
        };
        const startedBy = { objectId: 'user-oid', appId: null, name: 'Ana' };
        const base = { vaultUrl: VAULT, secretName: 's', appId: 'a', keyId: 'k', dryRun: true, reason: 'r', trigger: 'api' as const };
        await startRotation({ client: client, state: new MemoryStateStore() }, { ...base, startedBy });
        await startRotation({ client: client, state: new MemoryStateStore() }, base);
        expect(RotationInputSchema.parse(inputs[0]).startedBy).toEqual(startedBy);
        expect(inputs[1]).not.toHaveProperty('startedBy');
        expect(RotationInputSchema.parse(inputs[1]).startedBy).toBeUndefined();
    });

    it('the rotation view and the dashboard show it', () => {
        const status = (input: Record<string, unknown>) =>
            ({
                instanceId: 'rotate@h@s@r1',
                name: 'rotateCredential',
                runtimeStatus: OrchestrationRuntimeStatus.Running,
                input,
                createdTime: new Date('2026-06-01T00:00:00Z'),
                lastUpdatedTime: new Date('2026-06-01T00:00:00Z'),
            }) as unknown as DurableOrchestrationStatus;
        const startedBy = { objectId: 'user-oid', appId: 'spa-client', name: 'Ana' };
        const view = toRotationView(status({ secretName: 's', trigger: 'api', reason: 'why', startedBy }));
        expect(view.startedBy).toEqual(startedBy);
        expect(toRotationView(status({ secretName: 's', trigger: 'timer' })).startedBy).toBeNull();

        const module = { exports: {} as { startedBy: (r: unknown) => string } };
        runInNewContext(DASHBOARD_LOGIC_JS, { module, URLSearchParams, atob, TextDecoder, Uint8Array });
        expect(module.exports.startedBy(view)).toBe('Ana via the operator API \u2014 \u201cwhy\u201d');
        expect(module.exports.startedBy({ trigger: 'api', startedBy: { objectId: 'o', appId: 'app-9', name: null } })).toBe(
            'app-9 via the operator API',
        );
    });
});
