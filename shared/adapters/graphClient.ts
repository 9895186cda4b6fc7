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

import { type QuotaBudget } from '../pacing/quotaBudget';
import { GraphThrottleMiddleware } from './graphThrottle';

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
 * A graph-client bound to `baseUrl`. For a non-Graph host (the local emulator) the host must be listed in
 * `customHosts`, or graph-client silently sends requests without an Authorization header.
 */
export function createGraphClient(credential: TokenCredential, baseUrl: string, budget?: QuotaBudget): Client {
    const url = new URL(baseUrl);
    const isGraphHost = url.hostname === 'graph.microsoft.com';
    const authProvider = new TokenCredentialAuthenticationProvider(credential, {
        scopes: ['https://graph.microsoft.com/.default'],
    });
    // The default chain (MiddlewareFactory) with our retry options and the throttle middleware before transport.
    const middleware: Middleware[] = [
        new AuthenticationHandler(authProvider),
        new RetryHandler(budget ? NO_429_RETRY : new RetryHandlerOptions()),
        new RedirectHandler(new RedirectHandlerOptions()),
        new TelemetryHandler(),
        ...(budget ? [new GraphThrottleMiddleware(budget)] : []),
        new HTTPMessageHandler(),
    ];
    return Client.initWithMiddleware({
        middleware,
        baseUrl: `${url.origin}/`,
        ...(isGraphHost ? {} : { customHosts: new Set([url.hostname]) }),
    });
}
