import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { headerValue } from './util';

/** System keys the Functions host creates for the extensions this app uses (Event Grid webhook, Durable API). */
export const SYSTEM_KEY_NAMES = ['eventgrid_extension', 'durabletask_extension'] as const;
export type SystemKeyName = (typeof SYSTEM_KEY_NAMES)[number];

/**
 * Host keys. Like the Functions host, a master key and the extensions' system keys always exist: they are
 * generated at the first start and kept in the secrets store (here `<state>/secrets/host.json`, owner-only).
 * LOCAL_HOST_MASTER_KEY overrides the master key; LOCAL_HOST_FUNCTION_KEY (default function key) and
 * LOCAL_HOST_FUNCTION_KEY__<FunctionName> add function keys.
 */
export interface HostKeys {
    master: string;
    system: Record<SystemKeyName, string>;
    defaultFunctionKey?: string;
    functionKeys: Record<string, string>;
}

/** What the host publishes (ready line, keys file): the secrets callers need for admin, webhooks and durable. */
export interface PublishedKeys {
    masterKey: string;
    systemKeys: Record<SystemKeyName, string>;
}

const newKey = (): string => randomBytes(32).toString('base64url');

interface SecretsFile {
    masterKey: { name: '_master'; value: string; encrypted: false };
    systemKeys: { name: string; value: string; encrypted: false }[];
}

/** Reads or creates the host's secrets file (0600 in a 0700 folder, also narrowing an older, wider file). */
export function loadOrCreateSecrets(stateDir: string | undefined): PublishedKeys {
    const file = stateDir ? secretsFile(stateDir) : undefined;
    let stored: Partial<SecretsFile> = {};
    if (file && existsSync(file)) stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<SecretsFile>;
    const masterKey = stored.masterKey?.value || newKey();
    const systemKeys = Object.fromEntries(
        SYSTEM_KEY_NAMES.map((n) => [n, stored.systemKeys?.find((k) => k.name === n)?.value || newKey()]),
    ) as Record<SystemKeyName, string>;
    if (file) {
        mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
        chmodSync(path.dirname(file), 0o700);
        const body: SecretsFile = {
            masterKey: { name: '_master', value: masterKey, encrypted: false },
            systemKeys: SYSTEM_KEY_NAMES.map((name) => ({ name, value: systemKeys[name], encrypted: false })),
        };
        writeFileSync(file, JSON.stringify(body, null, 2), { mode: 0o600 });
        chmodSync(file, 0o600);
    }
    return { masterKey, systemKeys };
}

export const secretsFile = (stateDir: string): string => path.join(stateDir, 'secrets', 'host.json');

export function hostKeys(env: NodeJS.ProcessEnv, stored: PublishedKeys): HostKeys {
    const functionKeys: Record<string, string> = {};
    for (const [name, value] of Object.entries(env)) {
        const m = /^LOCAL_HOST_FUNCTION_KEY__(.+)$/.exec(name);
        if (m?.[1] && value) functionKeys[m[1].toLowerCase()] = value;
    }
    return {
        master: env.LOCAL_HOST_MASTER_KEY || stored.masterKey,
        system: stored.systemKeys,
        defaultFunctionKey: env.LOCAL_HOST_FUNCTION_KEY || undefined,
        functionKeys,
    };
}

export function presentedKey(req: IncomingMessage, url: URL): string | undefined {
    return url.searchParams.get('code') ?? headerValue(req, 'x-functions-key');
}

/** True when the request may call a function with this authLevel (the master key is accepted at every level). */
export function authorized(keys: HostKeys, authLevel: string, functionName: string, key: string | undefined): boolean {
    const level = authLevel.toLowerCase();
    if (level === 'anonymous') return true;
    const accepted: (string | undefined)[] = [keys.master];
    if (level === 'function') accepted.push(keys.defaultFunctionKey, keys.functionKeys[functionName.toLowerCase()]);
    return key !== undefined && accepted.some((k) => k !== undefined && k === key);
}

/** An extension webhook: its own system key or the master key. */
export function systemAuthorized(keys: HostKeys, name: SystemKeyName, key: string | undefined): boolean {
    return key !== undefined && (key === keys.system[name] || key === keys.master);
}
