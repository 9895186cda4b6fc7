/**
 * `npm start`: the local sandbox (`--help` for the options). With `--json` the FIRST stdout line is the JSON ready
 * line and nothing else goes to stdout; without it the terminal narrates what the rotator does.
 * Ctrl-C stops every process it started.
 */
import { type CommandSpec, intOption, numberOption, parseCommandLine, UsageError } from '../support/cli';
import { narrate, type NarratedRotation, type NarratorMemory } from './narrator';
import { type Sandbox, startSandbox } from './sandbox';

const START_COMMAND = {
    command: 'npm start --',
    summary:
        'Starts the local sandbox: a tenant emulator (Entra, Graph, Key Vault, Event Grid), the app on a local\n' +
        'Functions host, two consumers and the dashboard. Ctrl-C stops every process it started.',
    options: {
        json: { type: 'boolean', default: false },
        'no-seed': { type: 'boolean', default: false },
        'clock-rate': { type: 'string', default: '3600' },
        reset: { type: 'boolean', default: false },
        state: { type: 'string', default: '.state/sandbox' },
        port: { type: 'string', default: '7071' },
        'delay-seed': { type: 'string', default: '' },
        'state-store': { type: 'string', default: 'file' },
    },
    help: [
        ['--json', 'print one JSON ready line as the first stdout line; progress goes to stderr'],
        ['--port N', "the app's port (default 7071; 0 picks a free one)"],
        ['--state DIR', 'state folder, kept across restarts (default .state/sandbox)'],
        ['--reset', 'wipe the state folder first'],
        ['--no-seed', 'start an empty tenant'],
        ['--clock-rate R', 'virtual seconds per real second (default 3600: one hour per second; 0 stops it)'],
        [
            '--state-store file|azurite',
            'where the app keeps its state: a folder (default) or a blob container on Azurite, as in Azure',
        ],
        [
            '--delay-seed N',
            "seed of the tenant's random delays (propagation, Graph lag, sign-in log); default: a new one, printed",
        ],
    ],
    epilog:
        "Pipe the ready line with npm's banner off:  npm start -s -- --json | head -n 1\n" +
        'Exit codes: 0 stopped by Ctrl-C or SIGTERM, 1 failed to start, 2 bad usage.',
} as const satisfies CommandSpec<Record<string, { type: 'string' | 'boolean'; default: string | boolean }>>;

function stateStoreOption(raw: string): 'file' | 'azurite' {
    if (raw !== 'file' && raw !== 'azurite') throw new UsageError('--state-store must be file or azurite');
    return raw;
}

async function main(): Promise<void> {
    const options = parseCommandLine(START_COMMAND, (v) => ({
        json: v.json,
        seed: !v['no-seed'],
        reset: v.reset,
        state: v.state,
        clockRate: numberOption('clock-rate', v['clock-rate'], 0),
        port: intOption('port', v.port, 0, 65535),
        stateStore: stateStoreOption(v['state-store']),
        delaySeed: v['delay-seed'] === '' ? undefined : intOption('delay-seed', v['delay-seed'], 0, 0xffffffff),
    }));
    const say = (line: string): void => void process.stderr.write(`${line}\n`);
    const started = Date.now();
    const sandbox = await startSandbox({
        stateDir: options.state,
        reset: options.reset,
        seed: options.seed,
        clockRate: options.clockRate,
        hostPort: options.port,
        ...(options.delaySeed === undefined ? {} : { delaySeed: options.delaySeed }),
        stateStore: options.stateStore,
        log: (line) => say(`sandbox: ${line}`),
    });
    const running: { narrator?: NodeJS.Timeout } = {};
    const stop = (): void => {
        if (running.narrator) clearInterval(running.narrator);
        say('sandbox: stopping');
        sandbox.stop().then(
            () => process.exit(0),
            () => process.exit(1),
        );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (options.json) {
        process.stdout.write(`${JSON.stringify(sandbox.readyLine)}\n`);
        return;
    }
    const r = sandbox.readyLine as { apiBaseUrl: string; dashboardUrl: string; stateDir: string };
    const seeded = sandbox.tenant.apps.length > 0;
    const out = (line: string): void => void process.stdout.write(`${line}\n`);
    const stateArg = options.state === '.state/sandbox' ? '' : ` -- --state ${options.state}`;
    out(
        [
            '',
            `Sandbox ready in ${((Date.now() - started) / 1000).toFixed(1)} s. The virtual clock runs ${options.clockRate / 3600} h per second.`,
            `  Dashboard:   ${r.dashboardUrl}`,
            sandbox.tenant.user
                ? `  Sign in:     open the dashboard and click "Sign in" (user ${sandbox.tenant.user.userPrincipalName}, no password).\n` +
                  `               The sign-in page is the emulator's, at ${sandbox.emulator.baseUrl}, with a local certificate:\n` +
                  `               the first time, your browser asks you to trust it (or import ${sandbox.emulator.caCertPath}).\n` +
                  `               For curl: TOKEN=$(npm run -s sandbox:token${stateArg})`
                : `  Sign in:     npm run -s sandbox:token${stateArg}, then paste the token (state from before sign-in; --reset)`,
            `  API:         ${r.apiBaseUrl}/rotations, ${r.apiBaseUrl}/credentials`,
            `  State:       ${r.stateDir}  (--reset starts over)`,
            '',
            seeded
                ? 'Watch teams-agent (an App Service app whose setting pins an old secret version, like the Ghent outage):\n' +
                  'preflight reads its Key Vault references and refuses the rotation before anything is created.\n' +
                  'payroll-agent (follows the latest version) completes, with its reference re-resolved as evidence.\n' +
                  'What happens is narrated below. Ctrl-C stops everything.'
                : 'The tenant is empty (--no-seed): onboard a secret to see a rotation. Ctrl-C stops everything.',
            '',
        ].join('\n'),
    );
    running.narrator = startNarration(sandbox, out);
}

/** Polls the operator API like any client and prints what changed. */
function startNarration(sandbox: Sandbox, out: (line: string) => void): NodeJS.Timeout {
    let memory: NarratorMemory = new Map();
    let token: { value: string; until: number } | undefined;
    let busy = false;
    const poll = async (): Promise<void> => {
        if (!token || token.until < Date.now()) {
            const { clientId, clientSecret, scope } = sandbox.tenant.operator;
            token = { value: await sandbox.emu.token(clientId, clientSecret, scope), until: Date.now() + 30 * 60_000 };
        }
        const res = await fetch(`${sandbox.host.baseUrl}/api/rotations?top=100`, {
            headers: { authorization: `Bearer ${token.value}` },
        });
        if (!res.ok) return;
        const body = (await res.json()) as { items?: NarratedRotation[] };
        const said = narrate(memory, body.items ?? []);
        memory = said.memory;
        for (const line of said.lines) out(line);
    };
    return setInterval(() => {
        if (busy) return;
        busy = true;
        poll()
            .catch(() => undefined)
            .finally(() => (busy = false));
    }, 1_000);
}

main().catch((error: unknown) => {
    process.stderr.write(`sandbox: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
});
