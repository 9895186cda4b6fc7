import { type EmuRequest, type EmuResponse, type EmulatorContext, type ServiceModule } from '../core/contract';
import { FaultPlan } from '../core/faults';
import { newGuid } from '../core/ids';
import { type TenantRuntime } from '../entra/runtime';
import { authenticate, type GraphCall } from './auth';
import { runBatch } from './batch';
import { GraphError, graphErrorResponse, graphHeaders } from './errors';
import { route } from './router';

const PREFIX = /^\/(v1\.0|beta)(\/.*)?$/;

/**
 * Microsoft Graph (v1.0 and beta) over the shared directory. The directory's persistence belongs to the
 * Entra module, so this module has no state of its own.
 */
export function createGraphModule(runtime: TenantRuntime, faults: FaultPlan): ServiceModule {
    /** Per-item 429 inside a batch: the core's faults only see the outer request. */
    const itemThrottle = (): number | undefined => {
        const fault = faults.services.graph.batchItemThrottle;
        return FaultPlan.consume(fault) ? fault?.retryAfterSeconds : undefined;
    };
    const execute = async (request: EmuRequest, context: EmulatorContext): Promise<EmuResponse> => {
        const now = runtime.clock.now();
        const [, version = 'v1.0', path = '/'] = PREFIX.exec(request.path) ?? [];
        try {
            if (path === '/$batch' && request.method === 'POST') {
                authenticate(runtime, request);
                return await runBatch(request, version, (inner) => {
                    const retryAfter = itemThrottle();
                    if (retryAfter === undefined) return execute(inner, context);
                    const throttled = graphErrorResponse(
                        429,
                        'TooManyRequests',
                        'Please retry again later.',
                        inner,
                        now,
                    );
                    return Promise.resolve({
                        ...throttled,
                        headers: { ...throttled.headers, 'retry-after': String(retryAfter) },
                    });
                });
            }
            const caller = authenticate(runtime, request);
            const call: GraphCall = { runtime, request, caller, version: version as GraphCall['version'], path, now };
            const response = route(call);
            if (request.method !== 'GET' && response.status < 300) context.markDirty();
            const requestId = newGuid();
            return { ...response, headers: { ...graphHeaders(request, requestId), ...(response.headers ?? {}) } };
        } catch (error) {
            if (error instanceof GraphError)
                return graphErrorResponse(error.status, error.code, error.message, request, now);
            throw error;
        }
    };
    return {
        name: 'graph',
        matches: (request: EmuRequest) => PREFIX.test(request.path),
        handle: execute,
        formatError: (status, code, message, request) =>
            graphErrorResponse(status, code, message, request, runtime.clock.now()),
        stateView: () => ({ note: 'Graph serves the directory owned by the entra service (see services.entra).' }),
        snapshot: () => ({}),
        restore: () => undefined,
        reset: () => undefined,
    };
}
