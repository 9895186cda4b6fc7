/**
 * The slice of the `@azure/functions-core` contract the library uses. The real module is provided by the
 * Node worker (azure-functions-nodejs-worker `src/setupCoreModule.ts`); its types live in the library's
 * `types-core/index.d.ts`, which is not shipped on npm, so the shapes are restated here from how
 * `@azure/functions` 4.x (`dist/azure-functions.js`) calls them.
 */

export interface RpcBindingInfo {
    type?: string;
    direction?: 'in' | 'out' | 'inout';
    [property: string]: unknown;
}

export interface FunctionMetadata {
    name: string;
    functionId?: string;
    bindings: Record<string, RpcBindingInfo>;
    retryOptions?: unknown;
}

export type FunctionCallback = (...args: unknown[]) => unknown;

/** RpcTypedData: exactly one field is set. */
export interface RpcTypedData {
    string?: string;
    json?: string;
    bytes?: Uint8Array;
    int?: number;
    double?: number;
    http?: RpcHttpData;
}

export interface RpcHttpData {
    method?: string;
    url?: string;
    headers?: Record<string, string>;
    query?: Record<string, string>;
    params?: Record<string, string>;
    body?: RpcTypedData;
    statusCode?: string;
    cookies?: unknown[];
}

export interface RpcParameterBinding {
    name: string;
    data: RpcTypedData | undefined;
}

export interface RpcInvocationRequest {
    invocationId: string;
    functionId: string;
    inputData: RpcParameterBinding[];
    triggerMetadata: Record<string, RpcTypedData>;
    retryContext?: { retryCount: number; maxRetryCount: number };
}

export interface RpcInvocationResponse {
    invocationId?: string;
    outputData?: RpcParameterBinding[];
    returnValue?: RpcTypedData | null;
}

export type RpcLogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';
export type RpcLogCategory = 'user' | 'system' | 'customMetric';

export interface CoreInvocationContext {
    invocationId: string;
    request: RpcInvocationRequest;
    metadata: FunctionMetadata;
    state?: 'preInvocationHooks' | 'postInvocationHooks' | 'invocation';
    log(level: RpcLogLevel, category: RpcLogCategory, message: string): void;
}

export interface InvocationArguments {
    context: { invocationId: string; functionName: string };
    inputs: unknown[];
}

export interface InvocationModel {
    getArguments(): Promise<InvocationArguments>;
    invokeFunction(context: unknown, inputs: unknown[], handler: FunctionCallback): Promise<unknown>;
    getResponse(context: unknown, result: unknown): Promise<RpcInvocationResponse>;
}

export interface ProgrammingModel {
    name: string;
    version: string;
    getInvocationModel(coreCtx: CoreInvocationContext): InvocationModel;
    getCapabilities?(capabilities: Record<string, string>): Promise<Record<string, string>>;
}

export type HookName = 'appStart' | 'appTerminate' | 'preInvocation' | 'postInvocation' | 'log';
export type HookCallback = (context: Record<string, unknown>) => unknown;
