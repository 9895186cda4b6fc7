/**
 * `npm start`: the local sandbox. `--json` prints one JSON ready line on stdout (everything else goes to
 * stderr); `--no-seed` starts an empty tenant; `--clock-rate R` sets virtual seconds per real second;
 * `--reset` wipes the state folder (default .state/sandbox); `--port N` is the app's port (default 7071).
 * Ctrl-C stops every process it started.
 */
import { parseArgs } from 'node:util';

import { startSandbox } from './sandbox';

async function main(): Promise<void> {
    const { values } = parseArgs({
        options: {
            json: { type: 'boolean', default: false },
            'no-seed': { type: 'boolean', default: false },
            'clock-rate': { type: 'string', default: '3600' },
            reset: { type: 'boolean', default: false },
            state: { type: 'string', default: '.state/sandbox' },
            port: { type: 'string', default: '7071' },
        },
    });
    const clockRate = Number(values['clock-rate']);
    const port = Number(values.port);
    if (!Number.isFinite(clockRate) || clockRate < 0) throw new UsageError('--clock-rate must be a number >= 0');
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be 0-65535');
    const say = (line: string): void => void process.stderr.write(`${line}\n`);
    const started = Date.now();
    const sandbox = await startSandbox({
        stateDir: values.state,
        reset: values.reset,
        seed: !values['no-seed'],
        clockRate,
        hostPort: port,
        log: (line) => say(`sandbox: ${line}`),
    });
    const stop = (): void => {
        say('sandbox: stopping');
        sandbox.stop().then(
            () => process.exit(0),
            () => process.exit(1),
        );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (values.json) {
        process.stdout.write(`${JSON.stringify(sandbox.readyLine)}\n`);
        return;
    }
    const r = sandbox.readyLine as { apiBaseUrl: string; dashboardUrl: string; stateDir: string };
    say(
        [
            '',
            `Sandbox ready in ${((Date.now() - started) / 1000).toFixed(1)} s. The virtual clock runs ${clockRate / 3600} h per second.`,
            `  Dashboard:   ${r.dashboardUrl}  (sign in: npm run sandbox:token, then paste the token)`,
            `  API:         ${r.apiBaseUrl}/rotations, ${r.apiBaseUrl}/credentials`,
            `  State:       ${r.stateDir}  (--reset starts over)`,
            '',
            'Watch teams-agent (pinned to an old secret version, like the Ghent outage): the rotator sees it still',
            'signing in with the old key, refuses to delete that key and raises AttentionRequired. payroll-agent',
            '(reads the latest version) completes. Ctrl-C stops everything.',
        ].join('\n'),
    );
}

class UsageError extends Error {}

main().catch((error: unknown) => {
    process.stderr.write(`sandbox: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(error instanceof UsageError ? 2 : 1);
});
