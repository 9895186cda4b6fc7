/**
 * `npm run rotate-batch -- --all | --vault URL | --secrets a,b | --apps id,id --reason TEXT [--emergency]
 * [--dry-run] [--watch] --api URL [--sandbox]` (`--help`).
 *
 * Emergency rotate-all through the operator API (POST /api/rotations/batch), then, with --watch, its progress
 * (done / waiting on quota / in grace / needs action) and estimated finish until every rotation has ended.
 * The bearer token comes from the ROTATOR_TOKEN environment variable (never the command line), or, with
 * --sandbox, from the running `npm start` sandbox.
 */
import { readFileSync } from 'node:fs';

import { EmulatorClient } from '../test/sandbox/emulatorClient';
import { readSandboxState } from '../test/sandbox/sandboxState';
import { type CommandSpec, EXIT_USAGE, parseCommandLine, UsageError } from '../test/support/cli';

const COMMAND = {
    command: 'npm run rotate-batch --',
    summary:
        'Rotates many managed secrets at once for one reason, paced by the tenant quotas (README "Many rotations\n' +
        'at once"). Give exactly one selector. Each rotation starts through the same rules as any other: one per\n' +
        'secret, a running one is joined. Prints the batch (JSON) and, with --watch, one progress line per poll.',
    options: {
        all: { type: 'boolean', default: false },
        vault: { type: 'string' },
        secrets: { type: 'string' },
        apps: { type: 'string' },
        reason: { type: 'string' },
        emergency: { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        watch: { type: 'boolean', default: false },
        api: { type: 'string' },
        sandbox: { type: 'boolean', default: false },
        state: { type: 'string', default: '.state/sandbox' },
    },
    help: [
        ['--all', 'every managed secret in every vault the rotator manages'],
        ['--vault URL', 'every managed secret in this vault'],
        ['--secrets a,b,...', 'these secrets (comma-separated names; with --vault, in that vault)'],
        ['--apps id,id,...', 'the managed secrets of these application (client) ids'],
        ['--reason TEXT', 'why (required; recorded with every rotation)'],
        ['--emergency', 'go ahead of routine rotations for quota (and ask Graph for high priority)'],
        ['--dry-run', 'show what would be rotated and the estimate; start nothing'],
        ['--watch', 'poll the progress every 10 s until every rotation has ended'],
        ['--api URL', "the app's base URL (required), e.g. https://func-rotator.azurewebsites.net"],
        ['--sandbox', 'take an operator token from the running `npm start` sandbox instead of $ROTATOR_TOKEN'],
        ['--state DIR', 'the sandbox state folder (default .state/sandbox)'],
    ],
    epilog:
        'Exit codes: 0 accepted (with --watch: every rotation completed), 1 some rotation needs action or the API\n' +
        'refused the request, 2 bad usage, 3 the API could not be reached.\n\n' +
        'Example: ROTATOR_TOKEN=... npm run rotate-batch -- --all --emergency --reason "secret leaked in CI logs" \\\n' +
        '           --api https://func-rotator.azurewebsites.net --watch',
} as const satisfies CommandSpec<NonNullable<Parameters<typeof parseCommandLine>[0]['options']>>;

interface Args {
    readonly selector: Record<string, unknown>;
    readonly reason: string;
    readonly emergency: boolean;
    readonly dryRun: boolean;
    readonly watch: boolean;
    readonly api: string | undefined;
    readonly sandbox: boolean;
    readonly state: string;
}

const list = (raw: string) =>
    raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);

function parse(): Args {
    return parseCommandLine(COMMAND, (v) => {
        const chosen = [
            v.all ? 'all' : '',
            v.secrets ? 'secrets' : '',
            v.apps ? 'apps' : '',
            v.vault && !v.secrets ? 'vault' : '',
        ].filter(Boolean);
        if (chosen.length !== 1) throw new UsageError('give exactly one selector: --all, --vault, --secrets or --apps');
        if (!v.reason || v.reason.trim() === '') throw new UsageError('--reason is required');
        if (!v.api || !/^https?:\/\//.test(v.api)) throw new UsageError('--api URL is required (http or https)');
        const selector = v.all
            ? { all: true }
            : v.secrets
              ? { secretNames: list(v.secrets), ...(v.vault ? { vaultUrl: v.vault } : {}) }
              : v.apps
                ? { appIds: list(v.apps) }
                : { vaultUrl: v.vault };
        return {
            selector,
            reason: v.reason.trim(),
            emergency: v.emergency,
            dryRun: v['dry-run'],
            watch: v.watch,
            api: v.api,
            sandbox: v.sandbox,
            state: v.state,
        };
    });
}

async function connection(args: Args): Promise<{ baseUrl: string; token: string }> {
    const baseUrl = args.api!.replace(/\/+$/, '');
    if (args.sandbox) {
        const { descriptor, tenant } = readSandboxState(args.state);
        const emu = new EmulatorClient(descriptor, readFileSync(descriptor.caCertPath, 'utf8'));
        const token = await emu.token(tenant.operator.clientId, tenant.operator.clientSecret, tenant.operator.scope);
        return { baseUrl, token };
    }
    const token = process.env.ROTATOR_TOKEN;
    if (!token) throw new UsageError('set ROTATOR_TOKEN to an operator access token (role Rotation.Write)');
    return { baseUrl, token };
}

async function call(baseUrl: string, token: string, method: string, path: string, body?: unknown) {
    const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    let json: unknown = text;
    try {
        json = JSON.parse(text);
    } catch {
        // not JSON: shown as text
    }
    return { status: response.status, json };
}

async function main(): Promise<number> {
    const args = parse();
    let conn: { baseUrl: string; token: string };
    try {
        conn = await connection(args);
    } catch (error) {
        if (error instanceof UsageError) {
            process.stderr.write(`rotate-batch: ${error.message}\n`);
            return EXIT_USAGE;
        }
        throw error;
    }
    const started = await call(conn.baseUrl, conn.token, 'POST', '/api/rotations/batch', {
        selector: args.selector,
        reason: args.reason,
        emergency: args.emergency,
        dryRun: args.dryRun,
    });
    process.stdout.write(`${JSON.stringify(started.json, null, 2)}\n`);
    if (started.status !== 202 && started.status !== 200) return 1;
    if (!args.watch || args.dryRun) return 0;
    const { statusUrl } = started.json as { statusUrl: string };
    for (;;) {
        await new Promise((r) => setTimeout(r, 10_000));
        const progress = await call(conn.baseUrl, conn.token, 'GET', statusUrl);
        if (progress.status !== 200) {
            process.stderr.write(`progress: HTTP ${progress.status} ${JSON.stringify(progress.json)}\n`);
            return 1;
        }
        const p = progress.json as {
            done: number;
            total: number;
            waitingOnQuota: number;
            inGrace: number;
            running: number;
            needsAction: number;
            failedToStart: number;
            finished: boolean;
            estimate: { finishAt: string; bindingQuota: string };
        };
        process.stdout.write(
            `${new Date().toISOString()} done ${p.done}/${p.total}, waiting on quota ${p.waitingOnQuota}, ` +
                `in grace ${p.inGrace}, running ${p.running}, needs action ${p.needsAction}; ` +
                `estimated finish ${p.estimate.finishAt} (bound by ${p.estimate.bindingQuota})\n`,
        );
        if (p.finished) return p.needsAction > 0 || p.failedToStart > 0 ? 1 : 0;
    }
}

main().then(
    (code) => process.exit(code),
    (error: unknown) => {
        process.stderr.write(`rotate-batch: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(3);
    },
);
