/**
 * `npm run bench:scan -- --apps 100000 --page-latency-ms 200`: seeds the tenant emulator in bulk, makes every
 * Graph request take `--page-latency-ms`, runs the product's real scan in a child process (`scanChild.ts`) and
 * prints one JSON line: {"apps","credentials","pages","seconds","idealSeconds","ratio","peakRssMb"}.
 * `idealSeconds` = pages × latency (a scan can do no better, since each page's nextLink comes with the page);
 * `peakRssMb` is the scanning process's peak RSS (the emulator runs in this process and is not counted).
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { startEmulator } from '../emulator/core/server';
import { EmulatorClient } from '../sandbox/emulatorClient';
import { type BareResult, type ChildInput, type ChildResult } from './scanChild';

export interface ScanBenchOptions {
    readonly apps: number;
    readonly pageLatencyMs: number;
    readonly passwordsPerApp?: number;
    /** Also time a bare keep-alive HTTPS client over the same pages: the floor the emulator itself allows. */
    readonly baseline?: boolean;
    /**
     * The delta path: a first scan (full sync through the product's change-tracking scanner), then this fraction
     * of the applications gets a new password, then the measured scan reads only the changes.
     */
    readonly deltaChangeFraction?: number;
}

export interface ScanBenchResult {
    readonly apps: number;
    readonly credentials: number;
    readonly pages: number;
    readonly seconds: number;
    readonly idealSeconds: number;
    readonly ratio: number;
    readonly peakRssMb: number;
    /** With deltaChangeFraction: the full sync's and the delta pass's Graph pages. */
    readonly delta?: { readonly changed: number; readonly fullSync: unknown; readonly deltaPass: unknown };
}

const CHILD = resolve(__dirname, 'scanChild.ts');
const SEED_CHUNK = 50_000;

export async function runScanBench(options: ScanBenchOptions): Promise<ScanBenchResult> {
    const emulator = await startEmulator();
    try {
        const emu = new EmulatorClient(emulator, emulator.caCertPem);
        for (let seeded = 0; seeded < options.apps; seeded += SEED_CHUNK) {
            await emu.expectOk(
                emu.call('POST', '/_emulator/entra/seed', {
                    count: Math.min(SEED_CHUNK, options.apps - seeded),
                    displayNamePrefix: `bench-${seeded}-`,
                    passwordsPerApp: options.passwordsPerApp ?? 1,
                }),
                'bulk seeding',
            );
        }
        // The scanner's identity: read-only Graph access and Key Vault listing, as a least-privilege scan needs.
        const { applications } = await emu.expectOk(
            emu.call<{ applications: { appId: string; servicePrincipalId: string; clientSecret: string }[] }>(
                'POST',
                '/_emulator/entra/seed',
                {
                    applications: [
                        {
                            displayName: 'bench-scanner',
                            roles: [{ resource: 'https://graph.microsoft.com', role: 'Application.Read.All' }],
                        },
                    ],
                },
            ),
            'seeding the scanner',
        );
        const scanner = applications[0];
        if (!scanner) throw new Error('seeding the scanner failed');
        await emu.expectOk(
            emu.call('POST', '/_emulator/keyVault/roleAssignments', {
                principalId: scanner.servicePrincipalId,
                role: 'Key Vault Secrets User',
            }),
            'granting Key Vault access',
        );
        await emu.expectOk(
            emu.call('POST', '/_emulator/faults', { graph: { responseTimeMs: options.pageLatencyMs } }),
            'injecting page latency',
        );
        const input: ChildInput = {
            tenantId: emulator.tenantId,
            authorityHost: emulator.authorityHost,
            graphBaseUrl: emulator.graphBaseUrl,
            vaultUrl: emulator.vaultUrl,
            clientId: scanner.appId,
            clientSecret: scanner.clientSecret,
            topicEndpoint: emulator.eventGrid.topicEndpoint,
            topicKey: emulator.eventGrid.topicKey,
            now: (await emu.now()).toISOString(),
        };
        let deltaReport: ScanBenchResult['delta'];
        let child: ChildResult;
        if (options.deltaChangeFraction !== undefined) {
            const deltaStateDir = join(emulator.stateDir, 'scan-state');
            const first = await runChild({ ...input, deltaStateDir }, emulator.caCertPath);
            const changed = await changeSome(emu, options.deltaChangeFraction);
            child = await runChild({ ...input, deltaStateDir }, emulator.caCertPath);
            deltaReport = { changed, fullSync: first.delta, deltaPass: child.delta };
            if (child.delta) child = { ...child, pages: child.delta.graphPages };
        } else {
            child = await runChild(input, emulator.caCertPath);
        }
        process.stderr.write(
            `scan: ${round(child.waitSeconds, 2)} s waiting for pages, ${round(child.seconds - child.waitSeconds, 2)} s own work; ` +
                `${child.rotationsRequested} rotation(s) requested, ${child.alertsSent} alert(s)\n`,
        );
        if (options.baseline) {
            const floor = await runChild<BareResult>({ ...input, bare: true }, emulator.caCertPath);
            process.stderr.write(
                `baseline: a bare HTTPS client in a process of its own lists the same ${floor.pages} pages in ` +
                    `${round(floor.seconds, 2)} s (ratio ${round(floor.seconds / ((floor.pages * options.pageLatencyMs) / 1000), 3)})\n`,
            );
        }
        const idealSeconds = (child.pages * options.pageLatencyMs) / 1000;
        return {
            apps: child.apps,
            credentials: child.credentials,
            pages: child.pages,
            seconds: round(child.seconds, 2),
            idealSeconds: round(idealSeconds, 2),
            ratio: round(idealSeconds > 0 ? child.seconds / idealSeconds : Number.NaN, 3),
            peakRssMb: child.peakRssMb,
            ...(deltaReport ? { delta: deltaReport } : {}),
        };
    } finally {
        await emulator.close();
        rmSync(emulator.stateDir, { recursive: true, force: true });
    }
}

/** Adds a password to `fraction` of the applications, as the tenant's admin (what the delta pass must find). */
async function changeSome(emu: EmulatorClient, fraction: number): Promise<number> {
    const token = await emu.adminToken('https://graph.microsoft.com/.default');
    const ids: string[] = [];
    let path: string | undefined = '/v1.0/applications?$select=id&$top=999';
    while (path) {
        const res: { body: { value: { id: string }[]; '@odata.nextLink'?: string } } = await emu.call(
            'GET',
            path,
            undefined,
            {
                authorization: `Bearer ${token}`,
            },
        );
        ids.push(...res.body.value.map((a) => a.id));
        path = res.body['@odata.nextLink']?.replace(/^https:\/\/[^/]+/, '');
    }
    const step = Math.max(1, Math.round(1 / fraction));
    const chosen = ids.filter((_, i) => i % step === 0);
    for (let i = 0; i < chosen.length; i += 20) {
        await Promise.all(
            chosen.slice(i, i + 20).map((id) =>
                emu.expectOk(
                    emu.call(
                        'POST',
                        `/v1.0/applications/${id}/addPassword`,
                        { passwordCredential: { displayName: 'changed' } },
                        {
                            authorization: `Bearer ${token}`,
                        },
                    ),
                    'changing an application',
                ),
            ),
        );
    }
    return chosen.length;
}

function runChild<T = ChildResult>(input: ChildInput, caCertPath: string): Promise<T> {
    return new Promise((resolveChild, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
            cwd: join(__dirname, '..', '..'),
            env: { ...process.env, NODE_EXTRA_CA_CERTS: caCertPath },
            stdio: ['pipe', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
        child.on('error', reject);
        child.on('exit', (code) => {
            const line = stdout.trim().split('\n').at(-1) ?? '';
            if (code !== 0 || !line) {
                reject(new Error(`scan child exited with ${code}: ${stderr.slice(-2_000)}`));
                return;
            }
            resolveChild(JSON.parse(line) as T);
        });
        child.stdin.end(JSON.stringify(input));
    });
}

function round(value: number, digits: number): number {
    const f = 10 ** digits;
    return Math.round(value * f) / f;
}

async function main(): Promise<void> {
    const { values } = parseArgs({
        options: {
            apps: { type: 'string', default: '100000' },
            'page-latency-ms': { type: 'string', default: '200' },
            baseline: { type: 'boolean', default: false },
            delta: { type: 'boolean', default: false },
            'change-percent': { type: 'string', default: '1' },
        },
    });
    const apps = Number(values.apps);
    const pageLatencyMs = Number(values['page-latency-ms']);
    if (!Number.isInteger(apps) || apps < 1 || !Number.isFinite(pageLatencyMs) || pageLatencyMs < 0) {
        throw new Error(
            'usage: bench:scan -- --apps N --page-latency-ms MS [--delta [--change-percent 1]] [--baseline]',
        );
    }
    const result = await runScanBench({
        apps,
        pageLatencyMs,
        baseline: values.baseline,
        ...(values.delta ? { deltaChangeFraction: Number(values['change-percent']) / 100 } : {}),
    });
    process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (require.main === module) {
    main().catch((error: unknown) => {
        process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
    });
}
