import { randomUUID } from 'node:crypto';
import { currentProgrammingModel, type FunctionRegistry, type RegisteredFunction } from './coreShim';
import type {
    CoreInvocationContext,
    HookName,
    RpcInvocationResponse,
    RpcLogCategory,
    RpcLogLevel,
    RpcParameterBinding,
    RpcTypedData,
} from './types';

export interface LogRecord {
    level: RpcLogLevel;
    category: RpcLogCategory;
    message: string;
    functionName?: string;
    invocationId?: string;
}

export type LogSink = (record: LogRecord) => void;

export interface InvokeOptions {
    /** RpcTypedData for the trigger binding, as the host would send it. */
    triggerData: RpcTypedData | undefined;
    triggerMetadata?: Record<string, RpcTypedData>;
    retryContext?: { retryCount: number; maxRetryCount: number };
}

/** Values for non-trigger input bindings (the host fills the durable client binding). */
export type ExtraInputProvider = (
    fn: RegisteredFunction,
    bindingName: string,
    type: string,
) => RpcTypedData | undefined;

/**
 * Invokes registered functions the way the Node worker's `InvocationHandler` does (azure-functions-nodejs-worker
 * `src/eventHandlers/InvocationHandler.ts`): through the programming model's own `InvocationModel` (so RPC data
 * conversion, `InvocationContext`, `HttpRequest`, timer camel-casing and `extraInputs` come from `@azure/functions`
 * itself), preInvocation hooks (which may swap inputs and handler), the call, postInvocation hooks (which may
 * replace result or error), then `getResponse`. Log hooks see the invocation's hookData (`WorkerContext.log`).
 */
export class Invoker {
    /** Shared by every hook, as `appHookData` is in the worker. */
    readonly appHookData: Record<string, unknown> = {};
    /** `hookData` of appStart/appTerminate hooks (the worker's `appLevelOnlyHookData`). */
    private readonly appLevelOnlyHookData: Record<string, unknown> = {};

    constructor(
        private readonly registry: FunctionRegistry,
        private readonly logSink: LogSink,
        private readonly extraInputs: ExtraInputProvider,
    ) {}

    async runAppHook(name: 'appStart' | 'appTerminate', extra: Record<string, unknown> = {}): Promise<void> {
        await this.runHooks(name, { hookData: this.appLevelOnlyHookData, appHookData: this.appHookData, ...extra });
    }

    private async runHooks(name: HookName, context: Record<string, unknown>): Promise<void> {
        for (const hook of [...this.registry.hooks[name]]) {
            await hook(context);
        }
    }

    async invoke(fn: RegisteredFunction, options: InvokeOptions): Promise<RpcInvocationResponse> {
        const invocationId = randomUUID();
        const inputData: RpcParameterBinding[] = [{ name: fn.triggerBindingName, data: options.triggerData }];
        for (const [bindingName, binding] of Object.entries(fn.metadata.bindings)) {
            if (bindingName === fn.triggerBindingName || binding.direction !== 'in') continue;
            const data = this.extraInputs(fn, bindingName, binding.type ?? '');
            if (data !== undefined) inputData.push({ name: bindingName, data });
        }
        // Filled once the library has built the InvocationContext; log hooks receive it with the hookData.
        const current: { context?: unknown; hookData?: Record<string, unknown> } = {};
        const coreCtx: CoreInvocationContext = {
            invocationId,
            metadata: fn.metadata,
            request: {
                invocationId,
                functionId: fn.name,
                inputData,
                // The host adds `sys` binding data to every invocation (UtcNow is wall-clock time here).
                triggerMetadata: {
                    sys: jsonData({ MethodName: fn.name, UtcNow: new Date().toISOString(), RandGuid: randomUUID() }),
                    ...options.triggerMetadata,
                },
                retryContext: options.retryContext,
            },
            log: (level, category, message) => this.log(fn, invocationId, current, level, category, message),
        };
        const model = currentProgrammingModel().getInvocationModel(coreCtx);
        const { context, inputs } = await model.getArguments();
        const hookData: Record<string, unknown> = {};
        current.context = context;
        current.hookData = hookData;
        const pre: Record<string, unknown> = {
            hookData,
            appHookData: this.appHookData,
            invocationContext: context,
            functionCallback: fn.callback,
            inputs,
        };
        coreCtx.state = 'preInvocationHooks';
        try {
            await this.runHooks('preInvocation', pre);
        } finally {
            coreCtx.state = undefined;
        }
        const post: Record<string, unknown> = {
            hookData,
            appHookData: this.appHookData,
            invocationContext: context,
            inputs: pre.inputs,
            result: null,
            error: null,
        };
        coreCtx.state = 'invocation';
        try {
            post.result = await model.invokeFunction(
                context,
                pre.inputs as unknown[],
                pre.functionCallback as typeof fn.callback,
            );
        } catch (err) {
            post.error = err;
        } finally {
            coreCtx.state = undefined;
        }
        coreCtx.state = 'postInvocationHooks';
        try {
            await this.runHooks('postInvocation', post);
        } finally {
            coreCtx.state = undefined;
        }
        // Like the worker, only an error-shaped value fails the invocation.
        if (isErrorLike(post.error)) throw post.error;
        return model.getResponse(context, post.result);
    }

    private log(
        fn: RegisteredFunction,
        invocationId: string,
        invocation: { context?: unknown; hookData?: Record<string, unknown> },
        level: RpcLogLevel,
        category: RpcLogCategory,
        message: string,
    ): void {
        // Log hooks run synchronously for every log; only user logs can be rewritten, and a throwing hook cannot
        // suppress the log (worker `WorkerContext.log`).
        const hookContext: Record<string, unknown> = {
            hookData: invocation.hookData ?? {},
            appHookData: this.appHookData,
            level,
            category,
            message,
            invocationContext: invocation.context,
        };
        try {
            for (const hook of this.registry.hooks.log) {
                void hook(hookContext);
            }
        } catch {
            // ignored, as in the worker
        }
        const finalMessage = category === 'user' ? String(hookContext.message) : message;
        const finalLevel = category === 'user' ? (hookContext.level as RpcLogLevel) : level;
        this.logSink({ level: finalLevel, category, message: finalMessage, functionName: fn.name, invocationId });
    }
}

function isErrorLike(value: unknown): value is Error {
    return value instanceof Error || (typeof value === 'object' && value !== null && 'message' in value);
}

/** RpcTypedData → JS value, mirroring the library's `fromRpcTypedData` for the shapes the host produces. */
export function typedDataToValue(data: RpcTypedData | null | undefined): unknown {
    if (!data) return undefined;
    if (data.json !== undefined) return JSON.parse(data.json);
    if (data.string !== undefined) return data.string;
    if (data.int !== undefined) return data.int;
    if (data.double !== undefined) return data.double;
    if (data.bytes !== undefined) return Buffer.from(data.bytes).toString('base64');
    return undefined;
}

/** A function return value as the JSON text the Durable extension stores (`TaskCompleted.Result`). */
export function typedDataToJsonText(data: RpcTypedData | null | undefined): string | null {
    const value = typedDataToValue(data);
    return value === undefined ? null : JSON.stringify(value);
}

export function jsonData(value: unknown): RpcTypedData {
    return { string: JSON.stringify(value) };
}
