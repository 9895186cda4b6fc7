import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import Ajv2019 from 'ajv/dist/2019';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { checkAzdProject } from './azdProject';
import { readRepoFile, repoFileExists, repoFilesUnder, repoRoot } from './repoFiles';

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

/**
 * The azd schema is draft 2019-09; Ajv's 2019 class validates it as written. The one external schema it references
 * (the `azure.ai.agent` host, a service type this project does not use) is not available offline and accepts
 * anything here.
 */
function azdSchemaValidator() {
    const path = join(repoRoot, '..', 'shared', 'schemas', 'azure.yaml.v1.0.schema.json');
    const schema = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    const ajv = new Ajv2019({ allErrors: true, strict: false, logger: false });
    const external = JSON.stringify(schema).match(/https:\/\/[^"#]+\.json(?=")/g) ?? [];
    for (const url of new Set(external)) if (url !== schema['$id']) ajv.addSchema({ $id: url }, url);
    return ajv.compile(schema);
}

describe('azure.yaml', () => {
    const validate = azdSchemaValidator();

    it('is valid against the azd JSON schema (v1.0)', () => {
        const ok = validate(parse(readRepoFile('azure.yaml').text));
        expect(validate.errors ?? []).toEqual([]);
        expect(ok).toBe(true);
    });

    it('the schema check rejects what azd rejects (unknown key, wrong hook shape)', () => {
        expect(
            validate(parse('name: x\nservices:\n  a:\n    project: .\n    host: function\n    remoteBuild: "no"\n')),
        ).toBe(false);
        expect(validate(parse('name: x\nhooks:\n  postdeploy:\n    shell: fish\n    run: x\n'))).toBe(false);
        expect(validate(parse('name: x\nunknownTopLevel: 1\n'))).toBe(false);
    });

    it('names one TypeScript function service deployed from the production package, and hook scripts that exist', () => {
        const problems = checkAzdProject({ azureYaml: readRepoFile('azure.yaml').text, fileExists: repoFileExists });
        expect(problems).toEqual([]);
    });

    it('reports a non-TypeScript service, a dev-dependency package and a missing hook script', () => {
        const problems = checkAzdProject({
            azureYaml: yaml('    language: js\n    host: function'),
            fileExists: (path) => path === './package.json',
        });
        expect(problems).toEqual([
            'service rotator: language must be ts',
            'service rotator: must deploy the production package (remoteBuild: false, dist = prepackage --out)',
            'hook postdeploy: infra/scripts/missing.sh does not exist',
        ]);
    });

    it('reports a project without a function host', () => {
        const problems = checkAzdProject({
            azureYaml: 'name: x\nservices:\n  rotator:\n    project: .\n    language: ts\n    host: containerapp\n',
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

    it.each(scripts.map((s) => s.path))('%s takes the Graph host from the deployment, never a fixed cloud', (path) => {
        const text = readRepoFile(path).text.replace(/^\s*#.*$/gm, '');
        expect(path.endsWith('lib.sh') || !text.includes('graph.microsoft.com')).toBe(true);
    });
});
