import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { type DurableClient } from 'durable-functions';

import { type BatchApiDeps, getBatchRoute, startBatchRoute } from '../shared/api/batchApi';
import {
    bindingHistoryRoute,
    type BindingsApiDeps,
    enrollRoute,
    importRoute,
    listBindingsRoute,
    unenrollRoute,
} from '../shared/api/bindingsApi';
import { listCredentialsRoute } from '../shared/api/credentialsApi';
import { checkHealth, configHealth } from '../shared/api/health';
import {
    acceptNoEvidenceRoute,
    getSecretRotationRoute,
    type HistoryApiDeps,
    listSecretRotationsRoute,
    recentHistoryRoute,
} from '../shared/api/historyApi';
import {
    apiError,
    type ApiRequest,
    type ApiResponse,
    getRotationRoute,
    listRotationsRoute,
    type RotationsApiDeps,
    startRotationRoute,
} from '../shared/api/rotationsApi';
import { getServices, type Services } from '../shared/composition';
import { ensureError } from '../shared/errors/ensureError';
import { errorCodeOf, isRotatorError } from '../shared/errors/RotatorError';
import { invocationLogger } from '../shared/logging/logger';
import { startRotation, tryGetStatus } from '../shared/rotation/starter';

// authLevel 'anonymous': every route (but health) checks an Entra bearer token and app role itself, which is
// stronger than a shared function key and lets the dashboard sign operators in with the same tokens.

function toApiRequest(request: HttpRequest): ApiRequest {
    return {
        authorization: request.headers.get('authorization'),
        params: request.params,
        query: request.query,
        json: () => request.json(),
    };
}

async function rotationsDeps(client: DurableClient): Promise<RotationsApiDeps> {
    const s = await getServices();
    return {
        authorize: s.authorize,
        durable: client,
        start: (r) => startRotation({ client, state: s.state }, r),
        index: s.managedIndex,
        bindings: s.bindings,
        notifier: s.rotation.notifier,
        vaultUrls: s.config.keyVault.vaultUrls,
        defaultVaultUrl: s.config.keyVault.defaultVaultUrl,
        paused: s.config.paused,
        now: () => s.clock.now(),
    };
}

async function batchDeps(client: DurableClient): Promise<BatchApiDeps> {
    const s = await getServices();
    return {
        authorize: s.authorize,
        getStatus: (id) => tryGetStatus(client, id),
        start: (r) => startRotation({ client, state: s.state }, r),
        index: s.managedIndex,
        bindings: s.bindings,
        state: s.state,
        vaultUrls: s.config.keyVault.vaultUrls,
        paused: s.config.paused,
        now: () => s.clock.now(),
        quotas: { graphWrites: s.budget.limitOf('graphWrites'), signInReads: s.budget.limitOf('signInReads') },
        gracePeriodDays: s.config.policy.gracePeriodDays,
    };
}

async function historyDeps(client: DurableClient): Promise<HistoryApiDeps> {
    const s = await getServices();
    return {
        authorize: s.authorize,
        history: s.rotation.history,
        durable: client,
        vaultUrls: s.config.keyVault.vaultUrls,
        defaultVaultUrl: s.config.keyVault.defaultVaultUrl,
        now: () => s.clock.now(),
    };
}

async function bindingsDeps(): Promise<BindingsApiDeps> {
    const s = await getServices();
    return {
        authorize: s.authorize,
        bindings: s.bindings,
        index: s.managedIndex,
        applications: s.applications,
        ownership: s.applications,
        vaultUrls: s.config.keyVault.vaultUrls,
        defaultVaultUrl: s.config.keyVault.defaultVaultUrl,
        now: () => s.clock.now(),
    };
}

/** Unexpected failures answer 500 with the error code only; details stay in the (redacted) logs. */
async function respond(context: InvocationContext, work: () => Promise<ApiResponse>): Promise<HttpResponseInit> {
    try {
        const result = await work();
        return { status: result.status, jsonBody: result.jsonBody, headers: { 'cache-control': 'no-store' } };
    } catch (error) {
        invocationLogger(context).error('Operator API request failed', {}, ensureError(error));
        const response = apiError(500, errorCodeOf(error), 'the request could not be completed; see the app logs');
        return { status: response.status, jsonBody: response.jsonBody };
    }
}

df.app.client.http('rotations', {
    route: 'rotations',
    methods: ['GET', 'POST'],
    authLevel: 'anonymous',
    handler: (request: HttpRequest, client: DurableClient, context: InvocationContext) =>
        respond(context, async () => {
            const deps = await rotationsDeps(client);
            return request.method === 'POST'
                ? startRotationRoute(deps, toApiRequest(request))
                : listRotationsRoute(deps, toApiRequest(request));
        }),
});

df.app.client.http('rotationBatch', {
    route: 'rotations/batch',
    methods: ['POST'],
    authLevel: 'anonymous',
    handler: (request: HttpRequest, client: DurableClient, context: InvocationContext) =>
        respond(context, async () => startBatchRoute(await batchDeps(client), toApiRequest(request))),
});

df.app.client.http('rotationBatchStatus', {
    route: 'rotations/batch/{id}',
    methods: ['GET'],
    authLevel: 'anonymous',
    handler: (request: HttpRequest, client: DurableClient, context: InvocationContext) =>
        respond(context, async () => getBatchRoute(await batchDeps(client), toApiRequest(request))),
});

// The immutable rotation records (state store), newest first; literal `history` wins over {id} in the router.
df.app.client.http('rotationHistory', {
    route: 'rotations/history',
    methods: ['GET'],
    authLevel: 'anonymous',
    handler: (request: HttpRequest, client: DurableClient, context: InvocationContext) =>
        respond(context, async () => recentHistoryRoute(await historyDeps(client), toApiRequest(request))),
});

df.app.client.http('secretRotations', {
    route: 'secrets/{secretName}/rotations',
    methods: ['GET'],
    authLevel: 'anonymous',
    handler: (request: HttpRequest, client: DurableClient, context: InvocationContext) =>
        respond(context, async () => listSecretRotationsRoute(await historyDeps(client), toApiRequest(request))),
});

df.app.client.http('secretRotation', {
    route: 'secrets/{secretName}/rotations/{rotationId}',
    methods: ['GET'],
    authLevel: 'anonymous',
    handler: (request: HttpRequest, client: DurableClient, context: InvocationContext) =>
        respond(context, async () => getSecretRotationRoute(await historyDeps(client), toApiRequest(request))),
});

df.app.client.http('rotationAcceptNoEvidence', {
    route: 'rotations/{id}/accept-no-evidence',
    methods: ['POST'],
    authLevel: 'anonymous',
    handler: (request: HttpRequest, client: DurableClient, context: InvocationContext) =>
        respond(context, async () => acceptNoEvidenceRoute(await historyDeps(client), toApiRequest(request))),
});

df.app.client.http('rotationStatus', {
    route: 'rotations/{id}',
    methods: ['GET'],
    authLevel: 'anonymous',
    handler: (request: HttpRequest, client: DurableClient, context: InvocationContext) =>
        respond(context, async () => getRotationRoute(await rotationsDeps(client), toApiRequest(request))),
});

// Enrollment (who may rotate what). Literal segments (history, import) win over {secretName} in the router.
app.http('bindings', {
    route: 'bindings',
    methods: ['GET', 'POST'],
    authLevel: 'anonymous',
    handler: (request: HttpRequest, context: InvocationContext) =>
        respond(context, async () =>
            request.method === 'POST'
                ? enrollRoute(await bindingsDeps(), toApiRequest(request))
                : listBindingsRoute(await bindingsDeps(), toApiRequest(request)),
        ),
});

app.http('bindingHistory', {
    route: 'bindings/history',
    methods: ['GET'],
    authLevel: 'anonymous',
    handler: (request: HttpRequest, context: InvocationContext) =>
        respond(context, async () => bindingHistoryRoute(await bindingsDeps(), toApiRequest(request))),
});

app.http('bindingImport', {
    route: 'bindings/import',
    methods: ['POST'],
    authLevel: 'anonymous',
    handler: (request: HttpRequest, context: InvocationContext) =>
        respond(context, async () => importRoute(await bindingsDeps(), toApiRequest(request))),
});

app.http('bindingUnenroll', {
    route: 'bindings/{secretName}',
    methods: ['DELETE'],
    authLevel: 'anonymous',
    handler: (request: HttpRequest, context: InvocationContext) =>
        respond(context, async () => unenrollRoute(await bindingsDeps(), toApiRequest(request))),
});

app.http('credentials', {
    route: 'credentials',
    methods: ['GET'],
    authLevel: 'anonymous',
    handler: (request: HttpRequest, context: InvocationContext) =>
        respond(context, async () => {
            const s = await getServices();
            return listCredentialsRoute({ authorize: s.authorize, state: s.state }, toApiRequest(request));
        }),
});

app.http('health', {
    route: 'health',
    methods: ['GET'],
    authLevel: 'anonymous',
    handler: (_request: HttpRequest, context: InvocationContext) =>
        respond(context, async () => {
            let s: Services;
            try {
                s = await getServices();
            } catch (error) {
                if (!isRotatorError(error) || error.kind !== 'config') throw error;
                invocationLogger(context).error('Health: the app settings are invalid', {}, error);
                // Unknown (the settings could not be read); nothing runs without settings anyway.
                const { httpStatus, report } = configHealth(false);
                return { status: httpStatus, jsonBody: report };
            }
            const { httpStatus, report } = await checkHealth(s.credential, s.config.paused, s.config.scopes);
            return { status: httpStatus, jsonBody: report };
        }),
});
