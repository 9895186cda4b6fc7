import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { infraBicepFiles } from './bicepCompiler';
import { COMPILE_TIMEOUT_MS, compiledInfra, skipReason } from './compiledInfra';
import { repoRoot } from './repoFiles';

/** `#disable-next-line <rule> // <reason>`: a suppression must say why on the same line. */
const SUPPRESSION = /#disable-next-line\s+([\w-]+(?:\s+[\w-]+)*)\s*(?:\/\/\s*(\S.*))?$/;

describe.skipIf(skipReason !== undefined)('every template in infra/ with the real Bicep compiler', () => {
    it(
        'builds with zero errors and zero warnings',
        () => {
            const result = compiledInfra();
            console.info(
                `[infra] bicep build of ${result.bicepFiles.length} files took ${result.buildSeconds.toFixed(1)} s`,
            );
            expect(result.bicepFiles).toContain('infra/main.bicep');
            expect(result.buildDiagnostics.map((d) => `${d.file}:${d.line} ${d.level} ${d.code} ${d.message}`)).toEqual(
                [],
            );
        },
        COMPILE_TIMEOUT_MS,
    );

    it(
        'lints with zero findings',
        () => {
            expect(
                compiledInfra().lintDiagnostics.map((d) => `${d.file}:${d.line} ${d.level} ${d.code} ${d.message}`),
            ).toEqual([]);
        },
        COMPILE_TIMEOUT_MS,
    );
});

describe('infra/ compiles offline', () => {
    const files = infraBicepFiles().map((path) => ({ path, text: readFileSync(join(repoRoot, path), 'utf8') }));

    it('uses no registry module or registry-hosted extension', () => {
        const registry = files.flatMap((f) =>
            f.text
                .split('\n')
                .map((line, i) => ({ line: line.replace(/\/\/.*$/, ''), at: `${f.path}:${i + 1}` }))
                .filter(({ line }) => /'(br|ts)[:/]/.test(line) || /^\s*extension\s/.test(line))
                .map(({ at }) => at),
        );
        expect(registry).toEqual([]);
    });

    it('every inline suppression names a rule and a reason', () => {
        const bad = files.flatMap((f) =>
            f.text
                .split('\n')
                .map((line, i) => ({ match: SUPPRESSION.exec(line.trim()), raw: line, at: `${f.path}:${i + 1}` }))
                .filter(({ raw }) => raw.includes('#disable'))
                .filter(({ match }) => !match?.[2])
                .map(({ at }) => at),
        );
        expect(bad).toEqual([]);
    });

    it('the suppression rule itself rejects a suppression without a reason', () => {
        expect(SUPPRESSION.exec('#disable-next-line no-unused-params')?.[2]).toBeUndefined();
        expect(SUPPRESSION.exec('#disable-next-line no-unused-params // kept for azd')?.[2]).toBe('kept for azd');
    });
});
