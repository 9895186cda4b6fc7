import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startHost, type HostOptions } from './src/startHost';

/**
 * `npm run host -- --settings <local.settings.json> [--port N] [--state DIR] [--app DIR] [--entry FILE]
 *                   [--clock-url URL [--clock-ca PEM] | --manual-clock ISO]`
 * Loads `Values` into the environment like `func start`, serves the app, prints one JSON ready line on stdout.
 * Logs go to stderr. A chaos "crash" kills this process with SIGKILL, like a real host dying.
 */
async function main(): Promise<void> {
    const { values } = parseArgs({
        options: {
            settings: { type: 'string' },
            port: { type: 'string' },
            state: { type: 'string' },
            app: { type: 'string' },
            entry: { type: 'string' },
            'clock-url': { type: 'string' },
            'clock-ca': { type: 'string' },
            'manual-clock': { type: 'string' },
        },
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
        port: values.port === undefined ? 7071 : Number(values.port),
        stateDir: values.state ? path.resolve(values.state) : undefined,
        clock,
        logSink: (r) => process.stderr.write(`[${r.level}] ${r.functionName ?? 'host'}: ${r.message}\n`),
        onCrash: () => process.kill(process.pid, 'SIGKILL'),
    });
    process.stdout.write(JSON.stringify({ ready: true, baseUrl: host.baseUrl }) + '\n');
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
