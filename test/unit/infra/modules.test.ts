import { describe, expect, it } from 'vitest';
import { moduleCalls, moduleWiringProblems, paramDeclarations, unpinnedRegistryReferences } from './bicepModules';
import { repoFilesUnder } from './repoFiles';

const main = (body: string) => ({ path: 'infra/main.bicep', text: body });
const child = (text: string) => ({ path: 'infra/app/child.bicep', text });
const childText = ['param name string', "param location string = 'x'", 'param tags object?', 'param id string'].join(
    '\n',
);

describe('Bicep modules (checked without a compiler)', () => {
    const files = repoFilesUnder('infra', '.bicep');

    it('pin every registry module and extension to an exact version', () => {
        expect(files.flatMap(unpinnedRegistryReferences)).toEqual([]);
    });

    it('call local modules with exactly the params they declare', () => {
        expect(moduleWiringProblems(files)).toEqual([]);
    });

    it('use every local module at least once', () => {
        const targets = new Set(
            files.flatMap(moduleCalls).map((c) => (c.target.startsWith('app/') ? `infra/${c.target}` : c.target)),
        );
        const unused = files.filter((f) => f.path.startsWith('infra/app/') && !targets.has(f.path)).map((f) => f.path);
        expect(unused).toEqual([]);
    });
});

describe('module checker (negative cases)', () => {
    it('reads declarations: defaults and nullable types are optional', () => {
        expect(paramDeclarations(childText)).toEqual([
            { name: 'name', required: true },
            { name: 'location', required: false },
            { name: 'tags', required: false },
            { name: 'id', required: true },
        ]);
    });

    it('reads only the top-level params of a call, ignoring comments and nested objects', () => {
        const call = main(
            [
                "module c 'app/child.bicep' = if (on) {",
                '  name: "c"',
                '  params: {',
                '    name: x // id: commented out',
                '    tags: {',
                "      location: 'nested, not a param'",
                '    }',
                '  }',
                '}',
            ].join('\n'),
        );
        expect(moduleCalls(call)).toEqual([
            { file: 'infra/main.bicep', symbol: 'c', target: 'app/child.bicep', params: ['name', 'tags'] },
        ]);
        expect(moduleWiringProblems([call, child(childText)])).toEqual([
            'infra/main.bicep: module c omits required param id of infra/app/child.bicep',
        ]);
    });

    it('reports unknown params and missing module files', () => {
        const call = main(
            [
                "module c 'app/child.bicep' = {",
                '  params: {',
                '    name: x',
                '    id: y',
                '    colour: z',
                '  }',
                '}',
                "module d 'app/nope.bicep' = {",
                '}',
            ].join('\n'),
        );
        expect(moduleWiringProblems([call, child(childText)])).toEqual([
            'infra/main.bicep: module c passes colour, which infra/app/child.bicep does not declare',
            'infra/main.bicep: module d points at missing infra/app/nope.bicep',
        ]);
    });

    it('reports unpinned registry references', () => {
        const text = [
            "module a 'br/public:avm/res/web/site:0.9.0' = {}",
            "module b 'br/public:avm/res/web/site:latest' = {}",
            "module c 'br:example.invalid/bicep/mod:1.0.0' = {}",
        ].join('\n');
        expect(unpinnedRegistryReferences(main(text))).toEqual([
            "infra/main.bicep: 'br/public:avm/res/web/site:latest' must be br/public:<path>:<x.y.z>",
            "infra/main.bicep: 'br:example.invalid/bicep/mod:1.0.0' must be br/public:<path>:<x.y.z>",
        ]);
    });
});
