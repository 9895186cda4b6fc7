import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkAzdProject } from './azdProject';
import { readRepoFile, repoFileExists, repoFilesUnder, repoRoot } from './repoFiles';

const taggedSite = "tags: union(tags, { 'azd-service-name': 'rotator' })";
const yaml = (service: string) =>
    [
        'name: x',
        'services:',
        '  rotator:',
        '    project: .',
        service,
        'hooks:',
        '  postdeploy:',
        '    posix:',
        '      shell: sh',
        '      run: ./infra/scripts/missing.sh',
    ].join('\n');

describe('azure.yaml', () => {
    it('names one TypeScript function service that the Bicep tags, and hook scripts that exist', () => {
        const problems = checkAzdProject({
            azureYaml: readRepoFile('azure.yaml').text,
            bicepTexts: repoFilesUnder('infra', '.bicep').map((f) => f.text),
            fileExists: repoFileExists,
        });
        expect(problems).toEqual([]);
    });

    it('reports a non-TypeScript service, an untagged service and a missing hook script', () => {
        const problems = checkAzdProject({
            azureYaml: yaml('    language: js\n    host: function'),
            bicepTexts: ["tags: union(tags, { 'azd-service-name': 'api' })"],
            fileExists: (path) => path === './package.json',
        });
        expect(problems).toEqual([
            'service rotator: language must be ts',
            "service rotator: no Bicep resource is tagged 'azd-service-name': 'rotator'",
            'hook postdeploy: infra/scripts/missing.sh does not exist',
        ]);
    });

    it('reports a project without a function host', () => {
        const problems = checkAzdProject({
            azureYaml: 'name: x\nservices:\n  rotator:\n    project: .\n    language: ts\n    host: containerapp\n',
            bicepTexts: [taggedSite],
            fileExists: () => true,
        });
        expect(problems).toEqual(['expected exactly one service with host: function, found 0']);
    });
});

describe('infra scripts', () => {
    const scripts = repoFilesUnder('infra/scripts', '.sh');

    it('exist', () => {
        expect(scripts.map((s) => s.path)).toContain('infra/scripts/postprovision.sh');
    });

    it.each(scripts.map((s) => s.path))('%s is valid POSIX sh', (path) => {
        const result = spawnSync('sh', ['-n', join(repoRoot, path)], { encoding: 'utf8', timeout: 10_000 });
        expect(result.stderr).toBe('');
        expect(result.status).toBe(0);
    });

    it.each(scripts.map((s) => s.path))('%s never echoes a secret value through arguments', (path) => {
        // Secret material travels through mode-600 files (`--file`), never `--value` (visible in the process list).
        expect(readRepoFile(path).text).not.toMatch(/--value\b/);
    });
});
