import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

import { afterAll, describe, expect, it } from 'vitest';

import { EmulatorClient, type EmulatorDescriptor } from '../sandbox/emulatorClient';
import { readSandboxState } from '../sandbox/sandboxState';

const ROOT = resolve(__dirname, '..', '..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

interface ReadyLine {
    ready: boolean;
    apiBaseUrl: string;
    dashboardUrl: string;
    emulator: EmulatorDescriptor;
    operator: { clientId: string; clientSecret: string; scope: string };
    rotator: { clientId: string; servicePrincipalId: string };
    stateDir: string;
    hostStateDir: string;
    hostKeysFile: string;
}

/**
 * Runs the README's pipeable command (`npm start -s -- --json …`) and resolves with the ready line and the time it
 * took. The ready line must be the FIRST stdout line, so `| head -n 1 | jq` works.
 */
async function npmStart(args: string[]): Promise<{ child: ChildProcess; ready: ReadyLine; seconds: number }> {
    const started = Date.now();
    // Its own process group, so stopping it can be a real Ctrl-C (SIGINT to the whole group).
    const child = spawn(NPM, ['start', '-s', '--', '--json', ...args], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
    });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const ready = await new Promise<ReadyLine>((resolveReady, reject) => {
        const timer = setTimeout(() => reject(new Error(`not ready in 90 s:\n${stderr}`)), 90_000);
        createInterface({ input: child.stdout }).once('line', (line) => {
            clearTimeout(timer);
            try {
                resolveReady(JSON.parse(line) as ReadyLine);
            } catch {
                reject(new Error(`the first stdout line is not the JSON ready line: ${line}`));
            }
        });
        child.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${stderr}`)));
    });
    return { child, ready, seconds: (Date.now() - started) / 1000 };
}

async function waitForInventory(apiBaseUrl: string, token: string): Promise<{ managed: number; unmanaged: number }> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
        const res = await fetch(`${apiBaseUrl}/credentials`, { headers: { authorization: `Bearer ${token}` } });
        expect(res.status).toBe(200);
        const body = (await res.json()) as { counts: { managed: number; unmanaged: number } | null };
        if (body.counts) return body.counts;
        await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error('no inventory within 60 s');
}

/** Command lines of live processes that mention `dir` (waits up to 15 s for them to go). */
async function processesUsing(dir: string): Promise<string[]> {
    const deadline = Date.now() + 15_000;
    for (;;) {
        const ps = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
        const found = ps.stdout.split('\n').filter((line) => line.includes(dir) && !line.startsWith('ps '));
        if (found.length === 0 || Date.now() > deadline) return found;
        await new Promise((r) => setTimeout(r, 500));
    }
}

/** Ctrl-C: SIGINT to the process group, as a terminal sends it. */
async function stop(child: ChildProcess): Promise<number | null> {
    if (child.exitCode !== null) return child.exitCode;
    return new Promise((done) => {
        const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 30_000);
        child.once('exit', (code) => {
            clearTimeout(timer);
            done(code);
        });
        process.kill(-child.pid!, 'SIGINT');
    });
}

describe('the sandbox (npm start, npm run demo, npm run audit)', () => {
    const dirs: string[] = [];
    const tempDir = (): string => {
        const dir = mkdtempSync(join(tmpdir(), 'rotator-sandbox-test-'));
        dirs.push(dir);
        return dir;
    };
    afterAll(() => {
        for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    });

    it('npm start -- --json is ready in under 60 s with the contract line, and Ctrl-C stops everything', async () => {
        const state = tempDir();
        const { child, ready, seconds } = await npmStart(['--state', state, '--port', '0']);
        try {
            expect(seconds).toBeLessThan(60);
            expect(ready.ready).toBe(true);
            expect(ready.apiBaseUrl).toMatch(/^http:\/\/localhost:\d+\/api$/);
            expect(ready.dashboardUrl).toMatch(/^http:\/\/localhost:\d+\/api\/dashboard$/);
            expect(ready.emulator.baseUrl).toMatch(/^https:\/\/localhost:\d+$/);
            expect(ready.emulator.principals.admin.clientId).toBeTruthy();
            expect(ready.operator.scope).toBe('api://entra-credential-rotator/.default');
            expect(ready.rotator.servicePrincipalId).toBeTruthy();
            expect(ready.stateDir).toBe(state);
            expect(ready.hostStateDir.startsWith(state)).toBe(true);

            // The local host keeps keys like the Functions host: owner-only file, 401 without a key.
            expect(statSync(ready.hostKeysFile).mode & 0o777).toBe(0o600);
            const hostUrl = ready.apiBaseUrl.replace(/\/api$/, '');
            const master = (JSON.parse(readFileSync(ready.hostKeysFile, 'utf8')) as { masterKey: { value: string } })
                .masterKey.value;
            const fire = (headers: Record<string, string>): Promise<Response> =>
                fetch(`${hostUrl}/admin/functions/scanCredentials`, {
                    method: 'POST',
                    headers: { 'content-type': 'application/json', ...headers },
                    body: '{}',
                });
            expect((await fire({})).status).toBe(401);
            expect((await fire({ 'x-functions-key': 'wrong' })).status).toBe(401);
            expect((await fire({ 'x-functions-key': master })).status).toBe(202);
            const webhook = await fetch(`${hostUrl}/runtime/webhooks/EventGrid?functionName=onKeyVaultEvent`, {
                method: 'POST',
                headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
                body: '[]',
            });
            expect(webhook.status).toBe(401);

            // The operator credentials in the line work against the API.
            const emu = new EmulatorClient(ready.emulator, readFileSync(ready.emulator.caCertPath, 'utf8'));
            const token = await emu.token(ready.operator.clientId, ready.operator.clientSecret, ready.operator.scope);
            const counts = await waitForInventory(ready.apiBaseUrl, token);
            expect(counts.managed).toBe(7);
            expect(counts.unmanaged).toBeGreaterThanOrEqual(18);
        } finally {
            await stop(child);
        }
        // Every process it started is gone (emulator, host, consumers): nothing refers to its state folder.
        expect(await processesUsing(state)).toEqual([]);
        await expect(fetch(`${ready.apiBaseUrl}/health`)).rejects.toThrow();
    }, 150_000);

    it('a restart keeps the emulator port: a token from before the restart still works (no iss error)', async () => {
        const state = tempDir();
        const first = await npmStart(['--state', state, '--port', '0', '--no-seed', '--clock-rate', '0']);
        let token: string;
        try {
            const emu = new EmulatorClient(first.ready.emulator, readFileSync(first.ready.emulator.caCertPath, 'utf8'));
            const op = first.ready.operator;
            token = await emu.token(op.clientId, op.clientSecret, op.scope);
        } finally {
            await stop(first.child);
        }
        const second = await npmStart(['--state', state, '--port', '0', '--no-seed', '--clock-rate', '0']);
        try {
            expect(second.ready.emulator.baseUrl).toBe(first.ready.emulator.baseUrl);
            const res = await fetch(`${second.ready.apiBaseUrl}/rotations`, {
                headers: { authorization: `Bearer ${token}` },
            });
            expect(res.status).toBe(200);
        } finally {
            await stop(second.child);
        }
    }, 150_000);

    it('npm start without --json narrates: rotation started, step done, waiting until', async () => {
        const state = tempDir();
        const child = spawn(NPM, ['start', '-s', '--', '--state', state, '--port', '0'], {
            cwd: ROOT,
            stdio: ['ignore', 'pipe', 'pipe'],
            detached: true,
        });
        let stdout = '';
        child.stdout?.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
        try {
            const deadline = Date.now() + 90_000;
            while (!/waiting +\S+: grace until \d{4}-/.test(stdout) && Date.now() < deadline) {
                await new Promise((r) => setTimeout(r, 500));
            }
            expect(stdout).toMatch(/Sandbox ready in/);
            expect(stdout).toMatch(/Sign in: +\S/);
            expect(stdout).toMatch(/rotation started +payroll-agent-secret/);
            expect(stdout).toMatch(/step done +payroll-agent-secret: preflight/);
            expect(stdout).toMatch(/waiting +\S+: grace until \d{4}-/);
            // The sandbox app signs in as its managed identity, like the deployed one: every token of the rotator's
            // that Graph and Key Vault accepted came from the identity endpoint.
            const { descriptor, tenant } = readSandboxState(state);
            const emu = new EmulatorClient(descriptor, readFileSync(descriptor.caCertPath, 'utf8'));
            const view = await emu.expectOk(
                emu.call<{ services: { entra: { tokenUse: Record<string, Record<string, Record<string, number>>> } } }>(
                    'GET',
                    '/_emulator/state',
                ),
                'emulator state',
            );
            const use = view.services.entra.tokenUse[tenant.rotator.clientId] ?? {};
            expect(use['https://graph.microsoft.com']?.['managed_identity']).toBeGreaterThan(0);
            expect(use['https://vault.azure.net']?.['managed_identity']).toBeGreaterThan(0);
            for (const [audience, grants] of Object.entries(use)) {
                expect(grants['client_credentials'], audience).toBeUndefined();
            }
        } finally {
            await stop(child);
        }
    }, 150_000);

    it('--no-seed gives an empty tenant with the same contract', async () => {
        const state = tempDir();
        const { child, ready } = await npmStart(['--state', state, '--port', '0', '--no-seed', '--clock-rate', '0']);
        try {
            const emu = new EmulatorClient(ready.emulator, readFileSync(ready.emulator.caCertPath, 'utf8'));
            const token = await emu.token(ready.operator.clientId, ready.operator.clientSecret, ready.operator.scope);
            const res = await fetch(`${ready.apiBaseUrl}/rotations`, { headers: { authorization: `Bearer ${token}` } });
            expect(res.status).toBe(200);
            expect(((await res.json()) as { total: number }).total).toBe(0);
        } finally {
            await stop(child);
        }
    }, 150_000);

    it('npm run audit -- --sandbox lists urgent credentials and (App Service mode) the pinned reference; the dry run names the pin; bad usage exits 2', async () => {
        const state = tempDir();
        const { child, ready } = await npmStart(['--state', state, '--port', '0', '--clock-rate', '0']);
        try {
            const audit = spawnSync(NPM, ['run', '-s', 'audit', '--', '--sandbox', '--state', state, '--json'], {
                cwd: ROOT,
                encoding: 'utf8',
                timeout: 60_000,
            });
            expect(audit.status).toBe(1);
            const result = JSON.parse(audit.stdout.trim().split('\n').pop()!) as {
                apps: number;
                urgent: { appDisplayName: string; managed: boolean; state: string }[];
                unmanagedApps: string[];
            };
            expect(result.apps).toBeGreaterThanOrEqual(25);
            expect(result.urgent.find((r) => r.appDisplayName === 'hr-portal')?.state).toBe('Expired');
            expect(result.unmanagedApps).toEqual(expect.arrayContaining(['hr-portal', 'marketing-site']));
            expect(result.unmanagedApps).not.toContain('payroll-agent');
            expect(audit.stderr).toMatch(/scanned \d+ apps/);

            // App Service mode: the five-minute audit of Key Vault references finds teams-agent's pin.
            const pins = spawnSync(
                NPM,
                ['run', '-s', 'audit', '--', '--sandbox', '--state', state, '--app-service', '--json'],
                { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
            );
            expect(pins.status).toBe(1);
            const found = JSON.parse(pins.stdout.trim().split('\n').pop()!) as {
                pinned: { site: string; setting: string; secretName: string; secretVersion: string }[];
                failures: unknown[];
            };
            expect(found.failures).toEqual([]);
            expect(found.pinned).toHaveLength(1);
            expect(found.pinned[0]).toMatchObject({ setting: 'GRAPH_CLIENT_SECRET', secretName: 'teams-agent-secret' });
            expect(found.pinned[0]?.site).toMatch(/\/sites\/teams-agent$/);

            // From outside: the dry run of teams-agent's secret reports the pin as blocking.
            const emu = new EmulatorClient(ready.emulator, readFileSync(ready.emulator.caCertPath, 'utf8'));
            const token = await emu.token(ready.operator.clientId, ready.operator.clientSecret, ready.operator.scope);
            const api = `${ready.apiBaseUrl}/rotations`;
            const started = await fetch(api, {
                method: 'POST',
                headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
                body: JSON.stringify({ secretName: 'teams-agent-secret', dryRun: true }),
            });
            expect(started.status).toBe(202);
            const { id } = (await started.json()) as { id: string };
            let dry: { status: string; findings: { severity: string; code: string; message: string }[] } | undefined;
            for (let i = 0; i < 60; i++) {
                const res = await fetch(`${api}/${encodeURIComponent(id)}`, {
                    headers: { authorization: `Bearer ${token}` },
                });
                dry = (await res.json()) as typeof dry;
                if (dry?.findings.some((f) => f.code === 'pinned_reference')) break;
                await new Promise((r) => setTimeout(r, 500));
            }
            const pin = dry?.findings.find((f) => f.code === 'pinned_reference');
            expect(pin?.severity).toBe('error');
            expect(pin?.message).toMatch(/teams-agent .* setting GRAPH_CLIENT_SECRET pins version \w+/);
        } finally {
            await stop(child);
        }
        const usage = spawnSync(NPM, ['run', '-s', 'audit', '--', '--sandbox', '--tenant', 'x'], {
            cwd: ROOT,
            encoding: 'utf8',
        });
        expect(usage.status).toBe(2);
        expect(usage.stderr).toMatch(/exactly one of --sandbox or --tenant/);
    }, 150_000);

    it('npm run demo exits 0: the pinned App Service app is refused before anything changes, the healthy one completes with its reference resolved', () => {
        const demo = spawnSync(NPM, ['run', '-s', 'demo'], { cwd: ROOT, encoding: 'utf8', timeout: 280_000 });
        expect(demo.status).toBe(0);
        const summary = JSON.parse(demo.stdout.trim().split('\n').pop()!) as {
            ok: boolean;
            rotations: { secretName: string; status: string }[];
            pinnedConsumer: { oldKeyStillPresent: boolean; credentialsNow: number; status: string; code: string };
            healthyConsumer: { status: string; evidence: string };
        };
        expect(summary.ok).toBe(true);
        expect(summary.pinnedConsumer).toMatchObject({
            oldKeyStillPresent: true,
            credentialsNow: 1,
            status: 'Failed',
            code: 'pinned_reference',
        });
        expect(summary.rotations.find((r) => r.secretName === 'teams-agent-secret')?.status).toBe('Failed');
        expect(summary.healthyConsumer.status).toBe('Completed');
        expect(summary.healthyConsumer.evidence).toMatch(
            /appServiceReference: payroll-agent-app re-resolved its Key Vault reference to the new version \w+/,
        );
        expect(summary.rotations.find((r) => r.secretName === 'payroll-agent-secret')?.status).toBe('Completed');
        expect(demo.stderr).toMatch(/What happened:/);
    }, 300_000);
});
