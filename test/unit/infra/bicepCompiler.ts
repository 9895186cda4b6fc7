/**
 * The real Bicep compiler, restored from NuGet by tools/bicep/bicep.csproj (pinned there). Every infra test
 * reads what this compiler produces, never the Bicep text.
 *
 * - `BICEP_PATH` points at another bicep executable (optional).
 * - Otherwise the pinned CLI is used from tools/bicep/.packages; when it is missing and `dotnet` exists it is
 *   restored here (a few seconds).
 * - Without .NET: in CI (`CI=true`) this fails; on a contributor's machine the compile tests are skipped with a
 *   message that says why.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
    chmodSync,
    existsSync,
    mkdirSync,
    readFileSync,
    readdirSync,
    renameSync,
    rmSync,
    writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

import { repoRoot as REPO_ROOT } from './repoFiles';

const TOOL_DIR = join(REPO_ROOT, 'tools', 'bicep');
const PACKAGE = 'azure.bicep.commandline.linux-x64';

export function pinnedBicepVersion(): string {
    const csproj = readFileSync(join(TOOL_DIR, 'bicep.csproj'), 'utf8');
    const version = /<BicepVersion>([^<]+)<\/BicepVersion>/.exec(csproj)?.[1];
    if (!version) throw new Error('tools/bicep/bicep.csproj does not pin <BicepVersion>');
    return version;
}

function pinnedExecutable(): string {
    return join(TOOL_DIR, '.packages', PACKAGE, pinnedBicepVersion(), 'tools', 'bicep');
}

const hasDotnet = (): boolean => spawnSync('dotnet', ['--version'], { stdio: 'ignore' }).status === 0;

export type Compiler = { readonly path: string } | { readonly skipped: string };

let located: Compiler | undefined;

/** Finds (restoring if needed) the compiler, or says why it is unavailable. Throws in CI when it is missing. */
export function bicepCompiler(): Compiler {
    located ??= locate();
    if ('skipped' in located && process.env['CI'] === 'true') {
        throw new Error(`CI=true and the Bicep compiler is unavailable: ${located.skipped}`);
    }
    return located;
}

function locate(): Compiler {
    const override = process.env['BICEP_PATH'];
    if (override) {
        if (!existsSync(override)) return { skipped: `BICEP_PATH=${override} does not exist` };
        return { path: override };
    }
    const executable = pinnedExecutable();
    if (!existsSync(executable)) {
        if (process.platform !== 'linux' || process.arch !== 'x64') {
            return {
                skipped: `the pinned Bicep CLI is the linux-x64 build; set BICEP_PATH on ${process.platform}-${process.arch}`,
            };
        }
        if (!hasDotnet()) {
            return {
                skipped:
                    'the .NET SDK (dotnet) is not installed; it restores the pinned Bicep CLI from NuGet (dotnet restore tools/bicep)',
            };
        }
        const restore = spawnSync('dotnet', ['restore', TOOL_DIR], { encoding: 'utf8' });
        if (restore.status !== 0 || !existsSync(executable)) {
            return { skipped: `dotnet restore tools/bicep failed:\n${restore.stdout}${restore.stderr}` };
        }
    }
    // NuGet extracts files without the executable bit.
    chmodSync(executable, 0o755);
    return { path: executable };
}

export interface Diagnostic {
    readonly file: string;
    readonly line: number;
    readonly level: 'Error' | 'Warning' | 'Info';
    readonly code: string;
    readonly message: string;
}

export interface CompiledInfra {
    /** Directory holding `<path relative to infra>.json` for every .bicep file in infra/. */
    readonly outDir: string;
    readonly bicepFiles: readonly string[];
    readonly buildDiagnostics: readonly Diagnostic[];
    readonly lintDiagnostics: readonly Diagnostic[];
    readonly buildSeconds: number;
}

export function infraBicepFiles(): string[] {
    const found: string[] = [];
    const walk = (dir: string) => {
        for (const entry of readdirSync(dir, { withFileTypes: true })) {
            const path = join(dir, entry.name);
            if (entry.isDirectory()) walk(path);
            else if (entry.name.endsWith('.bicep')) found.push(relative(REPO_ROOT, path));
        }
    };
    walk(join(REPO_ROOT, 'infra'));
    return found.sort();
}

const DIAGNOSTIC = /^(.*)\((\d+),\d+\) : (Error|Warning|Info) ([A-Za-z0-9-]+): (.*)$/;

function parseDiagnostics(output: string): Diagnostic[] {
    return output
        .split('\n')
        .map((line) => DIAGNOSTIC.exec(line.trim()))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({
            file: relative(REPO_ROOT, m[1]!),
            line: Number(m[2]),
            level: m[3] as Diagnostic['level'],
            code: m[4]!,
            message: m[5]!,
        }));
}

/**
 * Builds and lints every .bicep file in infra/ once per content: the result is cached in the temp directory
 * under a hash of the compiler version and every input the templates load, so test files share one compile.
 */
export function compileInfra(compiler: { readonly path: string }): CompiledInfra {
    const files = infraBicepFiles();
    const inputs = [...files, 'shared/config/clouds.json', ...infraJsonInputs()];
    const hash = createHash('sha256').update(compiler.path).update(pinnedBicepVersion());
    for (const file of inputs) hash.update(file).update(readFileSync(join(REPO_ROOT, file)));
    const cacheDir = join(tmpdir(), `rotator-bicep-${hash.digest('hex').slice(0, 16)}`);
    const summary = join(cacheDir, 'compile.json');
    if (existsSync(summary)) return JSON.parse(readFileSync(summary, 'utf8')) as CompiledInfra;

    const work = `${cacheDir}.${process.pid}.${Date.now()}`;
    mkdirSync(work, { recursive: true });
    const started = Date.now();
    const pattern = 'infra/**/*.bicep';
    const build = spawnSync(compiler.path, ['build', '--pattern', pattern, '--outdir', join(work, 'out')], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
    });
    const buildSeconds = (Date.now() - started) / 1000;
    const lint = spawnSync(compiler.path, ['lint', '--pattern', pattern], { cwd: REPO_ROOT, encoding: 'utf8' });
    const result: CompiledInfra = {
        outDir: join(cacheDir, 'out'),
        bicepFiles: files,
        buildDiagnostics: parseDiagnostics(`${build.stdout}\n${build.stderr}`),
        lintDiagnostics: parseDiagnostics(`${lint.stdout}\n${lint.stderr}`),
        buildSeconds,
    };
    if (build.status !== 0 && result.buildDiagnostics.length === 0) {
        rmSync(work, { recursive: true, force: true });
        throw new Error(`bicep build failed without diagnostics:\n${build.stdout}${build.stderr}`);
    }
    writeFileSync(join(work, 'compile.json'), JSON.stringify(result, null, 2));
    try {
        renameSync(work, cacheDir);
    } catch {
        rmSync(work, { recursive: true, force: true }); // another test file won the race with the same content
    }
    return JSON.parse(readFileSync(summary, 'utf8')) as CompiledInfra;
}

/** JSON files under infra/ a template may load with loadJsonContent. */
function infraJsonInputs(): string[] {
    return readdirSync(join(REPO_ROOT, 'infra'), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.json'))
        .map((f) => join('infra', f))
        .sort();
}

export function readCompiled(compiled: CompiledInfra, bicepFile: string): { [key: string]: unknown } {
    const rel = relative('infra', bicepFile).replace(/\.bicep$/, '.json');
    return JSON.parse(readFileSync(join(compiled.outDir, rel), 'utf8')) as { [key: string]: unknown };
}

/** `bicep --version` output, for the compile test's log. */
export function compilerVersion(compiler: { readonly path: string }): string {
    return execFileSync(compiler.path, ['--version'], { encoding: 'utf8' }).trim();
}
