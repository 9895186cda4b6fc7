import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '..', '..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Runs `npm run -s <script> -- <args>` and collects its output. */
function run(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((done, fail) => {
        const child = spawn(NPM, ['run', '-s', script, '--', ...args], {
            cwd: ROOT,
            stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
        const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
        child.once('error', fail);
        child.once('exit', (code) => {
            clearTimeout(timer);
            done({ code, stdout, stderr });
        });
    });
}

// Every command a newcomer types: `npm start` is `npm run start`.
const COMMANDS: [script: string, mustMention: string[]][] = [
    ['start', ['--json', '--port', '--state', '--reset', '--no-seed', '--clock-rate']],
    ['demo', ['--port', '--state', '--clock-rate']],
    ['audit', ['--sandbox', '--tenant', '--json', 'Exit codes', '3 the audit could not run']],
    ['sandbox:token', ['--state']],
    ['emulator', ['--port', '--state', '--persist']],
    ['host', ['--settings', '--port', '--state']],
];

describe('every local command explains itself', () => {
    const dirs: string[] = [];
    afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

    it.each(COMMANDS)('npm run %s -- --help prints the usage on stdout and exits 0', async (script, mention) => {
        const { code, stdout, stderr } = await run(script, ['--help']);
        expect(code).toBe(0);
        expect(stderr).toBe('');
        expect(stdout).toMatch(/^Usage: npm (start|run( -s)? \S+) --/);
        for (const word of [...mention, '--help']) expect(stdout).toContain(word);
    });

    it.each(COMMANDS)('npm run %s -- with an unknown option fails with the usage and exit 2', async (script) => {
        const { code, stdout, stderr } = await run(script, ['--prot', '7181']);
        expect(code).toBe(2);
        expect(stdout).toBe('');
        expect(stderr).toContain("Unknown option '--prot'");
        expect(stderr).toContain('Usage: ');
    });

    it('a bad value is a usage error too (exit 2), naming the option', async () => {
        const { code, stderr } = await run('demo', ['--port', 'seventy']);
        expect(code).toBe(2);
        expect(stderr).toContain('--port must be a whole number 0-65535');
    });

    it('audit: "could not run" (exit 3) is told apart from "findings" (exit 1), with a hint', async () => {
        const state = mkdtempSync(join(tmpdir(), 'rotator-cli-test-'));
        dirs.push(state);
        const { code, stderr } = await run('audit', ['--sandbox', '--state', state]);
        expect(code).toBe(3);
        expect(stderr).toContain('start one with npm start');
    });

    it('sandbox:token with a state folder nobody started says so (exit 1)', async () => {
        const state = mkdtempSync(join(tmpdir(), 'rotator-cli-test-'));
        dirs.push(state);
        const { code, stdout, stderr } = await run('sandbox:token', ['--state', state]);
        expect(code).toBe(1);
        expect(stdout).toBe('');
        expect(stderr).toContain('start one with npm start');
    });
});
