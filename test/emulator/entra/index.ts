import { type EmuRequest, type EmuResponse, type EmulatorContext, type ServiceModule } from '../core/contract';
import { parseJsonBody } from '../core/http';
import { passwordView, keyView } from './credentials';
import { jwks, openIdConfiguration } from './discovery';
import { type DirectorySnapshot } from './model';
import { type TenantRuntime, type TenantSettings } from './runtime';
import { SeedError, seed } from './seed';
import { type SignInRecord } from './signIns';
import { STS, stsErrorResponse } from './stsErrors';
import { handleTokenRequest, tokenPreflight } from './tokenEndpoint';
import { UserSignIn } from './userSignIn';

const ROUTE =
    /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|\.well-known\/openid-configuration|discovery\/v2\.0\/keys|discovery\/keys|oauth2\/v2\.0\/token|oauth2\/v2\.0\/authorize)$/;

interface EntraSnapshot {
    directory: DirectorySnapshot;
    signIns: SignInRecord[];
    settings: TenantSettings;
}

const json = (body: unknown, status = 200): EmuResponse => ({ status, body });

/** The Entra STS: discovery, JWKS and the v2 token endpoint. Owns the directory's persistence. */
export function createEntraModule(runtime: TenantRuntime): ServiceModule {
    const userSignIn = new UserSignIn(runtime);
    return {
        name: 'entra',
        matches: (request: EmuRequest) => ROUTE.test(request.path),
        handle(request: EmuRequest, context: EmulatorContext): Promise<EmuResponse> {
            const [, tenant = '', route = ''] = ROUTE.exec(request.path) ?? [];
            if (tenant.toLowerCase() !== runtime.tenantId) {
                return Promise.resolve(stsErrorResponse(STS.tenantNotFound(tenant), runtime.clock.now(), undefined));
            }
            if (route === 'oauth2/v2.0/authorize') return Promise.resolve(userSignIn.authorize(request));
            if (route === 'oauth2/v2.0/token' && request.method === 'OPTIONS')
                return Promise.resolve(tokenPreflight(request));
            if (route === 'oauth2/v2.0/token') {
                const response = handleTokenRequest(runtime, request, tenant, userSignIn);
                context.markDirty(); // the sign-in log grew
                return Promise.resolve(response);
            }
            const cache = {
                'cache-control': 'max-age=86400, private',
                'content-type': 'application/json; charset=utf-8',
                // Browsers (MSAL.js) read discovery and keys cross-origin.
                'access-control-allow-origin': '*',
            };
            const body = route.includes('keys')
                ? jwks(runtime)
                : openIdConfiguration(runtime, route.startsWith('v2.0') ? 'v2' : 'v1');
            return Promise.resolve({ status: 200, headers: cache, body });
        },
        control(subPath: string, request: EmuRequest): Promise<EmuResponse | undefined> {
            if (subPath !== '/seed' || request.method !== 'POST') return Promise.resolve(undefined);
            const parsed = parseJsonBody(request);
            if (!parsed.ok)
                return Promise.resolve(
                    json({ error: { code: 'BadRequest', message: `Invalid JSON body (${parsed.reason}).` } }, 400),
                );
            try {
                return Promise.resolve(json(seed(runtime, parsed.value)));
            } catch (error) {
                if (error instanceof SeedError)
                    return Promise.resolve(json({ error: { code: 'BadRequest', message: error.message } }, 400));
                throw error;
            }
        },
        formatError(status: number, _code: string, message: string, request: EmuRequest): EmuResponse {
            const spec =
                status === 429
                    ? {
                          code: 90055,
                          error: 'temporarily_unavailable',
                          status,
                          description: 'There are too many incoming requests. Please try again later.',
                      }
                    : status >= 500
                      ? {
                            code: 50000,
                            error: 'temporarily_unavailable',
                            status,
                            description: 'There was an error issuing a token or an issue with our sign-in service.',
                        }
                      : { code: 90014, error: 'invalid_request', status, description: message };
            return stsErrorResponse(spec, runtime.clock.now(), request.headers['client-request-id']);
        },
        stateView: () => ({
            tenantId: runtime.tenantId,
            settings: runtime.settings,
            applications: [...runtime.directory.applications.values()].map((app) => ({
                id: app.id,
                appId: app.appId,
                displayName: app.displayName,
                identifierUris: app.identifierUris,
                owners: app.owners,
                passwordCredentials: app.passwordCredentials.map((credential) => passwordView(credential)),
                keyCredentials: app.keyCredentials.map((credential) => keyView(credential, false)),
            })),
            servicePrincipals: [...runtime.directory.servicePrincipals.values()].map(
                ({ id, appId, displayName, accountEnabled }) => ({ id, appId, displayName, accountEnabled }),
            ),
            appRoleAssignments: [...runtime.directory.appRoleAssignments.values()],
            signIns: runtime.signIns.all(),
            tokenUse: runtime.tokenUse,
        }),
        snapshot: (): EntraSnapshot => ({
            directory: runtime.directory.snapshot(),
            signIns: [...runtime.signIns.all()],
            settings: runtime.settings,
        }),
        restore(data: unknown): void {
            const snapshot = data as Partial<EntraSnapshot> | undefined;
            if (!snapshot?.directory) return;
            runtime.directory.restore(snapshot.directory);
            runtime.signIns.restore(snapshot.signIns ?? []);
            if (snapshot.settings) runtime.settings = { ...runtime.settings, ...snapshot.settings };
        },
        reset: () => runtime.reset(),
    };
}
