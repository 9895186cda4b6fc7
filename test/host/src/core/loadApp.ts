import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { captureRegistrations, currentProgrammingModel, FunctionRegistry } from './coreShim';

const hostRequire = createRequire(__filename);

/**
 * Resolves the entry point(s) the worker would load: an explicit file, or the app's package.json `main`, which the
 * v4 model allows to be a glob such as `dist/src/functions/*.js` (only `*` in the last segment is supported here).
 */
export function resolveEntryPoints(appRoot: string, entry?: string): string[] {
    const main =
        entry ?? (JSON.parse(readFileSync(path.join(appRoot, 'package.json'), 'utf8')) as { main?: string }).main;
    if (!main) {
        throw new Error(`No entry point: pass one explicitly or set "main" in ${path.join(appRoot, 'package.json')}.`);
    }
    const absolute = path.resolve(appRoot, main);
    if (!path.basename(absolute).includes('*')) {
        if (!existsSync(absolute)) throw new Error(`Entry point not found: ${absolute}`);
        return [absolute];
    }
    const dir = path.dirname(absolute);
    const pattern = new RegExp(
        '^' +
            path
                .basename(absolute)
                .split('*')
                .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
                .join('.*') +
            '$',
    );
    return readdirSync(dir)
        .filter((f) => pattern.test(f))
        .sort()
        .map((f) => path.join(dir, f));
}

/** Forget previously loaded app modules so a second host in the same process re-runs their registrations. */
function evictAppModules(appRoot: string): void {
    const cache = hostRequire.cache;
    const root = path.resolve(appRoot) + path.sep;
    for (const key of Object.keys(cache)) {
        if (key.startsWith(root) && !key.includes(`${path.sep}node_modules${path.sep}`)) {
            delete cache[key];
        }
    }
}

let tsxRegistered = false;

function ensureTypeScriptLoader(): void {
    if (tsxRegistered) return;
    // tsx's CommonJS hook compiles .ts on require; compiled-JS apps never need it.
    const tsx = hostRequire('tsx/cjs/api') as { register(): () => void };
    tsx.register();
    tsxRegistered = true;
}

export interface LoadedApp {
    registry: FunctionRegistry;
    entryPoints: string[];
}

export async function loadApp(appRoot: string, entry?: string): Promise<LoadedApp> {
    const entryPoints = resolveEntryPoints(appRoot, entry);
    const registry = new FunctionRegistry();
    evictAppModules(appRoot);
    await captureRegistrations(registry, () => {
        for (const file of entryPoints) {
            if (/\.[cm]?ts$/.test(file)) ensureTypeScriptLoader();
            hostRequire(file);
        }
    });
    if (registry.functions.size > 0) {
        // Fails loudly if the app's "@azure/functions" never talked to the shim (e.g. loaded before install).
        currentProgrammingModel();
    }
    return { registry, entryPoints };
}
