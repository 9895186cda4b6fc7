import {
    type AccessTokenClaims,
    type EmuRequest,
    type EmuResponse,
    type EmulatorContext,
    type ServiceModule,
} from '../core/contract';
import { type FaultPlan } from '../core/faults';
import { isRecord, parseJsonBody } from '../core/http';
import { SUBSCRIPTION_ID } from '../keyvault/vault';
import {
    ARM_APP_ID,
    ARM_AUDIENCES,
    armError,
    armHeaders,
    authorizationFailed,
    throttled,
    unauthenticated,
    wrongAudience,
} from './errors';
import { parseReference } from './references';
import { ArmRbac, type ArmRoleAssignment, type RoleDefinition, WebActions } from './rbac';
import { CACHE_MS, newSlot, resolveAll, type SiteState, type SlotState, type VaultLookup } from './sites';
import { ArmThrottle, type OperationKind } from './throttle';

export { SUBSCRIPTION_ID };

interface ArmSnapshot {
    readonly sites: SiteState[];
    readonly rbac: { assignments: ArmRoleAssignment[]; customRoles: RoleDefinition[] };
    readonly reportActiveVersion: boolean;
}

const PATH =
    /^\/subscriptions\/([^/]+)(?:\/resourceGroups\/([^/]+))?\/providers\/Microsoft\.Web\/sites(?:\/([^/]+)(\/.*)?)?$/i;
const AUDIENCES = new Set([...ARM_AUDIENCES, ARM_APP_ID]);

/**
 * Azure Resource Manager for App Service (Microsoft.Web/sites and slots) as `@azure/arm-appservice` drives it:
 * listing sites, app settings (list/update), the Key Vault references of the app settings with their
 * resolution status, the documented refresh and restart, RBAC by role assignment, the ARM error body and the
 * subscription token-bucket throttling with its headers. References resolve against the emulator's own vault
 * and stay cached for 24 h of emulator time, as App Service caches them.
 */
export function createResourceManagerModule(vault: () => VaultLookup, faults: FaultPlan): ServiceModule {
    let sites: SiteState[] = [];
    const rbac = new ArmRbac();
    const throttle = new ArmThrottle();
    let reportActiveVersion = false;
    const calls: Record<string, number> = {};

    function reset(context: EmulatorContext): void {
        sites = [];
        rbac.replace(undefined);
        throttle.clear();
        reportActiveVersion = false;
        for (const key of Object.keys(calls)) delete calls[key];
        rbac.assign(context.admin.servicePrincipalId, 'Owner', `/subscriptions/${SUBSCRIPTION_ID}`);
    }

    const siteId = (s: SiteState) =>
        `/subscriptions/${s.subscriptionId}/resourceGroups/${s.resourceGroup}/providers/Microsoft.Web/sites/${s.name}`;

    function findSite(subscriptionId: string, resourceGroup: string | undefined, name: string): SiteState | undefined {
        return sites.find(
            (s) =>
                s.subscriptionId.toLowerCase() === subscriptionId.toLowerCase() &&
                (resourceGroup === undefined || s.resourceGroup.toLowerCase() === resourceGroup.toLowerCase()) &&
                s.name.toLowerCase() === name.toLowerCase(),
        );
    }

    function siteBody(site: SiteState, slot?: string): object {
        const id = slot === undefined ? siteId(site) : `${siteId(site)}/slots/${slot}`;
        return {
            id,
            name: slot === undefined ? site.name : `${site.name}/${slot}`,
            type: slot === undefined ? 'Microsoft.Web/sites' : 'Microsoft.Web/sites/slots',
            kind: site.kind,
            location: site.location,
            properties: { state: 'Running', enabled: true, resourceGroup: site.resourceGroup },
            identity: { type: (slot === undefined ? site.production : site.slots[slot])?.identity ?? 'None' },
        };
    }

    function referencesBody(base: string, slot: SlotState): { value: object[]; nextLink: null } {
        return {
            value: Object.entries(slot.resolved).map(([name, r]) => {
                const reference = slot.appSettings[name] ?? '';
                const parsed = parseReference(reference);
                const vaultName = parsed?.vaultName;
                const secretName = parsed?.secretName;
                const secretVersion = parsed?.secretVersion || undefined;
                return {
                    id: `${base}/config/configreferences/appsettings/${name}`,
                    name,
                    type: 'Microsoft.Web/sites/config/configreferences',
                    location: 'West Europe',
                    properties: {
                        reference,
                        status: r.status,
                        vaultName,
                        secretName,
                        ...(secretVersion ? { secretVersion } : {}),
                        identityType: slot.identity,
                        details: r.details,
                        source: 'KeyVault',
                        // Observed: the service answers `activeVersion: null` for a versionless reference.
                        activeVersion: reportActiveVersion ? r.version : null,
                    },
                };
            }),
            nextLink: null,
        };
    }

    function authenticate(request: EmuRequest, context: EmulatorContext): AccessTokenClaims | EmuResponse {
        const authorization = request.headers.authorization;
        if (authorization === undefined || !/^Bearer\s+\S/i.test(authorization)) {
            return unauthenticated("The 'Authorization' header is missing.");
        }
        const claims = context.verifyAccessToken(authorization);
        if (claims === undefined) return armError(401, 'InvalidAuthenticationToken', 'The access token is invalid.');
        if (!AUDIENCES.has(claims.aud)) return wrongAudience(claims.aud);
        return claims;
    }

    function handle(request: EmuRequest, context: EmulatorContext): EmuResponse {
        const match = PATH.exec(request.path);
        if (!match) return armError(404, 'NotFound', `No route for ${request.method} ${request.path}.`);
        const auth = authenticate(request, context);
        if (!('oid' in auth)) return auth;
        const claims = auth;
        if (!request.query.has('api-version')) {
            return armError(
                400,
                'MissingApiVersionParameter',
                'The api-version query parameter (?api-version=) is required for all requests.',
            );
        }
        const [, subscriptionId = '', resourceGroup, siteName, rest = ''] = match;
        const method = request.method;
        // POST actions (list, refresh, restart) count against the writes bucket, like every non-GET.
        const kind: OperationKind = method === 'GET' ? 'reads' : 'writes';
        const plan = faults.services.resourceManager;
        const charge = throttle.charge(
            subscriptionId,
            claims.oid,
            kind,
            context.clock.now().getTime(),
            plan.limits ? plan.limitScale : 1,
        );
        if (!charge.ok) return throttled(subscriptionId, kind, charge.retryAfterSeconds);
        const rateHeader = { [`x-ms-ratelimit-remaining-subscription-${kind}`]: String(charge.remaining) };
        const respond = (status: number, body?: unknown): EmuResponse => ({
            status,
            headers: { ...armHeaders(), ...rateHeader },
            ...(body === undefined ? {} : { body }),
        });
        const fail = (response: EmuResponse): EmuResponse => ({
            ...response,
            headers: { ...(response.headers ?? {}), ...rateHeader },
        });
        const operation = `${method} ${siteName === undefined ? 'sites' : `site${rest.replace(/\/slots\/[^/]+/i, '/slots/{slot}').replace(/\/appsettings\/(?!refresh$)[^/]+$/i, '/appsettings/{key}')}`}`;
        calls[operation] = (calls[operation] ?? 0) + 1;

        const scopeOf = (rg: string | undefined, name?: string, slot?: string) =>
            `/subscriptions/${subscriptionId}` +
            (rg === undefined ? '' : `/resourceGroups/${rg}`) +
            (name === undefined ? '' : `/providers/Microsoft.Web/sites/${name}`) +
            (slot === undefined ? '' : `/slots/${slot}`);
        const authorize = (action: string, scope: string): EmuResponse | undefined =>
            rbac.allows(claims.oid, action, scope)
                ? undefined
                : fail(authorizationFailed(claims.appid, claims.oid, action, scope));

        if (subscriptionId.toLowerCase() !== SUBSCRIPTION_ID) {
            return fail(
                armError(404, 'SubscriptionNotFound', `The subscription '${subscriptionId}' could not be found.`),
            );
        }

        // Site lists: the subscription's or the resource group's (only the sites the caller may read).
        if (siteName === undefined) {
            if (method !== 'GET')
                return fail(armError(405, 'MethodNotAllowed', 'The requested method is not allowed.'));
            if (
                resourceGroup !== undefined &&
                !sites.some((s) => s.resourceGroup.toLowerCase() === resourceGroup.toLowerCase())
            ) {
                const denied = authorize(WebActions.sitesRead, scopeOf(resourceGroup));
                if (denied) return denied;
                return fail(
                    armError(404, 'ResourceGroupNotFound', `Resource group '${resourceGroup}' could not be found.`),
                );
            }
            const visible = sites.filter(
                (s) =>
                    (resourceGroup === undefined || s.resourceGroup.toLowerCase() === resourceGroup.toLowerCase()) &&
                    rbac.allows(claims.oid, WebActions.sitesRead, siteId(s)),
            );
            if (visible.length === 0 && resourceGroup !== undefined) {
                const denied = authorize(WebActions.sitesRead, scopeOf(resourceGroup));
                if (denied) return denied;
            }
            return respond(200, { value: visible.map((s) => siteBody(s)), nextLink: null });
        }
        if (resourceGroup === undefined)
            return fail(armError(404, 'NotFound', `No route for ${method} ${request.path}.`));

        const slotMatch = /^\/slots(?:\/([^/]+))?(\/.*)?$/i.exec(rest);
        const slotName = slotMatch?.[1];
        const tail = slotMatch ? (slotMatch[2] ?? '') : rest;
        const listSlots = slotMatch !== null && slotName === undefined;
        const inSlot = slotName !== undefined;
        const scope = scopeOf(resourceGroup, siteName, slotName);
        const action = routeAction(method, tail, inSlot, listSlots);
        if (action === undefined) return fail(armError(404, 'NotFound', `No route for ${method} ${request.path}.`));
        const denied = authorize(action, scope);
        if (denied) return denied;
        if (!sites.some((s) => s.resourceGroup.toLowerCase() === resourceGroup.toLowerCase())) {
            return fail(
                armError(404, 'ResourceGroupNotFound', `Resource group '${resourceGroup}' could not be found.`),
            );
        }
        const site = findSite(subscriptionId, resourceGroup, siteName);
        if (!site) {
            return fail(
                armError(
                    404,
                    'ResourceNotFound',
                    `The Resource 'Microsoft.Web/sites/${siteName}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
                ),
            );
        }
        if (listSlots) {
            const value = Object.keys(site.slots).map((slot) => siteBody(site, slot));
            return respond(200, { value, nextLink: null });
        }
        const slot = inSlot
            ? site.slots[Object.keys(site.slots).find((n) => n.toLowerCase() === slotName.toLowerCase()) ?? '']
            : site.production;
        if (!slot) {
            return fail(
                armError(
                    404,
                    'ResourceNotFound',
                    `The Resource 'Microsoft.Web/sites/${siteName}/slots/${slotName}' under resource group '${resourceGroup}' was not found.`,
                ),
            );
        }
        const base = inSlot ? `${siteId(site)}/slots/${slotName}` : siteId(site);
        const now = context.clock.now().getTime();
        const lookup = vault();

        if (tail === '') return respond(200, siteBody(site, slotName));
        if (/^\/config\/appsettings\/list$/i.test(tail)) {
            return respond(200, {
                id: `${base}/config/appsettings`,
                name: 'appsettings',
                type: 'Microsoft.Web/sites/config',
                properties: { ...slot.appSettings },
            });
        }
        if (/^\/config\/appsettings$/i.test(tail)) {
            const parsed = parseJsonBody(request);
            const properties = parsed.ok && isRecord(parsed.value) ? parsed.value['properties'] : undefined;
            if (!isRecord(properties) || Object.values(properties).some((v) => typeof v !== 'string')) {
                return fail(
                    armError(
                        400,
                        'BadRequest',
                        'The request body must be {"properties": {"<name>": "<string value>"}}.',
                    ),
                );
            }
            // A configuration change restarts the app and refetches every reference (documented).
            slot.appSettings = { ...(properties as Record<string, string>) };
            slot.restarts += 1;
            resolveAll(slot, lookup, now);
            context.markDirty();
            return respond(200, {
                id: `${base}/config/appsettings`,
                name: 'appsettings',
                type: 'Microsoft.Web/sites/config',
                properties: { ...slot.appSettings },
            });
        }
        if (/^\/config\/configreferences\/appsettings\/refresh$/i.test(tail)) {
            slot.refreshes += 1;
            resolveAll(slot, lookup, now);
            context.markDirty();
            return respond(200, referencesBody(base, slot));
        }
        if (/^\/restart$/i.test(tail)) {
            slot.restarts += 1;
            resolveAll(slot, lookup, now);
            context.markDirty();
            return respond(200);
        }
        // Reads of the references: App Service refetches on its own once the 24 h cache is stale.
        if (now - slot.resolvedAtMs >= CACHE_MS) {
            resolveAll(slot, lookup, now);
            context.markDirty();
        }
        if (/^\/config\/configreferences\/appsettings$/i.test(tail)) return respond(200, referencesBody(base, slot));
        const one = /^\/config\/configreferences\/appsettings\/([^/]+)$/i.exec(tail);
        if (one?.[1] !== undefined) {
            const item = referencesBody(base, slot).value.find(
                (r) => (r as { name: string }).name.toLowerCase() === one[1]?.toLowerCase(),
            );
            return item
                ? respond(200, item)
                : fail(armError(404, 'NotFound', `App setting '${one[1]}' is not a Key Vault reference.`));
        }
        return fail(armError(404, 'NotFound', `No route for ${method} ${request.path}.`));
    }

    function control(subPath: string, request: EmuRequest, context: EmulatorContext): EmuResponse | undefined {
        const method = request.method;
        const body = () => {
            const parsed = parseJsonBody(request, { allowEmpty: true });
            return parsed.ok && isRecord(parsed.value) ? parsed.value : {};
        };
        const bad = (message: string): EmuResponse => ({
            status: 400,
            body: { error: { code: 'BadRequest', message } },
        });
        if (subPath === '/sites' && method === 'GET') return { status: 200, body: stateView() };
        if (subPath === '/sites' && method === 'POST') {
            const b = body();
            const name = b['name'];
            const resourceGroup = b['resourceGroup'];
            const appSettings = b['appSettings'] ?? {};
            if (
                typeof name !== 'string' ||
                !/^[A-Za-z0-9-]{2,60}$/.test(name) ||
                typeof resourceGroup !== 'string' ||
                !isRecord(appSettings)
            ) {
                return bad(
                    'Expected {"name","resourceGroup","appSettings"?: {..}, "slots"?: {"<slot>": {..}}, "identity"?: "SystemAssigned"|"None", "kind"?}.',
                );
            }
            const identity = b['identity'] === 'None' ? 'None' : 'SystemAssigned';
            const slotsInput = isRecord(b['slots']) ? b['slots'] : {};
            const now = context.clock.now().getTime();
            const site: SiteState = {
                subscriptionId: SUBSCRIPTION_ID,
                resourceGroup,
                name,
                location: typeof b['location'] === 'string' ? b['location'] : 'westeurope',
                kind: typeof b['kind'] === 'string' ? b['kind'] : 'app',
                production: newSlot(appSettings as Record<string, string>, identity),
                slots: {},
            };
            for (const [slotName, settings] of Object.entries(slotsInput)) {
                site.slots[slotName] = newSlot(
                    isRecord(settings) ? (settings as Record<string, string>) : {},
                    identity,
                );
            }
            for (const slot of [site.production, ...Object.values(site.slots)]) resolveAll(slot, vault(), now);
            sites = [
                ...sites.filter(
                    (s) =>
                        !(
                            s.resourceGroup.toLowerCase() === resourceGroup.toLowerCase() &&
                            s.name.toLowerCase() === name.toLowerCase()
                        ),
                ),
                site,
            ];
            context.markDirty();
            return { status: 201, body: { id: siteId(site) } };
        }
        if (subPath === '/roleDefinitions' && method === 'POST') {
            const b = body();
            const actions = b['actions'];
            if (
                typeof b['name'] !== 'string' ||
                !Array.isArray(actions) ||
                actions.some((a) => typeof a !== 'string')
            ) {
                return bad('Expected {"name": "...", "actions": ["Microsoft.Web/..."]}.');
            }
            rbac.defineRole({ name: b['name'], actions: actions as string[] });
            context.markDirty();
            return { status: 201, body: { name: b['name'], actions } };
        }
        if (subPath === '/roleAssignments' && method === 'GET') return { status: 200, body: rbac.list() };
        if (subPath === '/roleAssignments' && method === 'POST') {
            const b = body();
            const { principalId, role, scope } = b;
            if (
                typeof principalId !== 'string' ||
                typeof role !== 'string' ||
                typeof scope !== 'string' ||
                !rbac.role(role)
            ) {
                return bad('Expected {"principalId", "role" (a built-in or defined role name), "scope" (an ARM id)}.');
            }
            const assignment = rbac.assign(principalId, role, scope);
            context.markDirty();
            return { status: 201, body: assignment };
        }
        const removal = /^\/roleAssignments\/([^/]+)$/.exec(subPath);
        if (removal?.[1] !== undefined && method === 'DELETE') {
            if (!rbac.remove(removal[1]))
                return { status: 404, body: { error: { code: 'NotFound', message: 'No such role assignment.' } } };
            context.markDirty();
            return { status: 204 };
        }
        if (subPath === '/settings' && method === 'POST') {
            const b = body();
            if ('reportActiveVersion' in b) reportActiveVersion = b['reportActiveVersion'] === true;
            return { status: 200, body: { reportActiveVersion } };
        }
        return undefined;
    }

    function stateView(): object {
        return {
            subscriptionId: SUBSCRIPTION_ID,
            reportActiveVersion,
            calls: { ...calls },
            sites: sites.map((s) => ({
                id: siteId(s),
                slots: Object.fromEntries(
                    [['production', s.production] as const, ...Object.entries(s.slots)].map(([name, slot]) => [
                        name,
                        {
                            appSettingNames: Object.keys(slot.appSettings),
                            references: slot.resolved,
                            restarts: slot.restarts,
                            refreshes: slot.refreshes,
                            resolvedAt: new Date(slot.resolvedAtMs).toISOString(),
                        },
                    ]),
                ),
            })),
            roleAssignments: rbac.list(),
        };
    }

    return {
        name: 'resourceManager',
        matches: (request) => /^\/subscriptions\//i.test(request.path),
        handle: (request, context) => Promise.resolve(handle(request, context)),
        formatError: (status, code, message) => armError(status, status === 429 ? 'TooManyRequests' : code, message),
        control: (subPath, request, context) => Promise.resolve(control(subPath, request, context)),
        stateView,
        snapshot: (): ArmSnapshot => ({
            sites,
            rbac: { assignments: [...rbac.list().assignments], customRoles: [...rbac.list().customRoles] },
            reportActiveVersion,
        }),
        restore(data, context) {
            const snapshot = data as Partial<ArmSnapshot> | undefined;
            if (snapshot?.sites === undefined) {
                reset(context);
                return;
            }
            sites = snapshot.sites;
            rbac.replace(snapshot.rbac);
            reportActiveVersion = snapshot.reportActiveVersion === true;
        },
        reset,
    };
}

/** The RBAC action a route needs (undefined: no such route). */
function routeAction(method: string, tail: string, inSlot: boolean, listSlots: boolean): string | undefined {
    const pick = (site: string, slot: string) => (inSlot ? slot : site);
    if (listSlots) return method === 'GET' ? WebActions.slotsRead : undefined;
    if (tail === '') return method === 'GET' ? pick(WebActions.sitesRead, WebActions.slotsRead) : undefined;
    if (/^\/config\/appsettings\/list$/i.test(tail) && method === 'POST')
        return pick(WebActions.configList, WebActions.slotsConfigList);
    if (/^\/config\/appsettings$/i.test(tail) && method === 'PUT')
        return pick(WebActions.configWrite, WebActions.slotsConfigWrite);
    if (/^\/config\/configreferences\/appsettings\/refresh$/i.test(tail) && method === 'POST') {
        return pick(WebActions.configWrite, WebActions.slotsConfigWrite);
    }
    if (/^\/config\/configreferences\/appsettings(\/[^/]+)?$/i.test(tail) && method === 'GET') {
        return pick(WebActions.configRead, WebActions.slotsConfigRead);
    }
    if (/^\/restart$/i.test(tail) && method === 'POST') return pick(WebActions.restart, WebActions.slotsRestart);
    return undefined;
}
