import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** `local.settings.json` → `Values`, as `func start` reads it. */
export function readSettingsValues(file: string): Record<string, string> {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as {
        Values?: Record<string, unknown>;
        IsEncrypted?: boolean;
    };
    if (parsed.IsEncrypted) throw new Error(`${file} is encrypted; the local host only reads plain settings.`);
    const values: Record<string, string> = {};
    for (const [k, v] of Object.entries(parsed.Values ?? {})) {
        if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') values[k] = String(v);
    }
    return values;
}

/**
 * Applies settings to the environment. Core Tools does not override variables already set in the environment;
 * `override` lets in-process tests force their values.
 */
export function applySettings(values: Record<string, string>, override: boolean): void {
    for (const [k, v] of Object.entries(values)) {
        if (override || process.env[k] === undefined) process.env[k] = v;
    }
}

interface HostJson {
    extensions?: { http?: { routePrefix?: string }; durableTask?: { hubName?: string } };
}

/** Route prefix and task hub from the app's host.json (defaults: "api", "TestHubName"). */
export function readHostJson(appRoot: string): { routePrefix: string; hubName: string } {
    const file = path.join(appRoot, 'host.json');
    const json: HostJson = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as HostJson) : {};
    const hub = (json.extensions?.durableTask?.hubName ?? 'TestHubName').replace(
        /%([^%]+)%/g,
        (_, name: string) => process.env[name] ?? name,
    );
    return { routePrefix: json.extensions?.http?.routePrefix ?? 'api', hubName: hub };
}
