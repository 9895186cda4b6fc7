import { parse } from 'yaml';

/**
 * Checks azure.yaml beyond its JSON schema: one `function` host service written in TypeScript, deployed from the
 * production-only package (`dist` + remoteBuild false + the packaging hook), and hook scripts that exist.
 * (The `azd-service-name` tag that lets azd find the app is checked on the compiled template.)
 */
export interface AzdCheckInput {
    readonly azureYaml: string;
    readonly fileExists: (repoRelativePath: string) => boolean;
}

interface AzdService {
    readonly host?: unknown;
    readonly language?: unknown;
    readonly project?: unknown;
    readonly dist?: unknown;
    readonly remoteBuild?: unknown;
    readonly hooks?: Record<string, { run?: unknown }>;
}

export function checkAzdProject(input: AzdCheckInput): string[] {
    const problems: string[] = [];
    const doc = parse(input.azureYaml) as { services?: Record<string, AzdService>; hooks?: Record<string, unknown> };
    const services = Object.entries(doc.services ?? {});
    const functions = services.filter(([, s]) => s.host === 'function');
    if (functions.length !== 1)
        problems.push(`expected exactly one service with host: function, found ${functions.length}`);
    for (const [name, service] of functions) {
        if (service.language !== 'ts') problems.push(`service ${name}: language must be ts`);
        if (typeof service.project !== 'string') problems.push(`service ${name}: project path missing`);
        else if (!input.fileExists(`${service.project}/package.json`)) {
            problems.push(`service ${name}: ${service.project}/package.json does not exist`);
        }
        const run = service.hooks?.['prepackage']?.run;
        const packager = typeof run === 'string' ? run : '';
        const out = /--out\s+(\S+)/.exec(packager)?.[1];
        if (service.remoteBuild !== false || typeof service.dist !== 'string' || out !== service.dist) {
            problems.push(
                `service ${name}: must deploy the production package (remoteBuild: false, dist = prepackage --out)`,
            );
        }
        const script = /node\s+(\S+)/.exec(packager)?.[1];
        if (script && !input.fileExists(script)) problems.push(`service ${name}: ${script} does not exist`);
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
