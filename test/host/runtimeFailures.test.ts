import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { durableUrl, postJson, START, startFixtureHost, type FixtureHost } from './helpers';

/**
 * Issue 12, defect 11: a rotation that fails in the Durable runtime emits nothing itself; the scan finds it through
 * the durable client's instance query and announces Rotation.Failed exactly once, however often it runs.
 */
let f: FixtureHost;
let stateDir: string;

const input = (secretName: string, behave: string, dryRun = false) => ({
    vaultUrl: 'https://kv.vault.azure.net',
    secretName,
    rotationId: `r-${secretName}`,
    dryRun,
    behave,
});

async function start(id: string, body: unknown): Promise<void> {
    const res = await postJson(durableUrl(f.host, `orchestrators/rotateCredential/${encodeURIComponent(id)}`), body);
    expect(res.status).toBe(202);
}

async function scan(): Promise<{ announced: string[]; alreadyAnnounced: number }> {
    const res = await postJson(`${f.host.baseUrl}/api/scan-runtime-failures`, { now: START.toISOString() });
    expect(res.status).toBe(200);
    return (await res.json()) as { announced: string[]; alreadyAnnounced: number };
}

beforeAll(async () => {
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'runtime-failures-'));
    f = await startFixtureHost({
        entry: 'deploys/runtimeFailure.ts',
        timerTriggers: false,
        settings: { FIXTURE_STATE_DIR: stateDir },
    });
});

afterAll(async () => {
    await f?.dispose();
    rmSync(stateDir, { recursive: true, force: true });
});

describe('rotations that fail in the Durable runtime', () => {
    it('are announced as Rotation.Failed exactly once across two scans (crash, terminate; not dry runs or completed ones)', async () => {
        await start('rotate@kv@crashed@1', input('crashed', 'crash'));
        await start('rotate@kv@dry@1', input('dry', 'crash', true));
        await start('rotate@kv@fine@1', input('fine', 'complete'));
        await start('rotate@kv@stopped@1', input('stopped', 'sleep'));
        await f.host.waitForStatus('rotate@kv@crashed@1', ['Failed']);
        await f.host.waitForStatus('rotate@kv@dry@1', ['Failed']);
        await f.host.waitForStatus('rotate@kv@fine@1', ['Completed']);
        await f.host.idle();
        const terminate = await postJson(
            durableUrl(f.host, `instances/${encodeURIComponent('rotate@kv@stopped@1')}/terminate?reason=operator`),
        );
        expect(terminate.status).toBe(202);
        await f.host.waitForStatus('rotate@kv@stopped@1', ['Terminated']);

        const first = await scan();
        expect(first.announced.sort()).toEqual(['rotate@kv@crashed@1', 'rotate@kv@stopped@1']);
        const second = await scan();
        expect(second).toEqual({ announced: [], alreadyAnnounced: 2 });

        const events = f.records('event');
        expect(events.map((e) => e.id).sort()).toEqual([
            'rotate@kv@crashed@1:runtime-failed',
            'rotate@kv@stopped@1:runtime-terminated',
        ]);
        expect(events.every((e) => e.type === 'Rotation.Failed')).toBe(true);
        const crashed = events.find((e) => e.id === 'rotate@kv@crashed@1:runtime-failed')!.data as Record<
            string,
            unknown
        >;
        expect(crashed).toMatchObject({ secretName: 'crashed', rotationId: 'r-crashed', code: 'runtime_failed' });
        expect(String(crashed.detail)).toMatch(/Non-Deterministic workflow detected/);
    });

    it('two scans at the same time still announce a new failure once (conditional claim in the state store)', async () => {
        await start('rotate@kv@crashed@2', input('crashed-again', 'crash'));
        await f.host.waitForStatus('rotate@kv@crashed@2', ['Failed']);
        const [a, b] = await Promise.all([scan(), scan()]);
        expect([...a.announced, ...b.announced]).toEqual(['rotate@kv@crashed@2']);
        expect(f.records('event').filter((e) => e.id === 'rotate@kv@crashed@2:runtime-failed')).toHaveLength(1);
    });
});
