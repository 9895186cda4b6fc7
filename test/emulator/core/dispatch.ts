import { type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

import { type TenantRuntime } from '../entra/runtime';
import { type EmuRequest, type EmuResponse, type EmulatorContext, type ServiceModule } from './contract';
import { handleControl, type ControlDeps } from './control';
import { FaultPlan, noFaults, sendsRetryAfter } from './faults';

const NO_FAULTS = noFaults();
import { BodyTooLargeError, readBody, toEmuRequest, writeEmuResponse } from './http';

function errorFor(
    module: ServiceModule | undefined,
    status: number,
    code: string,
    message: string,
    request: EmuRequest,
): EmuResponse {
    return module?.formatError?.(status, code, message, request) ?? { status, body: { error: { code, message } } };
}

/** The injected 5xx of the `serverErrors` fault, in the service's own error shape. */
function injectedServerError(module: ServiceModule, status: number, request: EmuRequest): EmuResponse {
    return errorFor(module, status, 'ServiceUnavailable', 'The service is temporarily unavailable.', request);
}

function withHeaders(response: EmuResponse, headers: Record<string, string>): EmuResponse {
    return { ...response, headers: { ...(response.headers ?? {}), ...headers } };
}

/** Identifies the caller for quota accounting: the token's app id, else the client address. */
function callerKey(runtime: TenantRuntime, request: EmuRequest): string {
    return runtime.verifyAccessToken(request.headers['authorization'])?.appid ?? 'anonymous';
}

/**
 * Routes one HTTP request: control API, or the first matching service after its injected faults. Every
 * failure becomes a response in the service's own error shape; nothing a client sends can crash the server.
 */
export function createDispatcher(deps: ControlDeps & { readonly context: EmulatorContext }) {
    const { runtime, faults, limits, context, services } = deps;
    return async (message: IncomingMessage, res: ServerResponse): Promise<void> => {
        const probe = toEmuRequest(message, context.origin, Buffer.alloc(0));
        const module = probe.path.startsWith('/_emulator/')
            ? undefined
            : services.modules.find((m) => m.matches(probe));
        let request = probe;
        try {
            try {
                request = toEmuRequest(message, context.origin, await readBody(message));
            } catch (error) {
                if (!(error instanceof BodyTooLargeError)) throw error;
                res.setHeader('connection', 'close');
                writeEmuResponse(
                    res,
                    errorFor(module, 413, 'RequestEntityTooLarge', 'The request body is too large.', probe),
                );
                return;
            }
            if (request.path.startsWith('/_emulator/')) {
                writeEmuResponse(res, await handleControl(deps, request));
                return;
            }
            if (!module) {
                writeEmuResponse(
                    res,
                    errorFor(
                        undefined,
                        404,
                        'NotFound',
                        `No emulated service serves ${request.method} ${request.path}.`,
                        request,
                    ),
                );
                return;
            }
            const arrivedAt = performance.now();
            const configured = faults.services[module.name];
            // A method filter exempts other requests from every fault of the service.
            const plan = configured.methods && !configured.methods.includes(request.method) ? NO_FAULTS : configured;
            if (FaultPlan.consume(plan.drop)) {
                res.socket?.destroy();
                return;
            }
            if (plan.latencyMs > 0) await sleep(plan.latencyMs);
            if (FaultPlan.consume(plan.throttle)) {
                const retryAfter = plan.throttle?.retryAfterSeconds;
                const response = errorFor(module, 429, 'TooManyRequests', 'Please retry again later.', request);
                writeEmuResponse(
                    res,
                    retryAfter === null || retryAfter === undefined
                        ? response
                        : withHeaders(response, { 'retry-after': String(retryAfter) }),
                );
                return;
            }
            let limitHeaders: Record<string, string> = {};
            if (plan.limits) {
                const decision = limits.charge(
                    module.name,
                    callerKey(runtime, request),
                    request,
                    runtime.clock.now().getTime(),
                    plan.limitScale,
                );
                if ('retryAfterSeconds' in decision) {
                    const response = errorFor(module, 429, 'TooManyRequests', 'Please retry again later.', request);
                    const withRetryAfter = plan.retryAfterHeader ?? sendsRetryAfter(module.name);
                    writeEmuResponse(
                        res,
                        withHeaders(response, {
                            ...(withRetryAfter ? { 'retry-after': String(decision.retryAfterSeconds) } : {}),
                            'x-ms-throttle-information': decision.information,
                            'x-ms-throttle-scope': decision.scope,
                        }),
                    );
                    return;
                }
                // Graph sends the share of the limit used once it reaches 0.8 (api-fidelity §1.6).
                if (module.name === 'graph' && decision.usedFraction >= 0.8) {
                    limitHeaders = { 'x-ms-throttle-limit-percentage': decision.usedFraction.toFixed(2) };
                }
            }
            const failure = plan.serverErrors;
            const failBefore = failure && !failure.afterHandling && FaultPlan.consume(failure);
            if (failBefore) {
                writeEmuResponse(res, injectedServerError(module, failure.status, request));
                return;
            }
            const response = await module.handle(request, context);
            const remaining = plan.responseTimeMs - (performance.now() - arrivedAt);
            if (remaining > 0) await sleep(remaining);
            if (failure?.afterHandling && FaultPlan.consume(failure)) {
                writeEmuResponse(res, injectedServerError(module, failure.status, request));
                return;
            }
            writeEmuResponse(res, withHeaders(response, limitHeaders));
        } catch (error) {
            const detail = error instanceof Error ? error.message : String(error);
            process.stderr.write(`emulator: ${request.method} ${request.path} failed: ${detail}\n`);
            if (!res.headersSent)
                writeEmuResponse(
                    res,
                    errorFor(module, 500, 'InternalServerError', 'An internal server error occurred.', request),
                );
            else res.destroy();
        }
    };
}
