import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * One way for every local command (`npm start`, `demo`, `audit`, `sandbox:token`, `emulator`, `host`) to read its
 * arguments: node:util's parseArgs (built in, strict), plus what a user expects from a command line: `--help`/`-h`
 * prints the usage and exits 0; an unknown option or a bad value prints the problem and the usage on stderr and
 * exits 2 (the usage-error convention of getopt tools); the command's own failures use other codes.
 */
export const EXIT_USAGE = 2;

export interface CommandSpec<O extends NonNullable<ParseArgsConfig['options']>> {
    /** As the user types it, e.g. `npm run demo --`. */
    readonly command: string;
    /** One paragraph: what the command does. */
    readonly summary: string;
    readonly options: O;
    /** One line per option, in the order shown: [flag text, explanation]. */
    readonly help: readonly (readonly [string, string])[];
    /** Extra paragraphs after the options (exit codes, examples). */
    readonly epilog?: string;
}

export class UsageError extends Error {}

export function usageText(spec: CommandSpec<NonNullable<ParseArgsConfig['options']>>): string {
    const rows: [string, string][] = [...spec.help, ['-h, --help', 'show this help and exit']].map(([f, d]) => [f, d]);
    const width = Math.max(...rows.map(([flag]) => flag.length));
    const lines = [
        `Usage: ${spec.command} [options]`,
        '',
        spec.summary,
        '',
        'Options:',
        ...rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`),
    ];
    if (spec.epilog) lines.push('', spec.epilog);
    return `${lines.join('\n')}\n`;
}

interface Io {
    readonly stdout: (text: string) => void;
    readonly stderr: (text: string) => void;
    readonly exit: (code: number) => never;
}

const processIo: Io = {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    exit: (code) => process.exit(code),
};

/**
 * Parses `argv` strictly. `--help` → usage on stdout, exit 0. Unknown options, stray positionals or a missing
 * value → the error and the usage on stderr, exit 2. `check` may throw UsageError for bad values (same exit).
 */
export function parseCommandLine<O extends NonNullable<ParseArgsConfig['options']>, R>(
    spec: CommandSpec<O>,
    check: (values: ReturnType<typeof parseArgs<{ options: O; strict: true }>>['values']) => R,
    argv: readonly string[] = process.argv.slice(2),
    io: Io = processIo,
): R {
    const usage = usageText(spec);
    if (argv.includes('--help') || argv.includes('-h')) {
        io.stdout(usage);
        return io.exit(0);
    }
    try {
        const { values } = parseArgs({ args: [...argv], options: spec.options, strict: true, allowPositionals: false });
        return check(values);
    } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const known = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
        if (!known) throw error;
        io.stderr(`${spec.command.replace(/ --$/, '')}: ${message}\n\n${usage}`);
        return io.exit(EXIT_USAGE);
    }
}

/** A whole number in [min, max] from an option's text, or a UsageError naming the option. */
export function intOption(name: string, raw: string, min: number, max: number): number {
    const n = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || n < min || n > max)
        throw new UsageError(`--${name} must be a whole number ${min}-${max}`);
    return n;
}

/** A finite number >= min from an option's text, or a UsageError naming the option. */
export function numberOption(name: string, raw: string, min: number): number {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n < min)
        throw new UsageError(`--${name} must be a number >= ${min}`);
    return n;
}
