import { type TokenCredential } from '@azure/identity';
import {
    AuthenticationHandler,
    Client,
    HTTPMessageHandler,
    type Middleware,
    RedirectHandler,
    RedirectHandlerOptions,
    RetryHandler,
    RetryHandlerOptions,
    TelemetryHandler,
} from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';

import { CLOUD_NAMES, cloudEndpoints } from '../config/clouds';
import { type QuotaBudget } from '../pacing/quotaBudget';
import { DispatchSignalHandler } from './dispatchSignal';
import { GraphThrottleMiddleware } from './graphThrottle';

const CLOUD_GRAPH_ORIGINS = new Set(CLOUD_NAMES.map((name) => new URL(cloudEndpoints(name).graph).origin));

/**
 * graph-client's retry handler sleeps out a 429 inside the call, which inside an activity holds one of the
 * host's activity slots for up to 3 × Retry-After (review: mass-rotation, defect 3). By default we retry only
 * 503/504 here; a 429 goes to the quota budget and the orchestrator waits on a durable timer instead. The scan
 * (not an activity) asks for 429 retries per request.
 */
const NO_429_RETRY = new RetryHandlerOptions(
    3,
    3,
    (_delay, _attempt, _request, _options, response) => response.status !== 429,
);

/**
 * A graph-client bound to `baseUrl`, asking tokens for `scope` (the cloud's Graph `/.default`). For a host that
 * is no cloud's Graph (the local emulator) the host must be listed in `customHosts`, or graph-client silently
 * sends requests without an Authorization header; without a scope such a host gets the public cloud's Graph
 * scope, which is the resource the emulator impersonates.
 */
export function createGraphClient(
    credential: TokenCredential,
    baseUrl: string,
    budget?: QuotaBudget,
    scope?: string,
): Client {
    const url = new URL(baseUrl);
    const isCloudGraph = CLOUD_GRAPH_ORIGINS.has(url.origin);
    const graphScope = scope ?? `${isCloudGraph ? url.origin : cloudEndpoints('AzureCloud').graph}/.default`;
    const authProvider = new TokenCredentialAuthenticationProvider(credential, { scopes: [graphScope] });
    // The default chain (MiddlewareFactory) with our retry options, the throttle middleware and the dispatch
    // signal (the scan's overlap) before transport.
    const middleware: Middleware[] = [
        new AuthenticationHandler(authProvider),
        new RetryHandler(budget ? NO_429_RETRY : new RetryHandlerOptions()),
        new RedirectHandler(new RedirectHandlerOptions()),
        new TelemetryHandler(),
        ...(budget ? [new GraphThrottleMiddleware(budget)] : []),
        new DispatchSignalHandler(),
        new HTTPMessageHandler(),
    ];
    return Client.initWithMiddleware({
        middleware,
        baseUrl: `${url.origin}/`,
        ...(isCloudGraph ? {} : { customHosts: new Set([url.hostname]) }),
    });
}
