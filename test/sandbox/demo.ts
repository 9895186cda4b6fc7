/**
 * `npm run demo`: the sandbox story, scripted. Starts a fresh sandbox with a fast clock, waits until every managed
 * secret that was due at start has reached a terminal rotation state, prints a short human summary and then one
 * JSON summary line, and exits 0 — or 1 when something did not end as the story says it must.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { type CommandSpec, intOption, numberOption, parseCommandLine } from '../support/cli';
import { type Sandbox, startSandbox } from './sandbox';
import { DUE_AT_START } from './tenantSpec';

const DEMO_COMMAND = {
    command: 'npm run demo --',
    summary:
        'The sandbox story, scripted: starts a fresh sandbox with a fast clock, waits until every managed secret\n' +
        'that was due at start has a finished rotation, prints what happened and one JSON summary line on stdout.',
    options: {
        port: { type: 'string', default: '0' },
        state: { type: 'string' },
        'clock-rate': { type: 'string', default: '10800' },
        'timeout-seconds': { type: 'string', default: '240' },
    },
    help: [
        ['--port N', "the app's port (default 0: a free one, so it never collides with npm start)"],
        ['--state DIR', 'state folder: wiped at the start, kept at the end (default: a temporary folder, removed)'],
        ['--clock-rate R', 'virtual seconds per real second (default 10800: three hours per second)'],
        ['--timeout-seconds S', 'give up after this many real seconds (default 240)'],
    ],
    epilog:
        'Exit codes: 0 the story played out (teams-agent refused at preflight for its version-pinned App Service\n' +
        'setting, no credential created; payroll-agent Completed with its reference resolved as evidence), 1 it did not\n' +
        'or the sandbox failed, 2 bad usage.',
} as const satisfies CommandSpec<Record<string, { type: 'string'; default?: string }>>;

interface RotationItem {
    secretName: string;
    status: string;
    appId: string | null;
    oldKeyId: string | null;
    newKeyId: string | null;
    outcome: { code: string; message: string } | null;
    createdAt: string | null;
    steps?: { name: string; state: string; detail: string }[];
}

const TERMINAL = new Set(['Completed', 'Failed', 'AttentionRequired', 'Terminated']);

async function main(): Promise<void> {
    const options = parseCommandLine(DEMO_COMMAND, (v) => ({
        port: intOption('port', v.port, 0, 65535),
        state: v.state,
        clockRate: numberOption('clock-rate', v['clock-rate'], 1),
        timeoutSeconds: intOption('timeout-seconds', v['timeout-seconds'], 1, 86_400),
    }));
    const stateDir = options.state ?? mkdtempSync(join(tmpdir(), 'rotator-demo-'));
    const say = (line: string): void => void process.stderr.write(`${line}\n`);
    const sandbox = await startSandbox({
        stateDir,
        // A kept folder from an earlier run would start mid-story.
        reset: options.state !== undefined,
        clockRate: options.clockRate,
        hostPort: options.port,
        log: (l) => say(`demo: ${l}`),
    });
    let exitCode = 1;
    try {
        const deadline = Date.now() + options.timeoutSeconds * 1000;
        let latest = new Map<string, RotationItem>();
        for (;;) {
            latest = await latestRotations(sandbox);
            const pending = DUE_AT_START.filter((name) => !TERMINAL.has(latest.get(name)?.status ?? ''));
            if (pending.length === 0) break;
            if (Date.now() > deadline) throw new Error(`timed out; still running: ${pending.join(', ')}`);
            await new Promise((r) => setTimeout(r, 1_000));
        }
        const pinned = sandbox.tenant.apps.find((a) => a.displayName === 'teams-agent')!;
        const pinnedKeys = await passwordKeyIds(sandbox, pinned.appId);
        const pinnedRotation = latest.get(pinned.secretName!);
        const pinnedOldKeyKept = pinnedKeys.includes(pinned.keyId);
        // Refused before anything changed: the app still has exactly the credential it started with.
        const nothingCreated = pinnedKeys.length === 1 && pinnedOldKeyKept;
        const refusedForPin =
            pinnedRotation?.status === 'Failed' && pinnedRotation.outcome?.code === 'pinned_reference';
        const healthy = latest.get('payroll-agent-secret');
        const evidence = healthy?.steps?.find((s) => s.name === 'confirm')?.detail ?? '';
        const referenceResolved = /appServiceReference: payroll-agent-app re-resolved/.test(evidence);
        const rows = DUE_AT_START.map((name) => ({ secretName: name, ...summarize(latest.get(name)) }));
        say('');
        say('What happened:');
        for (const row of rows) say(`  ${row.secretName.padEnd(24)} ${row.status.padEnd(18)} ${row.detail}`);
        say('');
        say(
            refusedForPin && nothingCreated
                ? 'teams-agent runs on App Service with a setting pinned to an old Key Vault secret version. The rotator\n' +
                      'read its Key Vault references through Resource Manager before touching anything and refused the\n' +
                      'rotation: no credential was created, the old one still works. Rotating anyway was the Ghent outage.'
                : 'UNEXPECTED: the pinned consumer story did not play out (see the JSON line).',
        );
        say(
            healthy?.status === 'Completed' && referenceResolved
                ? `payroll-agent's setting follows the latest version: after publish its references were refreshed and\nresolved again (confirm: ${evidence}).`
                : 'UNEXPECTED: payroll-agent did not complete with its reference resolved (see the JSON line).',
        );
        const ok = refusedForPin && nothingCreated && healthy?.status === 'Completed' && referenceResolved;
        process.stdout.write(
            `${JSON.stringify({
                ok,
                rotations: rows,
                pinnedConsumer: {
                    secretName: pinned.secretName,
                    oldKeyId: pinned.keyId,
                    oldKeyStillPresent: pinnedOldKeyKept,
                    credentialsNow: pinnedKeys.length,
                    status: pinnedRotation?.status ?? null,
                    code: pinnedRotation?.outcome?.code ?? null,
                },
                healthyConsumer: { secretName: 'payroll-agent-secret', status: healthy?.status ?? null, evidence },
            })}\n`,
        );
        exitCode = ok ? 0 : 1;
    } finally {
        await sandbox.stop();
        if (options.state === undefined) rmSync(stateDir, { recursive: true, force: true });
    }
    process.exit(exitCode);
}

/** The newest rotation per secret, through the operator API like any client would. */
async function latestRotations(sandbox: Sandbox): Promise<Map<string, RotationItem>> {
    const { clientId, clientSecret, scope } = sandbox.tenant.operator;
    const token = await sandbox.emu.token(clientId, clientSecret, scope);
    const res = await fetch(`${sandbox.host.baseUrl}/api/rotations?top=100`, {
        headers: { authorization: `Bearer ${token}` },
    });
    const body = (await res.json()) as { items?: RotationItem[] };
    const latest = new Map<string, RotationItem>();
    for (const item of body.items ?? []) {
        const seen = latest.get(item.secretName);
        if (!seen || (item.createdAt ?? '') > (seen.createdAt ?? '')) latest.set(item.secretName, item);
    }
    return latest;
}

async function passwordKeyIds(sandbox: Sandbox, appId: string): Promise<string[]> {
    const token = await sandbox.emu.adminToken('https://graph.microsoft.com/.default');
    const res = await sandbox.emu.call<{ passwordCredentials: { keyId: string }[] }>(
        'GET',
        `/v1.0/applications(appId='${appId}')?$select=passwordCredentials`,
        undefined,
        { authorization: `Bearer ${token}` },
    );
    return res.body.passwordCredentials.map((p) => p.keyId);
}

function summarize(item: RotationItem | undefined): { status: string; detail: string } {
    if (!item) return { status: 'not started', detail: '' };
    if (item.status === 'Completed')
        return {
            status: item.status,
            detail: `old key ${short(item.oldKeyId)} deleted, new key ${short(item.newKeyId)}`,
        };
    return { status: item.status, detail: `${item.outcome?.code ?? ''}: ${item.outcome?.message ?? ''}` };
}

function short(id: string | null): string {
    return id ? `${id.slice(0, 8)}…` : '-';
}

main().catch((error: unknown) => {
    process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
});
