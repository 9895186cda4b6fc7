/**
 * Shared set-up of the infra contract tests: the compiled templates (real compiler) evaluated for a sample
 * environment, or the reason they could not be compiled on this machine.
 */
import { type Json } from './armTemplate';
import { bicepCompiler, compileInfra, type CompiledInfra, readCompiled } from './bicepCompiler';

export const SAMPLE_PARAMETERS = {
    environmentName: 'dev',
    location: 'westeurope',
    operatorApiAppId: '3f2504e0-4f89-41d3-9a0c-0305e82c3301',
    vaultSuffix: 'k3x9q',
} as const;

/** Build + lint of every template: ~15 s on a busy 2-core machine, more on a cold start. */
export const COMPILE_TIMEOUT_MS = 180_000;

const compiler = bicepCompiler();

/** Why the compile-based tests cannot run here (never in CI), or undefined. */
export const skipReason: string | undefined = 'skipped' in compiler ? compiler.skipped : undefined;
if (skipReason) {
    console.warn(`[infra] Bicep compile and contract tests SKIPPED: ${skipReason}`);
}

let compiled: CompiledInfra | undefined;

export function compiledInfra(): CompiledInfra {
    if ('skipped' in compiler) throw new Error(compiler.skipped);
    compiled ??= compileInfra(compiler);
    return compiled;
}

export function template(bicepFile: string): { [key: string]: Json } {
    return readCompiled(compiledInfra(), bicepFile) as { [key: string]: Json };
}
