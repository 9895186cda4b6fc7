import { createRequire } from 'node:module';
import type {
    FunctionCallback,
    FunctionMetadata,
    HookCallback,
    HookName,
    ProgrammingModel,
    RpcBindingInfo,
    RpcLogCategory,
    RpcLogLevel,
} from './types';

/**
 * Stand-in for the module the Node worker injects as `@azure/functions-core`.
 *
 * Verified against `@azure/functions` 4.16.5 (`src/utils/tryGetCoreApiLazy.ts`): the library `require`s the core
 * module lazily on its first `app.*` call and caches `null` forever if that fails ("test mode"), so the shim must be
 * installed before any app code registers a function. We resolve the id to a synthetic cache entry (the worker uses
 * a `Module.prototype.require` proxy instead; the effect on the library is identical).
 */

export const CORE_MODULE_ID = '@azure/functions-core';

export interface RegisteredFunction {
    name: string;
    metadata: FunctionMetadata;
    callback: FunctionCallback;
    triggerBindingName: string;
    trigger: RpcBindingInfo & { type: string };
}

export class Disposable {
    #callOnDispose: () => void;
    constructor(callOnDispose: () => void) {
        this.#callOnDispose = callOnDispose;
    }
    dispose(): void {
        this.#callOnDispose();
        this.#callOnDispose = () => {};
    }
}

/** What one loaded app registered: functions (case-insensitive names, as in the real host) and hooks. */
export class FunctionRegistry {
    readonly functions = new Map<string, RegisteredFunction>();
    readonly hooks: Record<HookName, HookCallback[]> = {
        appStart: [],
        appTerminate: [],
        preInvocation: [],
        postInvocation: [],
        log: [],
    };
    /** Set once the app entry point has loaded; later registrations are rejected like the worker does. */
    locked = false;

    get(name: string): RegisteredFunction | undefined {
        return this.functions.get(name.toLowerCase());
    }

    list(): RegisteredFunction[] {
        return [...this.functions.values()];
    }
}

let activeRegistry: FunctionRegistry | undefined;
let programmingModel: ProgrammingModel | undefined;
let systemLogSink: (level: RpcLogLevel, message: string) => void = () => {};

function requireActive(what: string): FunctionRegistry {
    if (!activeRegistry) {
        throw new Error(`Local host: ${what} called while no app is loading.`);
    }
    return activeRegistry;
}

const coreApi = {
    version: '3.10.1-local',
    hostVersion: '4.1037.0-local',
    Disposable,
    setProgrammingModel(model: ProgrammingModel): void {
        programmingModel = model;
    },
    getProgrammingModel(): ProgrammingModel | undefined {
        return programmingModel;
    },
    registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable {
        const registry = requireActive('registerFunction');
        if (registry.locked) {
            throw new Error('A function can only be registered during app startup.');
        }
        const key = metadata.name.toLowerCase();
        if (registry.functions.has(key)) {
            throw new Error(`Duplicate function name "${metadata.name}".`);
        }
        const triggerEntry = Object.entries(metadata.bindings).find(([, b]) => /trigger$/i.test(b.type ?? ''));
        if (!triggerEntry) {
            throw new Error(`Function "${metadata.name}" has no trigger binding.`);
        }
        const [triggerBindingName, trigger] = triggerEntry;
        registry.functions.set(key, {
            name: metadata.name,
            metadata,
            callback,
            triggerBindingName,
            trigger: { ...trigger, type: trigger.type ?? '' },
        });
        return new Disposable(() => registry.functions.delete(key));
    },
    registerHook(hookName: HookName, callback: HookCallback): Disposable {
        const registry = requireActive('registerHook');
        const list = registry.hooks[hookName];
        if (!list) {
            throw new RangeError(`Unrecognized hook "${String(hookName)}"`);
        }
        list.push(callback);
        return new Disposable(() => {
            const at = list.indexOf(callback);
            if (at >= 0) list.splice(at, 1);
        });
    },
    log(level: RpcLogLevel, _category: RpcLogCategory, message: string): void {
        systemLogSink(level, message);
    },
};

interface ModuleInternals {
    _resolveFilename(request: string, ...rest: unknown[]): string;
    _cache: Record<string, unknown>;
}

let installed = false;

/** Idempotent: makes `require('@azure/functions-core')` return the shim for the rest of the process. */
export function installCoreShim(): void {
    if (installed) return;
    installed = true;
    const nodeModule = createRequire(__filename)('node:module') as ModuleInternals;
    const original = nodeModule._resolveFilename;
    nodeModule._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
        return request === CORE_MODULE_ID ? CORE_MODULE_ID : original.call(this, request, ...rest);
    };
    nodeModule._cache[CORE_MODULE_ID] = {
        id: CORE_MODULE_ID,
        filename: CORE_MODULE_ID,
        loaded: true,
        exports: coreApi,
        children: [],
        paths: [],
    };
}

/** Routes every registration made while `load` runs into `registry`, then locks it. */
export async function captureRegistrations(
    registry: FunctionRegistry,
    load: () => Promise<void> | void,
): Promise<void> {
    installCoreShim();
    if (activeRegistry && !activeRegistry.locked) {
        throw new Error('Local host: another app is still loading in this process.');
    }
    activeRegistry = registry;
    try {
        await load();
    } finally {
        registry.locked = true;
    }
}

/** Hooks registered after startup (e.g. inside a function) still land in the last loaded app. */
export function currentProgrammingModel(): ProgrammingModel {
    if (!programmingModel) {
        throw new Error('The app did not register a programming model (is "@azure/functions" v4 loaded?).');
    }
    return programmingModel;
}

export function setSystemLogSink(sink: (level: RpcLogLevel, message: string) => void): void {
    systemLogSink = sink;
}
