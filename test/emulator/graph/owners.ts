import { type EmuResponse } from '../core/contract';
import { type GraphCall, requireAppRead, requireAppWrite } from './auth';
import { jsonBody, resolveApplication } from './applications';
import { badRequest, notFound } from './errors';
import { servicePrincipalView } from './spView';

/** `GET /applications/{id}/owners`: directory objects (here always service principals). */
export function listOwners(call: GraphCall, key: string): EmuResponse {
    const app = resolveApplication(call, key);
    requireAppRead(call, app);
    const { directory } = call.runtime;
    const value = app.owners.flatMap((id) => {
        const sp = directory.servicePrincipals.get(id);
        return sp
            ? [{ '@odata.type': '#microsoft.graph.servicePrincipal', ...servicePrincipalView(call.runtime, sp) }]
            : [];
    });
    return {
        status: 200,
        body: { '@odata.context': `${call.request.url.origin}/${call.version}/$metadata#directoryObjects`, value },
    };
}

/** `POST /applications/{id}/owners/$ref` `{"@odata.id": ".../directoryObjects/{id}"}` → 204. */
export function addOwner(call: GraphCall, key: string): EmuResponse {
    const app = resolveApplication(call, key);
    requireAppWrite(call, app);
    const reference = jsonBody(call)['@odata.id'];
    const ownerId = typeof reference === 'string' ? /([0-9a-f-]{36})\/?$/i.exec(reference)?.[1] : undefined;
    if (!ownerId) throw badRequest("Invalid value specified for property '@odata.id'.");
    if (!call.runtime.directory.servicePrincipals.has(ownerId)) throw notFound(ownerId);
    if (app.owners.includes(ownerId)) {
        throw badRequest(
            "One or more added object references already exist for the following modified properties: 'owners'.",
        );
    }
    app.owners.push(ownerId);
    return { status: 204 };
}

/** `DELETE /applications/{id}/owners/{ownerId}/$ref` → 204. */
export function removeOwner(call: GraphCall, key: string, ownerId: string): EmuResponse {
    const app = resolveApplication(call, key);
    requireAppWrite(call, app);
    const index = app.owners.indexOf(ownerId);
    if (index < 0) throw notFound(ownerId);
    app.owners.splice(index, 1);
    return { status: 204 };
}
