import type { IncomingMessage } from 'node:http';
import { headerValue } from './util';

/**
 * Function keys. The real host keeps them in its secrets store; locally they come from settings:
 * LOCAL_HOST_MASTER_KEY (admin, and accepted everywhere), LOCAL_HOST_FUNCTION_KEY (default function key) and
 * LOCAL_HOST_FUNCTION_KEY__<FunctionName>. Like `func start`, a level with no key configured is not enforced.
 */
export interface HostKeys {
    master?: string;
    defaultFunctionKey?: string;
    functionKeys: Record<string, string>;
}

export function keysFromEnv(env: NodeJS.ProcessEnv): HostKeys {
    const functionKeys: Record<string, string> = {};
    for (const [name, value] of Object.entries(env)) {
        const m = /^LOCAL_HOST_FUNCTION_KEY__(.+)$/.exec(name);
        if (m?.[1] && value) functionKeys[m[1].toLowerCase()] = value;
    }
    return {
        master: env.LOCAL_HOST_MASTER_KEY || undefined,
        defaultFunctionKey: env.LOCAL_HOST_FUNCTION_KEY || undefined,
        functionKeys,
    };
}

export function presentedKey(req: IncomingMessage, url: URL): string | undefined {
    return url.searchParams.get('code') ?? headerValue(req, 'x-functions-key');
}

/** True when the request may call a function with this authLevel. */
export function authorized(keys: HostKeys, authLevel: string, functionName: string, key: string | undefined): boolean {
    const level = authLevel.toLowerCase();
    if (level === 'anonymous') return true;
    const accepted = [keys.master];
    if (level === 'function') accepted.push(keys.defaultFunctionKey, keys.functionKeys[functionName.toLowerCase()]);
    const configured = accepted.filter((k): k is string => typeof k === 'string');
    if (configured.length === 0) return true;
    return key !== undefined && configured.includes(key);
}
