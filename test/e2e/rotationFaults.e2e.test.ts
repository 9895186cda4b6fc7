import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { pendingSecretName } from '../../shared/rotation/markers';
import { runScan } from './support/triggers';
import { World } from './support/world';
import { NO_EVIDENCE_SOURCE } from '../sandbox/seedTenant';

const HOUR = 3_600;
const DAY = 86_400;

/** Tenant policy limits and crashes at the worst moments, end to end. */
describe('rotation under tenant policy and host crashes', () => {
    let world: World;

    beforeAll(async () => {
        world = await World.start({
            apps: [
                { displayName: 'clamped', expiresInDays: 10, secretName: 'clamped-secret', tags: NO_EVIDENCE_SOURCE },
                { displayName: 'refused', expiresInDays: 10, secretName: 'refused-secret', tags: NO_EVIDENCE_SOURCE },
                { displayName: 'chaos', expiresInDays: 10, secretName: 'chaos-secret', tags: NO_EVIDENCE_SOURCE },
                { displayName: 'killed', expiresInDays: 10, secretName: 'killed-secret', tags: NO_EVIDENCE_SOURCE },
                { displayName: 'full', expiresInDays: 10, secretName: 'full-secret', tags: NO_EVIDENCE_SOURCE },
                {
                    displayName: 'kv-throttled',
                    expiresInDays: 10,
                    secretName: 'kv-throttled-secret',
                    tags: NO_EVIDENCE_SOURCE,
                },
            ],
            settings: {
                GRACE_PERIOD_DAYS: '1',
                NEW_CREDENTIAL_LIFETIME_DAYS: '180',
                MAX_CREDENTIAL_LIFETIME_DAYS: '90',
            },
            faults: { appManagementPolicy: { maxPasswordLifetime: 'P90D' } },
        });
    }, 120_000);

    afterAll(async () => {
        await world?.close();
    });

    it('the new credential lifetime is clamped to the tenant maximum and the rotation completes', async () => {
        const app = world.app('clamped');
        const id = await world.startRotation('clamped-secret');
        const done = await world.waitForRotation(id, { advanceSeconds: HOUR });
        expect(done.status).toBe('Completed');
        expect(done.findings.map((f) => f.code)).toContain('lifetime_clamped');
        const [credential] = await world.passwords(app.appId);
        const created = Date.parse(done.steps.find((s) => s.name === 'create')!.at);
        const lifetimeDays = (Date.parse(credential!.endDateTime) - created) / (DAY * 1000);
        expect(lifetimeDays).toBeGreaterThan(89.9);
        expect(lifetimeDays).toBeLessThanOrEqual(90);
        const live = await world.secretValue('clamped-secret');
        expect(live?.tags['entra-key-id']).toBe(credential!.keyId);
    });

    it('a lifetime the tenant policy refuses fails clearly and leaves nothing behind', async () => {
        const app = world.app('refused');
        const before = await world.passwords(app.appId);
        const liveBefore = await world.secretValue('refused-secret');
        // The tenant tightened its policy below what the rotator was configured with.
        await world.emu.expectOk(
            world.emu.call('POST', '/_emulator/faults', { appManagementPolicy: { maxPasswordLifetime: 'P30D' } }),
            'policy',
        );
        try {
            // A failed create waits out Graph's read-after-write lag, then sweeps: advance the clock meanwhile.
            const done = await world.waitForRotation(await world.startRotation('refused-secret'), {
                advanceSeconds: 5 * 60,
            });
            expect(done.status).toBe('Failed');
            expect(done.outcome?.code).toBe('lifetime_policy_violation');
            expect(done.outcome?.message).toMatch(/app-management policy/);
            expect(await world.passwords(app.appId)).toEqual(before);
            expect((await world.secretValue('refused-secret'))?.version).toBe(liveBefore?.version);
            expect(await world.secretValue(pendingSecretName('refused-secret'))).toBeUndefined();
            const types = (await world.events())
                .filter((e) => e.data.secretName === 'refused-secret')
                .map((e) => e.type);
            expect(types).toEqual(['Rotation.Started', 'Rotation.Failed']);
        } finally {
            await world.emu.call('POST', '/_emulator/faults', { appManagementPolicy: { maxPasswordLifetime: 'P90D' } });
        }
    });

    it('an application object at the directory size limit fails clearly (credential_limit_reached), nothing changed', async () => {
        const app = world.app('full');
        const before = await world.passwords(app.appId);
        // The app already holds as many credentials as its directory object can: Graph answers addPassword with
        // Directory_ResourceSizeExceeded, which the preflight count (our own limit) cannot foresee.
        await world.emu.expectOk(
            world.emu.call('POST', '/_emulator/faults', { applicationCredentialLimit: before.length }),
            'size limit',
        );
        try {
            const done = await world.waitForRotation(await world.startRotation('full-secret'), {
                advanceSeconds: 5 * 60,
            });
            expect(done.status).toBe('Failed');
            expect(done.outcome?.code).toBe('credential_limit_reached');
            expect(done.outcome?.message).toMatch(/Directory_ResourceSizeExceeded.*too many credentials/);
            expect(await world.passwords(app.appId)).toEqual(before);
            expect(await world.secretValue(pendingSecretName('full-secret'))).toBeUndefined();
        } finally {
            await world.emu.call('POST', '/_emulator/faults', { applicationCredentialLimit: 100 });
        }
    });

    it('Key Vault 429s without Retry-After (as the service sends them) are waited out and the rotation completes', async () => {
        // The SDK does not retry a 429 that has no Retry-After, so the rotator has to back off by itself.
        await world.emu.expectOk(
            world.emu.call('POST', '/_emulator/faults', { keyVault: { methods: ['PUT'], throttle: { count: 3 } } }),
            'throttle',
        );
        try {
            const done = await world.waitForRotation(await world.startRotation('kv-throttled-secret'), {
                advanceSeconds: HOUR,
            });
            expect(done.status).toBe('Completed');
            const faults = await world.emu.call<{ keyVault: { throttle?: { count: number } } }>(
                'GET',
                '/_emulator/faults',
            );
            expect(faults.body.keyVault.throttle?.count ?? 0).toBe(0);
        } finally {
            await world.emu.call('POST', '/_emulator/faults', { keyVault: { throttle: { count: 0 }, methods: null } });
        }
    });

    it('host crash after create (chaos switch, result never recorded): the re-run reuses its stash, one new credential', async () => {
        const app = world.app('chaos');
        const chaos = await fetch(`${world.host.baseUrl}/admin/host/chaos`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-functions-key': world.host.keys.masterKey },
            body: JSON.stringify({ crashAfter: { activity: 'rotationCreateCredential' } }),
        });
        expect(chaos.status).toBe(200);
        const id = await world.startRotation('chaos-secret');
        await waitForExit(world);
        await world.restartHost();
        const done = await world.waitForRotation(id, { advanceSeconds: HOUR });
        expect(done.status).toBe('Completed');
        expect(done.steps.find((s) => s.name === 'create')?.detail).toMatch(/recovered from an interrupted attempt/);
        expect((await world.passwords(app.appId)).map((p) => p.keyId)).toEqual([done.newKeyId]);
    });

    it('host killed between addPassword and the stash: the re-run removes the orphan, exactly one new credential remains', async () => {
        const app = world.app('killed');
        // Slow Key Vault writes (only) so the stash write is still in flight when the host dies.
        await world.emu.expectOk(
            world.emu.call('POST', '/_emulator/faults', { keyVault: { latencyMs: 15_000, methods: ['PUT'] } }),
            'latency',
        );
        const id = await world.startRotation('killed-secret');
        const orphan = await waitForMarkedCredential(world, app.appId);
        world.host.process.kill('SIGKILL');
        await waitForExit(world);
        // The write is still sleeping in the emulator: make it fail when it wakes (a write the dead host never
        // completed), then let the service recover.
        await world.emu.expectOk(
            world.emu.call('POST', '/_emulator/faults', { keyVault: { serverErrors: { status: 503, count: 1 } } }),
            'fail the in-flight write',
        );
        await new Promise((r) => setTimeout(r, 15_500));
        await world.emu.expectOk(
            world.emu.call('POST', '/_emulator/faults', {
                keyVault: { latencyMs: 0, serverErrors: null, methods: null },
            }),
            'recover',
        );
        expect(await world.secretValue(pendingSecretName('killed-secret'))).toBeUndefined();

        await world.restartHost();
        const done = await world.waitForRotation(id, { advanceSeconds: HOUR });
        expect(done.status).toBe('Completed');
        expect(done.steps.find((s) => s.name === 'create')?.detail).toContain(`removed orphan(s) ${orphan}`);
        const keys = (await world.passwords(app.appId)).map((p) => p.keyId);
        expect(keys).toEqual([done.newKeyId]);
        expect(keys).not.toContain(orphan);
    });
});

/** Issue 12 defect 10: orphans under Graph's read-after-write lag, and a publish refused by Key Vault (403). */
describe('orphans under Graph lag and a refused publish', () => {
    let world: World;
    const LAG_SECONDS = 60;

    beforeAll(async () => {
        world = await World.start({
            apps: [
                { displayName: 'lagged', expiresInDays: 10, secretName: 'lagged-secret', tags: NO_EVIDENCE_SOURCE },
                {
                    displayName: 'lag-killed',
                    expiresInDays: 10,
                    secretName: 'lag-killed-secret',
                    tags: NO_EVIDENCE_SOURCE,
                },
                {
                    displayName: 'kv-denied',
                    expiresInDays: 10,
                    secretName: 'kv-denied-secret',
                    tags: NO_EVIDENCE_SOURCE,
                },
                { displayName: 'swept', expiresInDays: 10, secretName: 'swept-secret', tags: NO_EVIDENCE_SOURCE },
            ],
            settings: { GRACE_PERIOD_DAYS: '1' },
            // Real time between the steps of a test (a host kill and restart take seconds), so a 60 s lag is 60 s;
            // durable waits still pass only when a test moves the clock.
            clockRate: 1,
        });
    }, 120_000);

    afterAll(async () => {
        await world?.close();
    });

    const fault = (body: object, what: string) =>
        world.emu.expectOk(world.emu.call('POST', '/_emulator/faults', body), what);

    it('addPassword creates but answers 503, with 60 s of Graph lag: the retry cannot see it, the sweep after the lag removes it, Completed says so', async () => {
        const app = world.app('lagged');
        await fault(
            {
                graphReplicationLagSeconds: LAG_SECONDS,
                graph: { serverErrors: { status: 503, count: 1, afterHandling: true }, methods: ['POST'] },
            },
            'lag and a lost addPassword response',
        );
        try {
            const id = await world.startRotation('lagged-secret');
            const done = await world.waitForRotation(id, { advanceSeconds: HOUR, timeoutMs: 180_000 });
            expect(done.status).toBe('Completed');
            // The retry ran inside the lag: it found nothing to clean up and added a second credential.
            expect(done.steps.find((s) => s.name === 'create')?.detail).not.toMatch(/removed orphan/);
            const leftovers = done.findings.find((f) => f.code === 'leftovers_removed');
            expect(leftovers?.message).toMatch(/removed 1 credential\(s\) left by interrupted create attempts/);
            expect((await directoryPasswords(world, app.appId)).map((p) => p.keyId)).toEqual([done.newKeyId]);
            const completed = (await world.events()).find(
                (e) => e.type === 'Rotation.Completed' && e.data['secretName'] === 'lagged-secret',
            );
            expect(String(completed?.data['detail'])).toMatch(/removed 1 credential\(s\) left by interrupted create/);
        } finally {
            await fault({ graph: { serverErrors: null, methods: null } }, 'clear');
            await world.restoreDelays();
        }
    });

    it('host killed between addPassword and the stash, within the lag: the re-run cannot see the orphan, the sweep removes it', async () => {
        const app = world.app('lag-killed');
        await fault(
            { graphReplicationLagSeconds: LAG_SECONDS, keyVault: { latencyMs: 5_000, methods: ['PUT'] } },
            'lag and slow Key Vault writes',
        );
        try {
            const id = await world.startRotation('lag-killed-secret');
            const orphan = await waitForMarkedInDirectory(world, app.appId);
            world.host.process.kill('SIGKILL');
            await waitForExit(world);
            await fault({ keyVault: { serverErrors: { status: 503, count: 1 } } }, 'fail the in-flight write');
            await new Promise((r) => setTimeout(r, 5_500));
            await fault({ keyVault: { latencyMs: 0, serverErrors: null, methods: null } }, 'recover');

            const killedAt = Date.now();
            await world.restartHost();
            const done = await world.waitForRotation(id, { advanceSeconds: HOUR, timeoutMs: 180_000 });
            expect(done.status).toBe('Completed');
            // The re-run's create ran inside the lag (this test's premise), so it could not see the orphan.
            expect(Date.now() - killedAt).toBeLessThan(LAG_SECONDS * 1000);
            expect(done.steps.find((s) => s.name === 'create')?.detail).not.toContain(orphan);
            expect(done.findings.find((f) => f.code === 'leftovers_removed')?.message).toContain(orphan);
            expect((await directoryPasswords(world, app.appId)).map((p) => p.keyId)).toEqual([done.newKeyId]);
        } finally {
            await fault({ keyVault: { latencyMs: 0, serverErrors: null, methods: null } }, 'clear');
            await world.restoreDelays();
        }
    });

    it('publish refused by Key Vault (403), retried after the operator fixed access: one new key, both records kept', async () => {
        const app = world.app('kv-denied');
        const liveBefore = await world.secretValue('kv-denied-secret');
        const first = await world.startRotation('kv-denied-secret');
        await waitForStepState(world, first, 'create', 'succeeded');
        // An operator narrows the rotator's vault role to Key Vault Secrets User (reads only): publish and the
        // stash clean-up are refused by RBAC (403), as Key Vault does.
        const rotator = world.tenant.rotator.servicePrincipalId;
        const roles = await world.emu.call<{ value: { id: string; principalId: string; role: string }[] }>(
            'GET',
            '/_emulator/keyVault/roleAssignments',
        );
        const officer = roles.body.value.find(
            (a) => a.principalId === rotator && a.role === 'Key Vault Secrets Officer',
        );
        expect(officer).toBeDefined();
        await world.emu.call('DELETE', `/_emulator/keyVault/roleAssignments/${officer!.id}`);
        const user = await world.emu.call<{ id: string }>('POST', '/_emulator/keyVault/roleAssignments', {
            principalId: rotator,
            role: 'Key Vault Secrets User',
        });
        let failed;
        try {
            failed = await world.waitForRotation(first, { advanceSeconds: 5 * 60, timeoutMs: 180_000 });
        } finally {
            // The operator fixes access.
            await world.emu.call('POST', '/_emulator/keyVault/roleAssignments', {
                principalId: rotator,
                role: 'Key Vault Secrets Officer',
            });
            await world.emu.call('DELETE', `/_emulator/keyVault/roleAssignments/${user.body.id}`);
        }
        expect(failed.status).toBe('AttentionRequired');
        expect(failed.outcome?.code).toBe('forbidden');
        expect(failed.outcome?.message).toContain(`the new credential ${failed.newKeyId} was removed`);
        expect(failed.outcome?.message).toContain('the pending secret was kept: it could not be deleted');
        expect((await directoryPasswords(world, app.appId)).map((p) => p.keyId)).toEqual([app.keyId]);
        expect((await world.secretValue('kv-denied-secret'))?.version).toBe(liveBefore?.version);
        const stash = pendingSecretName('kv-denied-secret');
        expect((await world.secretValue(stash))?.tags['entra-key-id']).toBe(failed.newKeyId);

        const retry = await world.startRotation('kv-denied-secret');
        const done = await world.waitForRotation(retry, { advanceSeconds: HOUR, timeoutMs: 180_000 });
        expect(done.status).toBe('Completed');
        expect((await directoryPasswords(world, app.appId)).map((p) => p.keyId)).toEqual([done.newKeyId]);
        expect(await world.secretValue(stash)).toBeUndefined();
        // The failed rotation's record survives the retry, in Durable and in the rotation history.
        expect((await world.rotation(first)).status).toBe('AttentionRequired');
        const history = await world.api<{ items: { rotationId: string; status: string }[] }>(
            'GET',
            '/api/secrets/kv-denied-secret/rotations',
        );
        expect(history.status).toBe(200);
        expect(history.body.items.map((i) => i.status).sort()).toEqual(['AttentionRequired', 'Completed']);
    });

    it('a later scan removes a leftover marked credential of a rotation that is over, announces it, and keeps the published key', async () => {
        const app = world.app('swept');
        const done = await world.waitForRotation(await world.startRotation('swept-secret'), {
            advanceSeconds: HOUR,
            timeoutMs: 180_000,
        });
        expect(done.status).toBe('Completed');
        const { rotationId } = done as typeof done & { rotationId: string };
        // A credential of that rotation its own sweep never saw (Graph lagging past the bound, say).
        const token = await world.emu.adminToken('https://graph.microsoft.com/.default');
        const added = await world.emu.call<{ keyId: string }>(
            'POST',
            `/v1.0/applications/${app.objectId}/addPassword`,
            { passwordCredential: { displayName: `rotator:${rotationId}` } },
            { authorization: `Bearer ${token}` },
        );
        expect(added.status).toBe(200);
        const leftover = added.body.keyId;
        await world.emu.advanceClock(10 * 60); // past Graph's replication lag: the scan's listing shows it
        await runScan(world);
        expect((await directoryPasswords(world, app.appId)).map((p) => p.keyId)).toEqual([done.newKeyId]);
        const removed = (await world.events()).filter((e) => e.type === 'Credential.OrphanRemoved');
        expect(removed.map((e) => [e.data['keyId'], e.data['rotationId'], e.data['outcome']])).toEqual([
            [leftover, rotationId, 'removed'],
        ]);
    });
});

/** Password credentials as the directory holds them (the emulator's own state: no replication lag). */
async function directoryPasswords(
    world: World,
    appId: string,
): Promise<{ keyId: string; displayName: string | null }[]> {
    const state = await world.emu.call<{
        services: {
            entra: {
                applications: { appId: string; passwordCredentials: { keyId: string; displayName: string | null }[] }[];
            };
        };
    }>('GET', '/_emulator/state');
    return state.body.services.entra.applications.find((a) => a.appId === appId)?.passwordCredentials ?? [];
}

async function waitForMarkedInDirectory(world: World, appId: string): Promise<string> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
        const marked = (await directoryPasswords(world, appId)).find((p) => p.displayName?.startsWith('rotator:'));
        if (marked) return marked.keyId;
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the rotator never added a credential');
}

async function waitForStepState(world: World, id: string, step: string, state: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
        if ((await world.rotation(id)).steps.some((s) => s.name === step && s.state === state)) return;
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${step} never became ${state}`);
}

async function waitForExit(world: World, timeoutMs = 30_000): Promise<void> {
    const child = world.host.process;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('host did not exit')), timeoutMs);
        child.once('exit', () => {
            clearTimeout(timer);
            resolve();
        });
    });
}

/** Polls Graph (as admin) until the rotator's marked credential appears on the app; returns its keyId. */
async function waitForMarkedCredential(world: World, appId: string): Promise<string> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
        const marked = (await world.passwords(appId)).find((p) => p.displayName?.startsWith('rotator:'));
        if (marked) return marked.keyId;
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the rotator never added a credential');
}
