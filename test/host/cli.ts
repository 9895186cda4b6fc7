import { readFileSync } from 'node:fs';
import path from 'node:path';

import { type CommandSpec, intOption, parseCommandLine, UsageError } from '../support/cli';
import { startHost, type HostOptions } from './src/startHost';

const HOST_COMMAND = {
    command: 'npm run host --',
    summary:
        'Runs a Functions app on the local host (the durable-functions replay engine, timers, HTTP and Event Grid\n' +
        'triggers), loading Values from the settings file like func start. Prints one JSON ready line on stdout;\n' +
        'logs go to stderr (test/host/README.md).',
    options: {
        settings: { type: 'string' },
        port: { type: 'string', default: '7071' },
        state: { type: 'string' },
        app: { type: 'string' },
        entry: { type: 'string' },
        'clock-url': { type: 'string' },
        'clock-ca': { type: 'string' },
        'manual-clock': { type: 'string' },
    },
    help: [
        ['--settings FILE', 'a local.settings.json whose Values become the environment'],
        ['--port N', 'HTTP port (default 7071; 0 picks a free one)'],
        ['--state DIR', 'where durable state is kept (default: a temporary folder)'],
        ['--app DIR', "the app's root (default: the settings file's folder, else the current folder)"],
        ['--entry FILE', "the app's main module (default: package.json main)"],
        ['--clock-url URL', "follow a tenant emulator's virtual clock"],
        ['--clock-ca PEM', 'CA certificate for --clock-url'],
        ['--manual-clock ISO', 'a fixed start time for the virtual clock'],
    ],
    epilog: 'Exit codes: 0 stopped by Ctrl-C or SIGTERM, 1 failed to start, 2 bad usage.',
} as const satisfies CommandSpec<Record<string, { type: 'string'; default?: string }>>;

/**
 * `npm run host -- --settings <local.settings.json> [--port N] [--state DIR] [--app DIR] [--entry FILE]
 *                   [--clock-url URL [--clock-ca PEM] | --manual-clock ISO]`
 * Loads `Values` into the environment like `func start`, serves the app, prints one JSON ready line on stdout.
 * Logs go to stderr. A chaos "crash" kills this process with SIGKILL, like a real host dying.
 */
async function main(): Promise<void> {
    const values = parseCommandLine(HOST_COMMAND, (v) => {
        if (v['clock-url'] && v['manual-clock']) throw new UsageError('give --clock-url or --manual-clock, not both');
        if (v['manual-clock'] && Number.isNaN(new Date(v['manual-clock']).getTime()))
            throw new UsageError('--manual-clock must be an ISO date-time');
        return { ...v, port: intOption('port', v.port, 0, 65535) };
    });
    const settingsFile = values.settings ? path.resolve(values.settings) : undefined;
    const appRoot = path.resolve(values.app ?? (settingsFile ? path.dirname(settingsFile) : process.cwd()));
    let clock: HostOptions['clock'];
    if (values['clock-url']) {
        const ca = values['clock-ca'] ? readFileSync(path.resolve(values['clock-ca']), 'utf8') : undefined;
        clock = { url: values['clock-url'], ca };
    } else if (values['manual-clock']) clock = { manual: new Date(values['manual-clock']) };
    const host = await startHost({
        appRoot,
        entry: values.entry,
        settingsFile,
        port: values.port,
        stateDir: values.state ? path.resolve(values.state) : undefined,
        clock,
        logSink: (r) => process.stderr.write(`[${r.level}] ${r.functionName ?? 'host'}: ${r.message}\n`),
        onCrash: () => process.kill(process.pid, 'SIGKILL'),
    });
    process.stdout.write(JSON.stringify({ ready: true, baseUrl: host.baseUrl, ...host.keys }) + '\n');
    const stop = (): void => {
        host.close().then(
            () => process.exit(0),
            () => process.exit(1),
        );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
    process.stderr.write(`Host failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
});
