/**
 * `npm run bench:rotations -- --n 300 --quota-scale 1`: N managed credentials all due at once, rotated by the real
 * app on the local host against the tenant emulator with its documented quotas on (scaled by `--quota-scale`),
 * driven by the timer scan. The app paces itself to the same share of each quota (QUOTA_SHARE_PERCENT).
 *
 * Method (as in the 2026-12 mass-rotation review): onboard N apps whose secret expires in 10 days, turn the limits
 * on, fire the scan, let the emulator clock run at wall speed, jump it past the grace period once every open
 * rotation waits there, and wait until every rotation is terminal. Graph traffic goes through a counting proxy.
 *
 * Prints one JSON line: n, outcomes, wall and virtual seconds (virtual excludes the grace jump), Graph writes /
 * reads / 429s per rotation (429s are the service's, the budget's own "not yet" never leaves the process), the
 * binding quota and the achieved rate on it as a fraction of its limit, peak RSS of the host and of this process
 * (emulator + proxy), and the load average.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { DOCUMENTED_QUOTAS, type QuotaName } from '../../shared/pacing/quotaBudget';
import { startEmulator } from '../emulator/core/server';
import { startAppHost } from '../sandbox/appHost';
import { EmulatorClient } from '../sandbox/emulatorClient';
import { enrollSeeded } from '../sandbox/enroll';
import { NO_EVIDENCE_SOURCE, seedTenant } from '../sandbox/seedTenant';
import { startCountingProxy } from '../e2e/support/countingProxy';

export interface RotationBenchOptions {
    readonly n: number;
    readonly quotaScale: number;
    /** Give up (and report what finished) after this many wall minutes. */
    readonly maxMinutes?: number;
    readonly log?: (line: string) => void;
}

export interface RotationBenchResult {
    readonly n: number;
    readonly quotaScale: number;
    readonly outcomes: Record<string, number>;
    readonly finished: boolean;
    readonly wallSeconds: number;
    readonly virtualSeconds: number;
    readonly graph: {
        readonly writesPerRotation: number;
        readonly readsPerRotation: number;
        readonly signInReadsPerRotation: number;
        readonly throttledPerRotation: number;
        /** Where the reads went: sign-in log, one application, the scan's listing or delta, service principals. */
        readonly readsPerRotationByKind: Record<string, number>;
    };
    readonly bindingQuota: QuotaName;
    readonly minimumSeconds: Record<string, number>;
    /** Calls per second over the span of that demand ÷ the quota's rate (1 = at the limit). */
    readonly achievedRate: Record<string, number>;
    readonly peakRssMb: { readonly host: number; readonly emulator: number };
    readonly loadAverage: readonly number[];
}

const GRACE_DAYS = 1;
const TERMINAL = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

interface InstanceView {
    instanceId: string;
    runtimeStatus: string;
    customStatus: {
        status?: string;
        steps?: { name: string; state: string; detail?: string }[];
        reason?: { code: string; message: string } | null;
    } | null;
}

export async function runRotationBench(options: RotationBenchOptions): Promise<RotationBenchResult> {
    const log = options.log ?? (() => {});
    const root = mkdtempSync(join(tmpdir(), 'bench-rotations-'));
    const emulator = await startEmulator({ stateDir: join(root, 'emulator') });
    const emu = new EmulatorClient(emulator, emulator.caCertPem);
    const proxy = await startCountingProxy(emulator);
    let host: Awaited<ReturnType<typeof startAppHost>> | undefined;
    let hostPeakKb = 0;
    try {
        await emu.expectOk(emu.call('POST', '/_emulator/faults', { tokenLifetimeClock: 'wall' }), 'faults');
        const specs = Array.from({ length: options.n }, (_, i) => ({
            displayName: `mass-${String(i).padStart(4, '0')}`,
            expiresInDays: 10,
            secretName: `mass-${String(i).padStart(4, '0')}-secret`,
            // No consumer here can show the new key in use: the waiver lets the sign-in log decide alone.
            tags: NO_EVIDENCE_SOURCE,
        }));
        const tenant = await seedTenant(emu, specs);
        log(`seeded ${options.n} managed credentials`);
        host = await startAppHost({
            emulator: emu,
            tenant,
            hostStateDir: join(root, 'host'),
            settings: {
                GRAPH_BASE_URL: proxy.url,
                GRACE_PERIOD_DAYS: String(GRACE_DAYS),
                QUOTA_SHARE_PERCENT: String(Math.max(1, Math.min(100, Math.round(options.quotaScale * 100)))),
            },
        });
        // An operator binds each secret to its credential (enrollment): tags alone never make the rotator act.
        const { clientId, clientSecret, scope } = tenant.operator;
        await enrollSeeded(host.baseUrl, await emu.token(clientId, clientSecret, scope), tenant.apps, 'benchmark');
        log(`enrolled ${options.n} managed credentials`);
        const hostPid = host.process.pid!;
        const sampleHost = () => (hostPeakKb = Math.max(hostPeakKb, peakRssKb(hostPid)));
        await emu.expectOk(
            emu.call('POST', '/_emulator/faults', {
                graph: { limits: true, limitScale: options.quotaScale },
                // Key Vault at its documented limits: the scale is about Graph (as in the review's runs).
                keyVault: { limits: true, limitScale: 1 },
            }),
            'turning the quotas on',
        );
        proxy.requests.length = 0;
        const started = Date.now();
        const virtualStart = (await emu.now()).getTime();
        let jumpedMs = 0;
        const fired = await fetch(`${host.baseUrl}/admin/functions/scanCredentials`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-functions-key': host.keys.masterKey },
            body: '{}',
        });
        if (fired.status !== 202) throw new Error(`firing the scan failed: ${fired.status}`);

        const deadline = started + (options.maxMinutes ?? 30) * 60_000;
        let instances: InstanceView[] = [];
        let finished = false;
        let lastReport = 0;
        while (Date.now() < deadline) {
            await new Promise((r) => setTimeout(r, 2_000));
            sampleHost();
            instances = await listInstances(host.baseUrl, host.keys.systemKeys.durabletask_extension);
            const open = instances.filter((i) => !TERMINAL.has(i.runtimeStatus));
            if (instances.length >= options.n && open.length === 0) {
                finished = true;
                break;
            }
            const inGrace = open.filter((i) =>
                i.customStatus?.steps?.some((s) => s.name === 'grace' && s.state === 'waiting'),
            );
            if (instances.length >= options.n && open.length > 0 && inGrace.length === open.length) {
                const seconds = GRACE_DAYS * 86_400 + 3_600;
                await emu.expectOk(emu.call('POST', '/_emulator/clock', { advanceSeconds: seconds }), 'clock jump');
                jumpedMs += seconds * 1000;
                log(`jumped the clock ${seconds} s past the grace period (${open.length} open)`);
            }
            // The usage gate waits for the sign-in log after its own sign-in (SIGNIN_LOG_LATENCY_MINUTES): move on.
            const atGate = open.filter((i) =>
                i.customStatus?.steps?.some(
                    (s) =>
                        s.name === 'usageGate' &&
                        s.state === 'waiting' &&
                        /sign-in log to take in/.test(s.detail ?? ''),
                ),
            );
            if (instances.length >= options.n && open.length > 0 && atGate.length === open.length) {
                await emu.expectOk(emu.call('POST', '/_emulator/clock', { advanceSeconds: 3_600 }), 'clock jump');
                jumpedMs += 3_600_000;
            }
            if (Date.now() - lastReport > 30_000) {
                lastReport = Date.now();
                log(
                    `${Math.round((Date.now() - started) / 1000)} s: ${instances.length} started, ${open.length} open, ${inGrace.length} in grace`,
                );
            }
        }
        const wallSeconds = (Date.now() - started) / 1000;
        const virtualSeconds = ((await emu.now()).getTime() - virtualStart - jumpedMs) / 1000;
        sampleHost();

        const outcomes: Record<string, number> = {};
        for (const i of instances) {
            const status = i.customStatus?.status ?? i.runtimeStatus;
            const key = TERMINAL.has(i.runtimeStatus) ? status : `open:${status}`;
            outcomes[key] = (outcomes[key] ?? 0) + 1;
            const reason = i.customStatus?.reason;
            if (reason && status !== 'Completed') log(`${i.instanceId}: ${status} ${reason.code}: ${reason.message}`);
        }
        const graph = proxy.requests;
        const writes = graph.filter((r) => r.method !== 'GET' && r.status !== 429);
        const reads = graph.filter((r) => r.method === 'GET' && r.status !== 429);
        const signIns = reads.filter((r) => /\/auditLogs\//i.test(r.path));
        const throttled = graph.filter((r) => r.status === 429);
        const n = Math.max(1, instances.length);
        // Which calls the reads and writes are, per rotation (ids folded), so a change in the totals can be explained.
        const byKind: Record<string, number> = {};
        for (const r of graph.filter((c) => c.status !== 429)) {
            const kind = `${r.method} ${r.path.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/gi, '{id}').replace(/'[^']*'/g, "'…'")}`;
            byKind[kind] = (byKind[kind] ?? 0) + 1;
        }
        log(
            `graph calls per rotation: ${Object.entries(byKind)
                .sort(([, a], [, b]) => b - a)
                .map(([kind, count]) => `${kind} ${round(count / n)}`)
                .join('; ')}`,
        );
        // Each quota's floor: the calls it had to serve ÷ its (scaled) rate. The largest floor binds.
        const rate = (q: QuotaName) =>
            Math.max(1, Math.floor(DOCUMENTED_QUOTAS[q].limit * options.quotaScale)) /
            DOCUMENTED_QUOTAS[q].windowSeconds;
        const minimumSeconds = {
            graphWrites: round(writes.length / rate('graphWrites')),
            signInReads: round(signIns.length / rate('signInReads')),
        };
        const bindingQuota: QuotaName =
            minimumSeconds.signInReads >= minimumSeconds.graphWrites ? 'signInReads' : 'graphWrites';
        // Creates all come before the grace jump with nothing else on the write quota, so their span is where
        // writes are the bottleneck (when they are); deletes are spaced by the usage gate's sign-in reads.
        const creates = writes.filter((r) => /\/addPassword$/i.test(r.path));
        const achievedRate = {
            graphWritesWhileCreating: round(achieved(creates, rate('graphWrites'))),
            signInReads: round(achieved(signIns, rate('signInReads'))),
        };
        return {
            n: options.n,
            quotaScale: options.quotaScale,
            outcomes,
            finished,
            wallSeconds: round(wallSeconds),
            virtualSeconds: round(virtualSeconds),
            graph: {
                writesPerRotation: round(writes.length / n),
                readsPerRotation: round(reads.length / n),
                signInReadsPerRotation: round(signIns.length / n),
                throttledPerRotation: round(throttled.length / n),
                readsPerRotationByKind: readsByKind(reads, n),
            },
            bindingQuota,
            minimumSeconds,
            achievedRate,
            peakRssMb: {
                host: Math.round(hostPeakKb / 1024),
                emulator: Math.round(process.resourceUsage().maxRSS / 1024),
            },
            loadAverage: loadavg().map((l) => round(l)),
        };
    } finally {
        await host?.close();
        await proxy.close();
        await emulator.close();
        rmSync(root, { recursive: true, force: true });
    }
}

/** Calls per second from the first to the last of them, as a fraction of the quota's rate. */
function achieved(calls: readonly { at: number }[], perSecond: number): number {
    if (calls.length < 2) return 0;
    const times = calls.map((c) => c.at);
    const spanSeconds = (Math.max(...times) - Math.min(...times)) / 1000;
    return spanSeconds > 0 ? (calls.length - 1) / spanSeconds / perSecond : 0;
}

async function listInstances(baseUrl: string, durableKey: string): Promise<InstanceView[]> {
    const all: InstanceView[] = [];
    let continuation: string | null = null;
    do {
        const response: Response = await fetch(
            `${baseUrl}/runtime/webhooks/durabletask/instances?showInput=false&top=500&instanceIdPrefix=rotate`,
            {
                headers: {
                    'x-functions-key': durableKey,
                    ...(continuation ? { 'x-ms-continuation-token': continuation } : {}),
                },
            },
        );
        if (!response.ok) throw new Error(`listing instances: ${response.status}`);
        all.push(...((await response.json()) as InstanceView[]));
        continuation = response.headers.get('x-ms-continuation-token');
    } while (continuation);
    return all.filter((i) => !i.instanceId.includes('@dryrun@'));
}

function peakRssKb(pid: number): number {
    try {
        const match = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        return match ? Number(match[1]) : 0;
    } catch {
        return 0;
    }
}

const round = (x: number) => Math.round(x * 100) / 100;

if (require.main === module) {
    const { values } = parseArgs({
        options: {
            n: { type: 'string', default: '300' },
            'quota-scale': { type: 'string', default: '1' },
            'max-minutes': { type: 'string', default: '30' },
            help: { type: 'boolean', default: false },
        },
    });
    if (values.help) {
        process.stdout.write(
            'Usage: npm run bench:rotations -- [--n 300] [--quota-scale 1] [--max-minutes 30]\n' +
                'Rotates N managed credentials due at once under the emulated Graph/Key Vault quotas (scaled by\n' +
                '--quota-scale; the app paces itself to the same share) and prints one JSON line.\n',
        );
        process.exit(0);
    }
    const n = Number(values.n);
    const quotaScale = Number(values['quota-scale']);
    if (!Number.isInteger(n) || n < 1 || !(quotaScale > 0 && quotaScale <= 1)) {
        process.stderr.write('--n must be a positive integer and --quota-scale in (0, 1]\n');
        process.exit(2);
    }
    runRotationBench({
        n,
        quotaScale,
        maxMinutes: Number(values['max-minutes']),
        log: (line) => process.stderr.write(`${line}\n`),
    }).then(
        (result) => {
            process.stdout.write(`${JSON.stringify(result)}\n`);
            process.exit(0);
        },
        (error: unknown) => {
            process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
            process.exit(1);
        },
    );
}

function readsByKind(reads: readonly { path: string }[], n: number): Record<string, number> {
    const kinds: Record<string, number> = {};
    for (const r of reads) {
        const path = r.path.split('?')[0] ?? '';
        const kind = /\/auditLogs\//i.test(path)
            ? 'signInLog'
            : /\/applications\/delta/i.test(path)
              ? 'applicationsDelta'
              : /\/applications\/[^/]+\/owners/i.test(path)
                ? 'owners'
                : /\/applications\/[^/]+/i.test(path) || /\/applications\(/i.test(path)
                  ? 'application'
                  : /\/applications$/i.test(path)
                    ? 'applicationsList'
                    : /\/servicePrincipals/i.test(path)
                      ? 'servicePrincipal'
                      : 'other';
        kinds[kind] = (kinds[kind] ?? 0) + 1;
    }
    return Object.fromEntries(Object.entries(kinds).map(([k, v]) => [k, round(v / n)]));
}
