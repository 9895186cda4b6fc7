import { type EmuResponse } from '../core/contract';
import { newGuid } from '../core/ids';
import { type ServicePrincipalRecord } from '../entra/model';
import { newServicePrincipal } from '../entra/tenant';
import { type GraphCall, canReadAllApps, isOwnedByCaller, owns, requireRole } from './auth';
import { jsonBody } from './applications';
import { GraphError, badRequest, denied, notFound } from './errors';
import { parseFilter } from './filter';
import { contextUrl, page, project, selectOf } from './query';
import { SP_PROPERTIES, assignmentView, servicePrincipalView } from './spView';

const SP_TYPE = 'microsoft.graph.servicePrincipal';
const FILTERABLE = new Set(['appid', 'displayname', 'id', 'accountenabled', 'serviceprincipalnames']);

export function resolveServicePrincipal(call: GraphCall, key: string): ServicePrincipalRecord {
    const alternate = /^\(appId='([^']*)'\)$/i.exec(key);
    const { directory } = call.runtime;
    const id = key.replace(/^\//, '');
    const sp = alternate ? directory.servicePrincipalByAppId(alternate[1] ?? '') : directory.servicePrincipals.get(id);
    if (!sp) throw notFound(alternate?.[1] ?? id);
    return sp;
}

const requireSpRead = (call: GraphCall) => {
    if (!canReadAllApps(call) && !isOwnedByCaller(call)) throw denied();
};

/** Writes to a principal: ReadWrite.All, or OwnedBy when the caller owns the principal's application. */
function requireSpWrite(call: GraphCall, sp: ServicePrincipalRecord): void {
    if (call.caller.roles.includes('Application.ReadWrite.All')) return;
    const app = call.runtime.directory.applicationByAppId(sp.appId);
    if (isOwnedByCaller(call) && app && owns(call, app)) return;
    throw denied();
}

export function listServicePrincipals(call: GraphCall): EmuResponse {
    requireSpRead(call);
    const select = selectOf(call.request, SP_PROPERTIES, SP_TYPE);
    const filterText = call.request.query.get('$filter');
    const predicate = filterText ? parseFilter(filterText, FILTERABLE, 'ServicePrincipal') : undefined;
    const views = [...call.runtime.directory.servicePrincipals.values()]
        .map((sp) => servicePrincipalView(call.runtime, sp))
        .filter(
            (view) =>
                !predicate ||
                predicate(
                    (name) => view[Object.keys(view).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name],
                ),
        );
    const { slice, nextLink } = page(call.request, views, { defaultTop: 100, maxTop: 999 });
    return {
        status: 200,
        body: {
            '@odata.context': contextUrl(call.request, call.version, 'servicePrincipals', select),
            ...(nextLink ? { '@odata.nextLink': nextLink } : {}),
            value: slice.map((view) => project(view, select)),
        },
    };
}

export function getServicePrincipal(call: GraphCall, key: string): EmuResponse {
    requireSpRead(call);
    const select = selectOf(call.request, SP_PROPERTIES, SP_TYPE);
    const view = servicePrincipalView(call.runtime, resolveServicePrincipal(call, key));
    return {
        status: 200,
        body: {
            '@odata.context': `${contextUrl(call.request, call.version, 'servicePrincipals', select)}/$entity`,
            ...project(view, select),
        },
    };
}

export function createServicePrincipal(call: GraphCall): EmuResponse {
    const appId = jsonBody(call)['appId'];
    if (typeof appId !== 'string') throw badRequest("Required property 'appId' is missing.");
    const { directory } = call.runtime;
    const app = directory.applicationByAppId(appId);
    if (!app)
        throw badRequest(
            `The appId '${appId}' of the service principal does not reference a valid application object.`,
        );
    if (!call.caller.roles.includes('Application.ReadWrite.All') && !(isOwnedByCaller(call) && owns(call, app)))
        throw denied();
    if (directory.servicePrincipalByAppId(appId)) {
        throw new GraphError(
            409,
            'Request_MultipleObjectsWithSameKeyValue',
            `The service principal cannot be created, updated, or restored because the service principal name ${appId} is already in use.`,
        );
    }
    const sp = newServicePrincipal(call.now, call.runtime.tenantId, app);
    directory.addServicePrincipal(sp);
    return {
        status: 201,
        body: {
            '@odata.context': `${contextUrl(call.request, call.version, 'servicePrincipals')}/$entity`,
            ...servicePrincipalView(call.runtime, sp),
        },
    };
}

export function patchServicePrincipal(call: GraphCall, key: string): EmuResponse {
    const sp = resolveServicePrincipal(call, key);
    requireSpWrite(call, sp);
    const body = jsonBody(call);
    for (const [name, value] of Object.entries(body)) {
        if (name === 'accountEnabled' && typeof value === 'boolean') sp.accountEnabled = value;
        else if (name === 'displayName' && typeof value === 'string') sp.displayName = value;
        else if (name === 'tags' && Array.isArray(value)) sp.tags = value.map(String);
        else throw badRequest(`Invalid value specified for property '${name}' of resource 'ServicePrincipal'.`);
    }
    return { status: 204 };
}

export function deleteServicePrincipal(call: GraphCall, key: string): EmuResponse {
    const sp = resolveServicePrincipal(call, key);
    if (sp.firstParty) throw denied();
    requireSpWrite(call, sp);
    call.runtime.directory.removeServicePrincipal(sp);
    return { status: 204 };
}

/** `GET …/appRoleAssignments` (granted to the principal) or `…/appRoleAssignedTo` (granted on it as resource). */
export function listAssignments(call: GraphCall, key: string, direction: 'granted' | 'assignedTo'): EmuResponse {
    requireSpRead(call);
    const sp = resolveServicePrincipal(call, key);
    const { directory } = call.runtime;
    const records =
        direction === 'granted'
            ? directory.assignmentsOf(sp.id)
            : [...directory.appRoleAssignments.values()].filter((a) => a.resourceId === sp.id);
    const { slice, nextLink } = page(call.request, records, { defaultTop: 100, maxTop: 999 });
    return {
        status: 200,
        body: {
            '@odata.context': contextUrl(
                call.request,
                call.version,
                `servicePrincipals('${sp.id}')/appRoleAssignments`,
            ),
            ...(nextLink ? { '@odata.nextLink': nextLink } : {}),
            value: slice.map((assignment) => assignmentView(call.runtime, assignment)),
        },
    };
}

/** `POST /servicePrincipals/{id}/appRoleAssignments` `{principalId, resourceId, appRoleId}` → 201. */
export function createAssignment(call: GraphCall, key: string): EmuResponse {
    requireRole(call, 'AppRoleAssignment.ReadWrite.All', 'Directory.ReadWrite.All');
    const sp = resolveServicePrincipal(call, key);
    const body = jsonBody(call);
    const { directory } = call.runtime;
    const principalId = typeof body['principalId'] === 'string' ? body['principalId'] : '';
    const resource = directory.servicePrincipals.get(typeof body['resourceId'] === 'string' ? body['resourceId'] : '');
    if (principalId !== sp.id && principalId !== '')
        throw badRequest('The principalId must match the service principal in the request URL.');
    if (!resource) throw notFound(String(body['resourceId']));
    const role = directory
        .resourceDefinition(resource)
        .appRoles.find((candidate) => candidate.id === body['appRoleId']);
    if (!role) throw badRequest('Permission being assigned was not found on application');
    const existing = directory
        .assignmentsOf(sp.id)
        .find((a) => a.resourceId === resource.id && a.appRoleId === role.id);
    if (existing) throw badRequest('Permission being assigned already exists on the object');
    const assignment = {
        id: newGuid(),
        principalId: sp.id,
        resourceId: resource.id,
        appRoleId: role.id,
        createdDateTime: call.now.toISOString(),
    };
    directory.addAssignment(assignment);
    return {
        status: 201,
        body: {
            '@odata.context': `${contextUrl(call.request, call.version, 'appRoleAssignments')}/$entity`,
            ...assignmentView(call.runtime, assignment),
        },
    };
}

export function deleteAssignment(call: GraphCall, key: string, assignmentId: string): EmuResponse {
    requireRole(call, 'AppRoleAssignment.ReadWrite.All', 'Directory.ReadWrite.All');
    const sp = resolveServicePrincipal(call, key);
    const assignment = call.runtime.directory.appRoleAssignments.get(assignmentId);
    if (!assignment || (assignment.principalId !== sp.id && assignment.resourceId !== sp.id))
        throw notFound(assignmentId);
    call.runtime.directory.removeAssignment(assignmentId);
    return { status: 204 };
}
