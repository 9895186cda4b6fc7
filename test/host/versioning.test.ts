import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import type { ManualClock } from './src/clock/clock';
import { durableUrl, postJson, startFixtureHost, until, type FixtureHost } from './helpers';

const DAY_S = 86_400;
const dirs: string[] = [];
afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function host(entry: string, dir: string): Promise<FixtureHost> {
    return startFixtureHost({ entry: `deploys/${entry}.ts`, timerTriggers: false }, dir);
}

/**
 * Deploying a changed orchestrator while instances sleep in a timer (the rotation's grace period). The same
 * host state survives the "deploy" (a restart on another entry point), as the task hub survives a real one.
 */
async function deployWhileSleeping(release2: string): Promise<{ status: string; output: unknown; steps: string[] }> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'deploy-'));
    dirs.push(dir);
    const r1 = await host('release1', dir);
    const started = await postJson(durableUrl(r1.host, 'orchestrators/rotate/inst-1'));
    expect(started.status).toBe(202);
    await until(() => r1.records('Mark').length === 1);
    await r1.host.idle();
    expect(r1.host.runtime.store.get('inst-1')?.runtimeStatus).toBe('Running'); // asleep in grace
    await r1.host.close();

    const r2 = await host(release2, dir);
    try {
        (r2.host.clock as ManualClock).advance(8 * DAY_S * 1000);
        await r2.host.waitForStatus('inst-1', ['Completed', 'Failed']);
        const record = r2.host.runtime.store.get('inst-1');
        return {
            status: record?.runtimeStatus ?? 'missing',
            output: JSON.parse(record?.output ?? 'null'),
            steps: r2.records('Mark').map((r) => String(r.step)),
        };
    } finally {
        await r2.dispose();
    }
}

describe('deploying a changed orchestrator while instances sleep in grace', () => {
    it('in place (same name, new step sequence): the sleeping instance fails with non-determinism', async () => {
        const result = await deployWhileSleeping('release2-in-place');
        expect(result.status).toBe('Failed');
        expect(String(result.output)).toMatch(/Non-Deterministic workflow detected/);
        expect(result.steps).toEqual(['publish']);
    });

    it('versioned names (release 1 keeps its name and code): the sleeping instance finishes as release 1', async () => {
        const result = await deployWhileSleeping('release2-versioned');
        expect(result.status).toBe('Completed');
        expect(result.output).toBe('v1 done');
        expect(result.steps).toEqual(['publish', 'delete-old']);
    });
});
