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
 * Invokes registered functions the way the Node worker's `InvocationHandler` does: through the programming model's
 * own `InvocationModel` (so RPC data conversion, `InvocationContext`, `HttpRequest`, timer camel-casing and
 * `extraInputs` come from `@azure/functions` itself), with preInvocation/postInvocation and log hooks around it.
 */
export class Invoker {
    /** Shared by every hook invocation, as `appHookData` is in the worker. */
    readonly appHookData: Record<string, unknown> = {};

    constructor(
        private readonly registry: FunctionRegistry,
        private readonly logSink: LogSink,
        private readonly extraInputs: ExtraInputProvider,
    ) {}

    async runAppHook(name: 'appStart' | 'appTerminate', extra: Record<string, unknown> = {}): Promise<void> {
        await this.runHooks(name, { hookData: this.appHookData, appHookData: this.appHookData, ...extra });
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
        // Filled once the library has built the InvocationContext; log hooks receive it.
        const current: { context?: unknown } = {};
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
            log: (level, category, message) => this.log(fn, invocationId, current.context, level, category, message),
        };
        const model = currentProgrammingModel().getInvocationModel(coreCtx);
        const { context, inputs } = await model.getArguments();
        current.context = context;

        const hookData: Record<string, unknown> = {};
        const pre: Record<string, unknown> = {
            hookData,
            appHookData: this.appHookData,
            invocationContext: context,
            functionCallback: fn.callback,
            inputs,
        };
        coreCtx.state = 'preInvocationHooks';
        await this.runHooks('preInvocation', pre);
        coreCtx.state = 'invocation';
        let result: unknown;
        let error: unknown;
        try {
            result = await model.invokeFunction(
                context,
                pre.inputs as unknown[],
                pre.functionCallback as typeof fn.callback,
            );
        } catch (err) {
            error = err;
        }
        const post: Record<string, unknown> = {
            hookData,
            appHookData: this.appHookData,
            invocationContext: context,
            inputs: pre.inputs,
            result,
            error,
        };
        coreCtx.state = 'postInvocationHooks';
        await this.runHooks('postInvocation', post);
        coreCtx.state = undefined;
        if (post.error !== undefined && post.error !== null) {
            throw post.error instanceof Error ? post.error : new Error(JSON.stringify(post.error));
        }
        return model.getResponse(context, post.result);
    }

    private log(
        fn: RegisteredFunction,
        invocationId: string,
        invocationContext: unknown,
        level: RpcLogLevel,
        category: RpcLogCategory,
        message: string,
    ): void {
        // Log hooks run synchronously for every log; only user logs can be rewritten (library LogHookContext docs).
        const hookContext: Record<string, unknown> = {
            hookData: {},
            appHookData: this.appHookData,
            level,
            category,
            message,
            invocationContext,
        };
        for (const hook of this.registry.hooks.log) {
            hook(hookContext);
        }
        const finalMessage = category === 'user' ? String(hookContext.message) : message;
        const finalLevel = category === 'user' ? (hookContext.level as RpcLogLevel) : level;
        this.logSink({ level: finalLevel, category, message: finalMessage, functionName: fn.name, invocationId });
    }
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
