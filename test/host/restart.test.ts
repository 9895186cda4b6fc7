import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { readRecords } from './fixtures/app/record';
import { FIXTURE_APP, postJson, startFixtureHost, until } from './helpers';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(__dirname, 'cli.ts');
const children: ChildProcess[] = [];

/** Runs the host CLI as a real child process (so kill -9 kills the host, not the test). */
async function spawnHost(
    settingsFile: string,
    stateDir: string,
): Promise<{ child: ChildProcess; baseUrl: string; durableKey: string }> {
    const env = { ...process.env };
    delete env.FIXTURE_LOG;
    delete env.STEP_GATE;
    const args = ['--require', 'tsx/cjs', CLI, '--settings', settingsFile, '--app', FIXTURE_APP];
    const child = spawn(process.execPath, [...args, '--entry', 'index.ts', '--port', '0', '--state', stateDir], {
        cwd: REPO_ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const lines = createInterface({ input: child.stdout });
    const ready = await new Promise<{ baseUrl: string; systemKeys: Record<string, string> }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`host did not start: ${stderr}`)), 30_000);
        lines.once('line', (line) => {
            clearTimeout(timer);
            resolve(JSON.parse(line) as { baseUrl: string; systemKeys: Record<string, string> });
        });
        child.once('exit', (code) => reject(new Error(`host exited ${code}: ${stderr}`)));
    });
    return { child, baseUrl: ready.baseUrl, durableKey: ready.systemKeys.durabletask_extension ?? '' };
}

async function statusOf(
    host: { baseUrl: string; durableKey: string },
    id: string,
): Promise<{ runtimeStatus: string; output: unknown }> {
    const res = await fetch(`${host.baseUrl}/runtime/webhooks/durabletask/instances/${id}`, {
        headers: { 'x-functions-key': host.durableKey },
    });
    return (await res.json()) as { runtimeStatus: string; output: unknown };
}

afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

describe('crash and restart', () => {
    it('resumes after kill -9 mid-orchestration without re-running completed activities', async () => {
        const dir = mkdtempSync(path.join(os.tmpdir(), 'host-kill-'));
        const log = path.join(dir, 'executions.log');
        const gate = path.join(dir, 'gate');
        const settings = path.join(dir, 'local.settings.json');
        writeFileSync(
            settings,
            JSON.stringify({
                IsEncrypted: false,
                Values: { FIXTURE_LOG: log, STEP_GATE: gate, TICK_SCHEDULE: '0 0 0 1 1 *' },
            }),
        );
        const stateDir = path.join(dir, 'state');
        try {
            const first = await spawnHost(settings, stateDir);
            expect(first.baseUrl).toMatch(/^http:\/\/localhost:\d+$/);
            expect((await postJson(`${first.baseUrl}/api/orchestrators/crashy/crash-1`)).status).toBe(202);
            // Step "one" completed and checkpointed; step "two" is in flight, blocked on the gate.
            await until(() => readRecords(log).some((r) => r.kind === 'StepStart' && r.name === 'two'), 20_000);
            const exited = new Promise((resolve) => first.child.once('exit', resolve));
            first.child.kill('SIGKILL');
            await exited;

            writeFileSync(gate, 'open');
            const second = await spawnHost(settings, stateDir);
            let status = await statusOf(second, 'crash-1');
            const deadline = Date.now() + 20_000;
            while (status.runtimeStatus !== 'Completed' && Date.now() < deadline) {
                await new Promise((r) => setTimeout(r, 50));
                status = await statusOf(second, 'crash-1');
            }
            expect(status).toMatchObject({
                runtimeStatus: 'Completed',
                output: ['one done', 'two done', 'three done'],
            });
            const records = readRecords(log);
            const count = (kind: string, name: string): number =>
                records.filter((r) => r.kind === kind && r.name === name).length;
            expect(count('Step', 'one')).toBe(1); // completed before the kill: not re-run
            expect(count('StepStart', 'two')).toBe(2); // interrupted: at-least-once
            expect(count('Step', 'two')).toBe(1);
            expect(count('Step', 'three')).toBe(1);
            second.child.kill('SIGTERM');
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it('chaos: a crash after the side effect re-runs only that activity after restart', async () => {
        const dir = mkdtempSync(path.join(os.tmpdir(), 'host-chaos-'));
        try {
            const a = await startFixtureHost({ timerTriggers: false }, dir);
            const crashAt = await fetch(`${a.host.baseUrl}/admin/host/chaos?code=fixture-master-key`, {
                method: 'POST',
                body: JSON.stringify({ crashAfter: { activity: 'Say' } }),
            });
            expect(crashAt.status).toBe(200);
            await a.host.runtime.startNew('sequence', 'c-1', JSON.stringify(['Nairobi', 'Quito']));
            await a.host.crashed;
            await a.host.close();
            expect(a.records('Say').map((r) => r.city)).toEqual(['Nairobi']);

            const b = await startFixtureHost({ timerTriggers: false }, dir);
            const done = await b.host.waitForStatus('c-1', ['Completed']);
            expect(JSON.parse(done.output ?? 'null')).toEqual(['Hello Nairobi', 'Hello Quito']);
            // The side effect happened twice (before the crash and after restart); the result was recorded once.
            expect(b.records('Say').map((r) => r.city)).toEqual(['Nairobi', 'Nairobi', 'Quito']);
            await b.host.close();
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it('chaos: run an activity twice, and fail the next N calls', async () => {
        const f = await startFixtureHost({ timerTriggers: false });
        try {
            f.host.chaos.runTwice('Say');
            await f.host.runtime.startNew('sequence', 'dup-1', JSON.stringify(['Accra']));
            const done = await f.host.waitForStatus('dup-1', ['Completed']);
            expect(JSON.parse(done.output ?? 'null')).toEqual(['Hello Accra']);
            expect(f.records('Say')).toHaveLength(2);
            expect(f.host.chaos.stats.duplicated).toBe(1);

            f.host.chaos.failNext(1, 'Say', 'injected');
            await f.host.runtime.startNew('sequence', 'fail-1', JSON.stringify(['Baku']));
            const failed = await f.host.waitForStatus('fail-1', ['Failed']);
            expect(String(JSON.parse(failed.output ?? '""'))).toContain("Activity function 'Say' failed: injected");
            expect(f.records('Say').filter((r) => r.city === 'Baku')).toHaveLength(0);
        } finally {
            await f.dispose();
        }
    });

    it('FailureDetails mode: the orchestrator sees a TaskFailedError', async () => {
        const f = await startFixtureHost({ timerTriggers: false, activityFailureDetails: true });
        try {
            f.host.chaos.failNext(1, 'Say', 'boom');
            await f.host.runtime.startNew('catcher', 'fd-1', null);
            const done = await f.host.waitForStatus('fd-1', ['Completed']);
            expect(JSON.parse(done.output ?? 'null')).toEqual({ name: 'TaskFailedError', message: 'Error: boom' });
        } finally {
            await f.dispose();
        }
    });
});
