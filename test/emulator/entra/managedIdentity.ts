import { randomBytes } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { type AddressInfo } from 'node:net';

import { newGuid } from '../core/ids';
import { type TenantRuntime, TOKEN_LIFETIME_SECONDS } from './runtime';

/** The only version App Service's identity endpoint speaks for `IDENTITY_ENDPOINT`/`IDENTITY_HEADER`. */
const API_VERSION = '2019-08-01';

interface MiResponse {
    readonly status: number;
    readonly body: unknown;
}

const error = (status: number, message: string): MiResponse => ({
    status,
    body: { statusCode: status, message, correlationId: newGuid() },
});

/**
 * App Service / Functions managed identity endpoint (`GET /msi/token`, api-version 2019-08-01), as
 * @azure/identity 4.x reaches it through msal-node's `AppService` source: header `X-IDENTITY-HEADER`, query
 * `api-version`, `resource` (the scope without `/.default`) and, for a user-assigned identity, `client_id`,
 * `object_id`/`principal_id` or `mi_res_id`. Answers `access_token`, `expires_on` (epoch seconds, a string),
 * `resource`, `token_type`, `client_id`. The token is the emulator's normal RS256 app token for that identity's
 * service principal (its app roles on the resource), so resource servers cannot tell it from Azure's.
 */
export function handleManagedIdentityRequest(
    runtime: TenantRuntime,
    identityHeader: string,
    method: string,
    url: URL,
    headers: Readonly<Record<string, string | string[] | undefined>>,
): MiResponse {
    if (url.pathname !== '/msi/token') return error(404, 'Not found.');
    if (method !== 'GET') return error(405, 'Method not allowed.');
    const presented = headers['x-identity-header'];
    if (presented === undefined) return error(400, 'Required header X-IDENTITY-HEADER is missing.');
    if (presented !== identityHeader) return error(401, 'Unauthorized: X-IDENTITY-HEADER does not match.');
    const query = url.searchParams;
    if (query.get('api-version') !== API_VERSION) {
        return error(400, `api-version must be ${API_VERSION}.`);
    }
    const resource = query.get('resource');
    if (!resource) return error(400, 'Required query parameter resource is missing.');
    if (query.get('mi_res_id')) {
        // Simplified: the emulator's identities have no ARM resource ids.
        return error(
            400,
            'No User Assigned or Delegated Managed Identity found for specified ClientId/ResourceId/PrincipalId.',
        );
    }
    const { directory } = runtime;
    const clientId = query.get('client_id');
    const objectId = query.get('object_id') ?? query.get('principal_id');
    const caller = clientId
        ? directory.servicePrincipalByAppId(clientId)
        : objectId
          ? directory.servicePrincipals.get(objectId)
          : undefined; // no system-assigned identity in the emulator
    const app = caller ? directory.applicationByAppId(caller.appId) : undefined;
    if (!caller || !app || !caller.accountEnabled) {
        return error(
            400,
            'No User Assigned or Delegated Managed Identity found for specified ClientId/ResourceId/PrincipalId.',
        );
    }
    const requested = resource.replace(/\/\.default$/i, '');
    const target = directory.resourceByIdentifier(requested);
    if (!target) {
        return error(
            400,
            `AADSTS500011: The resource principal named ${requested} was not found in the tenant named ${runtime.tenantId}.`,
        );
    }
    const accessToken = runtime.issueAccessToken(app, caller, target, requested, 'managedIdentity');
    return {
        status: 200,
        body: {
            access_token: accessToken,
            expires_on: String(runtime.tokenClockSeconds() + TOKEN_LIFETIME_SECONDS),
            resource: requested,
            token_type: 'Bearer',
            client_id: app.appId,
        },
    };
}

export interface ManagedIdentityEndpoint {
    /** `http://127.0.0.1:PORT/msi/token`, the value of `IDENTITY_ENDPOINT`. */
    readonly endpoint: string;
    /** The value of `IDENTITY_HEADER` (random per start, like the platform's per-instance secret). */
    readonly header: string;
    close(): Promise<void>;
}

/**
 * Plain http on loopback, like the platform's `http://localhost:<port>/msi/token` (learn
 * overview-managed-identity "REST endpoint reference"); msal-node sends the request through the identity
 * client's pipeline, which accepts http for this endpoint.
 */
export async function startManagedIdentityEndpoint(
    runtime: TenantRuntime,
    identityHeader = randomBytes(24).toString('hex'),
): Promise<ManagedIdentityEndpoint> {
    const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
        let answer: MiResponse;
        try {
            const url = new URL(request.url ?? '/', 'http://127.0.0.1');
            answer = handleManagedIdentityRequest(
                runtime,
                identityHeader,
                request.method ?? 'GET',
                url,
                request.headers,
            );
        } catch {
            answer = error(500, 'Internal error.');
        }
        const text = JSON.stringify(answer.body);
        response.writeHead(answer.status, {
            'content-type': 'application/json; charset=utf-8',
            'content-length': Buffer.byteLength(text),
        });
        response.end(text);
        request.resume();
    });
    await new Promise<void>((resolveListen, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolveListen());
    });
    const { port } = server.address() as AddressInfo;
    return {
        endpoint: `http://127.0.0.1:${port}/msi/token`,
        header: identityHeader,
        close: async () => {
            server.closeAllConnections();
            await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
        },
    };
}
