#!/usr/bin/env node
// Builds the deployment package azd zips for the Function App (azure.yaml: `dist: .deploy`, remoteBuild false):
// the compiled app, host.json and production dependencies only. Dev dependencies (test tooling, compilers,
// browsers' drivers, native binaries built for this machine) never ship.
//   node scripts/package-app.mjs [--out .deploy]
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
    options: { out: { type: 'string', default: '.deploy' }, help: { type: 'boolean', short: 'h' } },
});
if (values.help) {
    console.log(
        'usage: node scripts/package-app.mjs [--out <dir>]\n' +
            'Builds dist/ and writes <dir> (default .deploy) with dist, host.json, package.json and production node_modules.',
    );
    process.exit(0);
}

const root = resolve(import.meta.dirname, '..');
const out = resolve(root, values.out);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: 'inherit' });

rmSync(join(root, 'dist'), { recursive: true, force: true });
run(npm, ['run', 'build'], root);
rmSync(out, { recursive: true, force: true });
for (const entry of ['dist', 'host.json', 'package.json', 'package-lock.json']) {
    if (!existsSync(join(root, entry))) throw new Error(`${entry} is missing; nothing to package`);
    cpSync(join(root, entry), join(out, entry), { recursive: true });
}
// The lock file pins exactly what the tests ran with; lifecycle scripts of dependencies do not run.
run(npm, ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], out);

function size(path) {
    const s = statSync(path);
    if (!s.isDirectory()) return s.size;
    return readdirSync(path).reduce((sum, name) => sum + size(join(path, name)), 0);
}
const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1);
console.log(`package ${values.out}: ${mb(size(out))} MB (node_modules ${mb(size(join(out, 'node_modules')))} MB)`);
