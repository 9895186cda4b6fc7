import { type EmuResponse } from '../core/contract';
import {
    countApplications,
    createApplication,
    deleteApplication,
    getApplication,
    listApplications,
    patchApplication,
} from './applications';
import { type GraphCall } from './auth';
import { applicationsDelta } from './delta';
import { GraphError } from './errors';
import { addKey, removeKey } from './keys';
import { listOwners, addOwner, removeOwner } from './owners';
import { addPassword, removePassword } from './passwords';
import {
    createAssignment,
    createServicePrincipal,
    deleteAssignment,
    deleteServicePrincipal,
    getServicePrincipal,
    listAssignments,
    listServicePrincipals,
    patchServicePrincipal,
} from './servicePrincipals';
import { listSignIns } from './signIns';

type Handler = (call: GraphCall, ...captures: string[]) => EmuResponse;

/** `{id}` segment or the `(appId='…')` alternate key. */
const KEY = "(/[^/()]+|\\(appId='[^']*'\\))";

const ROUTES: [string, RegExp, Handler][] = [
    ['GET', /^\/applications$/, listApplications],
    ['GET', /^\/applications\/\$count$/, countApplications],
    ['GET', /^\/applications\/(?:microsoft\.graph\.)?delta(?:\(\))?$/, applicationsDelta],
    ['POST', /^\/applications$/, createApplication],
    ['GET', new RegExp(`^/applications${KEY}$`), getApplication],
    ['PATCH', new RegExp(`^/applications${KEY}$`), patchApplication],
    ['DELETE', new RegExp(`^/applications${KEY}$`), deleteApplication],
    ['POST', new RegExp(`^/applications${KEY}/addPassword$`), addPassword],
    ['POST', new RegExp(`^/applications${KEY}/removePassword$`), removePassword],
    ['POST', new RegExp(`^/applications${KEY}/addKey$`), addKey],
    ['POST', new RegExp(`^/applications${KEY}/removeKey$`), removeKey],
    ['GET', new RegExp(`^/applications${KEY}/owners$`), listOwners],
    ['POST', new RegExp(`^/applications${KEY}/owners/\\$ref$`), addOwner],
    ['DELETE', new RegExp(`^/applications${KEY}/owners/([^/]+)/\\$ref$`), removeOwner],
    ['GET', /^\/servicePrincipals$/, listServicePrincipals],
    ['POST', /^\/servicePrincipals$/, createServicePrincipal],
    ['GET', new RegExp(`^/servicePrincipals${KEY}$`), getServicePrincipal],
    ['PATCH', new RegExp(`^/servicePrincipals${KEY}$`), patchServicePrincipal],
    ['DELETE', new RegExp(`^/servicePrincipals${KEY}$`), deleteServicePrincipal],
    [
        'GET',
        new RegExp(`^/servicePrincipals${KEY}/appRoleAssignments$`),
        (call, key) => listAssignments(call, key, 'granted'),
    ],
    ['POST', new RegExp(`^/servicePrincipals${KEY}/appRoleAssignments$`), createAssignment],
    ['DELETE', new RegExp(`^/servicePrincipals${KEY}/appRoleAssignments/([^/]+)$`), deleteAssignment],
    [
        'GET',
        new RegExp(`^/servicePrincipals${KEY}/appRoleAssignedTo$`),
        (call, key) => listAssignments(call, key, 'assignedTo'),
    ],
    ['GET', /^\/auditLogs\/signIns$/, listSignIns],
];

/** Finds the handler for `call.path`; unknown segments and methods answer like Graph does. */
export function route(call: GraphCall): EmuResponse {
    let pathMatched = false;
    for (const [method, pattern, handler] of ROUTES) {
        const match = pattern.exec(call.path);
        if (!match) continue;
        pathMatched = true;
        if (method === call.request.method) return handler(call, ...match.slice(1).map((capture) => capture ?? ''));
    }
    if (pathMatched)
        throw new GraphError(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.');
    const segment = call.path.split('/').filter(Boolean)[0] ?? '';
    throw new GraphError(400, 'BadRequest', `Resource not found for the segment '${segment}'.`);
}
