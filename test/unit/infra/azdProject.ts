import { parse } from 'yaml';

/**
 * Checks azure.yaml: a `function` host service written in TypeScript, whose name matches the `azd-service-name`
 * tag in the Bicep (that tag is how azd finds the app to deploy to), and hook scripts that exist.
 */
export interface AzdCheckInput {
    readonly azureYaml: string;
    readonly bicepTexts: readonly string[];
    readonly fileExists: (repoRelativePath: string) => boolean;
}

interface AzdService {
    readonly host?: unknown;
    readonly language?: unknown;
    readonly project?: unknown;
}

const SERVICE_TAG = /'azd-service-name'\s*:\s*'([^']+)'/g;

export function checkAzdProject(input: AzdCheckInput): string[] {
    const problems: string[] = [];
    const doc = parse(input.azureYaml) as { services?: Record<string, AzdService>; hooks?: Record<string, unknown> };
    const services = Object.entries(doc.services ?? {});
    const functions = services.filter(([, s]) => s.host === 'function');
    if (functions.length !== 1)
        problems.push(`expected exactly one service with host: function, found ${functions.length}`);
    const tagged = new Set(input.bicepTexts.flatMap((t) => [...t.matchAll(SERVICE_TAG)].map((m) => m[1]!)));
    for (const [name, service] of functions) {
        if (service.language !== 'ts') problems.push(`service ${name}: language must be ts`);
        if (typeof service.project !== 'string') problems.push(`service ${name}: project path missing`);
        else if (!input.fileExists(`${service.project}/package.json`)) {
            problems.push(`service ${name}: ${service.project}/package.json does not exist`);
        }
        if (!tagged.has(name))
            problems.push(`service ${name}: no Bicep resource is tagged 'azd-service-name': '${name}'`);
    }
    for (const [hook, config] of Object.entries(doc.hooks ?? {})) {
        for (const run of hookScripts(config)) {
            if (!input.fileExists(run)) problems.push(`hook ${hook}: ${run} does not exist`);
        }
    }
    return problems;
}

/** `run:` values of a hook, whether declared once or per platform (posix/windows). */
function hookScripts(config: unknown): string[] {
    if (typeof config !== 'object' || config === null) return [];
    const entries = [config, ...Object.values(config)];
    return entries
        .map((e) => (typeof e === 'object' && e !== null && 'run' in e ? e.run : undefined))
        .filter((run): run is string => typeof run === 'string')
        .map((run) => run.replace(/^\.\//, ''));
}
