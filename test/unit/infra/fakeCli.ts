import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './repoFiles';

/**
 * Runs an infra script against fake `az` and `azd` commands. Each fake logs its arguments, then answers with the
 * first rule whose shell glob matches them. A call that matches no rule fails the script (exit 99), so a test
 * sees every call the script makes.
 */
export interface FakeRule {
    /** A `case` pattern over "$*", e.g. `'ad app show --id *'`. */
    readonly when: string;
    /** Shell code run for a match: usually `echo <output>`, `exit 1` or `echo ... >&2; exit 1`. */
    readonly then: string;
}

export interface FakeRun {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
    /** Each call as "<command> <args>". */
    readonly calls: string[];
}

export function runWithFakeCli(
    script: string,
    args: readonly string[],
    rules: { az?: readonly FakeRule[]; azd?: readonly FakeRule[] },
    env: Record<string, string> = {},
): FakeRun {
    const dir = mkdtempSync(join(tmpdir(), 'rotator-infra-'));
    try {
        const log = join(dir, 'calls.log');
        writeFileSync(log, '');
        for (const command of ['az', 'azd'] as const) {
            const path = join(dir, command);
            writeFileSync(path, fakeCommand(command, rules[command] ?? []));
            chmodSync(path, 0o755);
        }
        const result = spawnSync('sh', [join(repoRoot, script), ...args], {
            encoding: 'utf8',
            timeout: 20_000,
            env: { PATH: `${dir}:${process.env.PATH ?? ''}`, HOME: dir, FAKE_LOG: log, ...env },
        });
        const calls = readFileSync(log, 'utf8').split('\n').filter(Boolean);
        return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls };
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

function fakeCommand(command: string, rules: readonly FakeRule[]): string {
    const cases = rules.map((r) => `  ${r.when}) ${r.then} ;;`).join('\n');
    return [
        '#!/bin/sh',
        `printf '%s\\n' "${command} $*" >>"$FAKE_LOG"`,
        'case "$*" in',
        cases,
        `  *) echo "unexpected call: ${command} $*" >&2; exit 99 ;;`,
        'esac',
        '',
    ].join('\n');
}
