import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { durableUrl, postJson, startFixtureHost, type FixtureHost } from './helpers';

/** The management API exercised through the durable client (`df.getClient(context)`), unchanged. */
let f: FixtureHost;

beforeAll(async () => {
    f = await startFixtureHost({ timerTriggers: false, pageSize: 2 });
});

afterAll(async () => {
    await f.dispose();
});

const ops = (op: string, id = ''): string => `${f.host.baseUrl}/api/ops/${op}/${id}`;

describe('durable management API via the durable client', () => {
    it('starts with an instance id and reports status with history', async () => {
        const res = await postJson(`${f.host.baseUrl}/api/orchestrators/sequence/m-1`, ['Lagos']);
        expect(res.status).toBe(202);
        const payload = (await res.json()) as { id: string; statusQueryGetUri: string };
        expect(payload.id).toBe('m-1');
        // createCheckStatusResponse points at this host, not the default localhost:7071.
        expect(payload.statusQueryGetUri.startsWith(f.host.baseUrl)).toBe(true);
        await f.host.waitForStatus('m-1', ['Completed']);
        const status = (await (await fetch(ops('status', 'm-1'))).json()) as Record<string, unknown>;
        expect(status).toMatchObject({
            instanceId: 'm-1',
            name: 'sequence',
            runtimeStatus: 'Completed',
            output: ['Hello Lagos'],
        });
        // The public API answers `historyEvents` (HTTP API docs); the SDK's DurableOrchestrationStatus reads
        // `history`, so through the client the history stays undefined (verified in durable-functions 3.5.0).
        expect(status.history).toBeUndefined();
        const direct = (await (
            await fetch(durableUrl(f.host, 'instances/m-1?showHistory=true&showHistoryOutput=true'))
        ).json()) as { historyEvents: Array<{ EventType: string; Result?: string }> };
        const types = direct.historyEvents.map((e) => e.EventType);
        expect(types).toEqual(['ExecutionStarted', 'TaskScheduled', 'TaskCompleted', 'ExecutionCompleted']);
        expect(direct.historyEvents[2]?.Result).toBe('"Hello Lagos"');
    });

    it('lists all instances across pages (continuation token)', async () => {
        for (const id of ['m-2', 'm-3', 'm-4']) {
            await postJson(`${f.host.baseUrl}/api/orchestrators/approval/${id}`);
        }
        const direct = await fetch(durableUrl(f.host, 'instances'));
        expect((await direct.json()) as unknown[]).toHaveLength(2);
        expect(direct.headers.get('x-ms-continuation-token')).toBeTruthy();
        const ids = (await (await fetch(ops('list'))).json()) as string[];
        expect(ids.sort()).toEqual(['m-1', 'm-2', 'm-3', 'm-4']);
    });

    it('raises events, suspends and resumes, terminates, and purges', async () => {
        await f.host.waitForStatus('m-2', ['Running']);
        expect((await postJson(ops('suspend', 'm-2'))).status).toBe(202);
        expect(f.host.runtime.store.get('m-2')?.runtimeStatus).toBe('Suspended');
        expect((await postJson(ops('raise', 'm-2'), 'held')).status).toBe(202);
        await f.host.idle();
        // While suspended the event is held, not delivered.
        expect(f.host.runtime.store.get('m-2')?.runtimeStatus).toBe('Suspended');
        expect((await postJson(ops('resume', 'm-2'))).status).toBe(202);
        const done = await f.host.waitForStatus('m-2', ['Completed']);
        expect(JSON.parse(done.output ?? 'null')).toEqual({ approved: 'held' });

        await f.host.waitForStatus('m-3', ['Running']);
        expect((await postJson(ops('terminate', 'm-3'))).status).toBe(202);
        const terminated = await f.host.waitForStatus('m-3', ['Terminated']);
        expect(JSON.parse(terminated.output ?? 'null')).toBe('stopped by test');

        // Purge: 412 while running, then deleted once terminal.
        const running = await fetch(durableUrl(f.host, 'instances/m-4'), {
            method: 'DELETE',
        });
        expect(running.status).toBe(412);
        const purged = (await (await postJson(ops('purge', 'm-3'))).json()) as { instancesDeleted: number };
        expect(purged.instancesDeleted).toBe(1);
        expect((await fetch(durableUrl(f.host, 'instances/m-3'))).status).toBe(404);
    });

    it('answers like the extension HttpApiHandler for edge cases', async () => {
        const bad = await fetch(durableUrl(f.host, 'orchestrators/sequence'), { method: 'POST', body: '{nope' });
        expect(bad.status).toBe(400);
        expect(((await bad.json()) as { message: string }).message).toBe('Invalid JSON content');

        const started = await postJson(durableUrl(f.host, 'orchestrators/nondeterministic/m-fail'));
        expect(started.status).toBe(202);
        expect(started.headers.get('retry-after')).toBe('10');
        const links = (await started.json()) as Record<string, string>;
        expect(Object.keys(links).sort()).toEqual(
            [
                'id',
                'purgeHistoryDeleteUri',
                'restartPostUri',
                'resumePostUri',
                'sendEventPostUri',
                'statusQueryGetUri',
                'suspendPostUri',
                'terminatePostUri',
            ].sort(),
        );
        await f.host.waitForStatus('m-fail', ['Failed']);
        expect((await fetch(durableUrl(f.host, 'instances/m-fail'))).status).toBe(200);
        expect(
            (await fetch(durableUrl(f.host, 'instances/m-fail?returnInternalServerErrorOnFailure=true'))).status,
        ).toBe(500);
        expect((await postJson(durableUrl(f.host, 'instances/m-fail/rewind'))).status).toBe(501);
        // Finished instances answer 410 before the content type is even looked at.
        const gone = await fetch(durableUrl(f.host, 'instances/m-fail/raiseEvent/X'), {
            method: 'POST',
            body: 'x',
            headers: { 'Content-Type': 'text/plain' },
        });
        expect(gone.status).toBe(410);

        await postJson(durableUrl(f.host, 'orchestrators/approval/m-wait'));
        await f.host.waitForStatus('m-wait', ['Running']);
        expect((await postJson(durableUrl(f.host, 'instances/m-wait/rewind'))).status).toBe(412);
        const plain = await fetch(durableUrl(f.host, 'instances/m-wait/raiseEvent/Approve'), {
            method: 'POST',
            body: '1',
            headers: { 'Content-Type': 'text/plain' },
        });
        expect(plain.status).toBe(400);
        const restart = await postJson(durableUrl(f.host, 'instances/m-wait/restart?restartWithNewInstanceId=false'));
        expect(restart.status).toBe(500);
        const fresh = await postJson(durableUrl(f.host, 'instances/m-wait/restart'));
        expect(fresh.status).toBe(202);
        const { id } = (await fresh.json()) as { id: string };
        expect(id).toMatch(/^[0-9a-f]{32}$/);
        expect(f.host.runtime.store.get(id)?.name).toBe('approval');
    });
});
