import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readRecords } from './fixtures/app/record';
import { startHost, type Host, type HostOptions } from './src/startHost';

export const FIXTURE_APP = path.join(__dirname, 'fixtures', 'app');
export const START = new Date('2026-03-01T00:00:00.000Z');

export interface FixtureHost {
    host: Host;
    dir: string;
    log: string;
    records(kind?: string): Array<Record<string, unknown> & { kind: string }>;
    dispose(): Promise<void>;
}

/** In-process host over the fixture app with a manual clock, a temp state dir and a temp execution log. */
export async function startFixtureHost(overrides: Partial<HostOptions> = {}, dir?: string): Promise<FixtureHost> {
    const workDir = dir ?? mkdtempSync(path.join(os.tmpdir(), 'host-test-'));
    const log = path.join(workDir, 'executions.log');
    const host = await startHost({
        appRoot: FIXTURE_APP,
        entry: 'index.ts',
        port: 0,
        stateDir: path.join(workDir, 'state'),
        clock: { manual: START },
        ...overrides,
        settings: {
            FIXTURE_LOG: log,
            TICK_SCHEDULE: '0 */5 * * * *',
            LOCAL_HOST_FUNCTION_KEY: 'fixture-function-key',
            LOCAL_HOST_MASTER_KEY: 'fixture-master-key',
            ...overrides.settings,
        },
    });
    return {
        host,
        dir: workDir,
        log,
        records: (kind) => readRecords(log).filter((r) => kind === undefined || r.kind === kind),
        async dispose() {
            await host.close();
            if (!dir) rmSync(workDir, { recursive: true, force: true });
        },
    };
}

export async function until<T>(probe: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const value = probe();
        if (value !== undefined && value !== false) return value;
        if (Date.now() > deadline) throw new Error('Condition not met in time');
        await new Promise((r) => setTimeout(r, 10));
    }
}

/** The URL with `code=<key>` added, as callers of the host's protected routes pass a key. */
export function withCode(url: string, key: string): string {
    const u = new URL(url);
    u.searchParams.set('code', key);
    return u.href;
}

/** A management API URL with the Durable extension's system key. */
export const durableUrl = (host: Host, path: string): string =>
    withCode(`${host.baseUrl}/runtime/webhooks/durabletask/${path}`, host.keys.systemKeys.durabletask_extension);

export async function postJson(url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
}
