import { parseJsonBody, isRecord } from '../core/http';
import { type EmuResponse } from '../core/contract';
import { createKeyCredential } from '../entra/credentials';
import { type ApplicationRecord, type KeyCredentialRecord, type PasswordCredentialRecord } from '../entra/model';
import { appRolesFrom } from '../entra/seed';
import { newApplication } from '../entra/tenant';
import { APP_PROPERTIES, WRITABLE_APP_PROPERTIES, applicationView } from './appView';
import { type GraphCall, canReadAllApps, isOwnedByCaller, replicated, requireAppRead, requireAppWrite } from './auth';
import { GraphError, badRequest, denied, notFound } from './errors';
import { parseFilter } from './filter';
import { contextUrl, page, project, selectOf } from './query';

const FILTERABLE = new Set(['appid', 'displayname', 'id', 'identifieruris', 'signinaudience']);
const APP_TYPE = 'microsoft.graph.application';

/** `{id}` or `(appId='…')` (the alternate key, §1.1). */
export function resolveApplication(call: GraphCall, key: string): ApplicationRecord {
    const alternate = /^\(appId='([^']*)'\)$/i.exec(key);
    const app = alternate
        ? call.runtime.directory.applicationByAppId(alternate[1] ?? '')
        : call.runtime.directory.applications.get(key.replace(/^\//, ''));
    // Inside the replication lag a just-created object is still 404 (§1.11).
    if (!app || !replicated(call, app)) throw notFound(alternate?.[1] ?? key.replace(/^\//, ''));
    return app;
}

export function jsonBody(call: GraphCall, options: { allowEmpty?: boolean } = {}): Record<string, unknown> {
    const parsed = parseJsonBody(call.request, options);
    if (parsed.ok && parsed.value === undefined) return {};
    if (!parsed.ok || !isRecord(parsed.value)) {
        throw badRequest(
            'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
        );
    }
    return parsed.value;
}

export function listApplications(call: GraphCall): EmuResponse {
    if (!canReadAllApps(call)) throw denied();
    const select = selectOf(call.request, APP_PROPERTIES, APP_TYPE);
    const filterText = call.request.query.get('$filter');
    const predicate = filterText ? parseFilter(filterText, FILTERABLE, 'Application') : undefined;
    const matches: ApplicationRecord[] = [];
    for (const app of call.runtime.directory.applications.values()) {
        if (!replicated(call, app)) continue;
        if (predicate && !predicate((name) => (app as unknown as Record<string, unknown>)[canonical(name)])) continue;
        matches.push(app);
    }
    const { slice, nextLink } = page(call.request, matches, { defaultTop: 100, maxTop: 999 });
    const includeKeys = false;
    const isVisible = (password: PasswordCredentialRecord) => replicated(call, password);
    return {
        status: 200,
        body: {
            '@odata.context': contextUrl(call.request, call.version, 'applications', select),
            ...(call.request.query.get('$count') === 'true' ? { '@odata.count': matches.length } : {}),
            ...(nextLink ? { '@odata.nextLink': nextLink } : {}),
            value: slice.map((app) => project(applicationView(app, { includeKeys, isVisible }), select)),
        },
    };
}

function canonical(name: string): string {
    return (
        {
            appid: 'appId',
            displayname: 'displayName',
            identifieruris: 'identifierUris',
            signinaudience: 'signInAudience',
        }[name.toLowerCase()] ?? name
    );
}

/**
 * `GET /applications/$count` (§1.4): `text/plain`, and only with `ConsistencyLevel: eventual` (an advanced
 * query); without the header Graph rejects it.
 */
export function countApplications(call: GraphCall): EmuResponse {
    if (!canReadAllApps(call)) throw denied();
    if ((call.request.headers['consistencylevel'] ?? '').toLowerCase() !== 'eventual') {
        throw badRequest('$count is not currently supported.');
    }
    let count = 0;
    for (const app of call.runtime.directory.applications.values()) if (replicated(call, app)) count++;
    return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: String(count) };
}

export function getApplication(call: GraphCall, key: string): EmuResponse {
    const app = resolveApplication(call, key);
    requireAppRead(call, app);
    const select = selectOf(call.request, APP_PROPERTIES, APP_TYPE);
    const view = applicationView(app, {
        includeKeys: select?.includes('keyCredentials') === true,
        isVisible: (password) => replicated(call, password),
    });
    return {
        status: 200,
        body: {
            '@odata.context': `${contextUrl(call.request, call.version, 'applications', select)}/$entity`,
            ...project(view, select),
            ...expandedOwners(call, app),
        },
    };
}

/**
 * `$expand=owners` / `owners($select=id)`: like Graph, an expanded directory-object relationship returns at most
 * 20 objects (Graph known issues, "$expand on directory objects"); the full list needs `/owners`.
 */
export const EXPANDED_RELATIONSHIP_CAP = 20;

function expandedOwners(call: GraphCall, app: ApplicationRecord): Record<string, unknown> {
    const raw = call.request.query.get('$expand');
    if (raw === null) return {};
    const match = /^owners(?:\(\$select=([a-zA-Z,]+)\))?$/.exec(raw.trim());
    if (!match) {
        const name = raw.split(/[(,]/)[0]?.trim() ?? '';
        throw badRequest(`Could not find a property named '${name}' on type '${APP_TYPE}'.`);
    }
    const { directory } = call.runtime;
    const owners = app.owners
        .filter((id) => directory.servicePrincipals.has(id))
        .slice(0, EXPANDED_RELATIONSHIP_CAP)
        .map((id) => ({ '@odata.type': '#microsoft.graph.servicePrincipal', id }));
    return { owners };
}

function applyWritable(call: GraphCall, app: ApplicationRecord, body: Record<string, unknown>): void {
    for (const [name, value] of Object.entries(body)) {
        if (name.startsWith('@odata.')) continue;
        if (!WRITABLE_APP_PROPERTIES.has(name)) {
            throw badRequest(
                `The property '${name}' does not exist on type '${APP_TYPE}'. Make sure to only use property names that are defined by the type or mark the type as open type.`,
            );
        }
        if (name === 'displayName') {
            if (typeof value !== 'string' || value.trim() === '')
                throw badRequest("Invalid value specified for property 'displayName' of resource 'Application'.");
            app.displayName = value;
        } else if (name === 'identifierUris') {
            setIdentifierUris(call, app, value);
        } else if (name === 'appRoles') {
            app.appRoles = appRolesFrom(value);
        } else if (name === 'signInAudience') {
            app.signInAudience = String(value);
        } else if (name === 'keyCredentials') {
            app.keyCredentials = keyCredentialsFrom(call, app, value);
        } else {
            app.extra[name] = value;
        }
    }
}

function setIdentifierUris(call: GraphCall, app: ApplicationRecord, value: unknown): void {
    if (!Array.isArray(value) || !value.every((uri) => typeof uri === 'string'))
        throw badRequest("Invalid value specified for property 'identifierUris' of resource 'Application'.");
    const uris = value;
    for (const uri of uris) {
        const other = call.runtime.directory.resourceByIdentifier(uri);
        if (other && other.appId !== app.appId)
            throw badRequest('Another object with the same value for property identifierUris already exists.');
    }
    const previous = app.identifierUris;
    app.identifierUris = uris;
    call.runtime.directory.reindexApplication(app, previous);
}

/** PATCH keyCredentials (the documented way to upload a certificate): keep listed keyIds, add new `key`s. */
function keyCredentialsFrom(call: GraphCall, app: ApplicationRecord, value: unknown): KeyCredentialRecord[] {
    if (!Array.isArray(value))
        throw badRequest("Invalid value specified for property 'keyCredentials' of resource 'Application'.");
    return value.map((entry: unknown) => {
        if (!isRecord(entry)) throw badRequest('Invalid keyCredential.');
        const existing = app.keyCredentials.find((key) => key.keyId === entry['keyId']);
        if (existing && typeof entry['key'] !== 'string') return existing;
        if (typeof entry['key'] !== 'string') throw badRequest('Key credential key is required.');
        try {
            return withDraws(
                call,
                createKeyCredential(call.now, {
                    key: entry['key'],
                    ...(typeof entry['displayName'] === 'string' ? { displayName: entry['displayName'] } : {}),
                    ...(typeof entry['type'] === 'string' ? { type: entry['type'] } : {}),
                    ...(typeof entry['usage'] === 'string' ? { usage: entry['usage'] } : {}),
                }),
            );
        } catch {
            throw new GraphError(400, 'KeyCredentialsInvalidValue', 'Key credential value is invalid.');
        }
    });
}

/** A credential created through Graph takes its delay draws (propagation, replication). */
function withDraws(call: GraphCall, record: KeyCredentialRecord): KeyCredentialRecord {
    record.delayDraws = call.runtime.drawDelays();
    return record;
}

export function createApplication(call: GraphCall): EmuResponse {
    if (!call.caller.roles.includes('Application.ReadWrite.All') && !isOwnedByCaller(call)) throw denied();
    const body = jsonBody(call);
    if (typeof body['displayName'] !== 'string') throw badRequest("Required property 'displayName' is missing.");
    const app = newApplication(call.now, {
        displayName: body['displayName'],
        createdAtMs: call.now.getTime(),
        delayDraws: call.runtime.drawDelays(),
    });
    applyWritable(call, app, body);
    // An OwnedBy caller becomes the owner of what it creates (otherwise it could never manage it).
    if (!call.caller.roles.includes('Application.ReadWrite.All')) app.owners.push(call.caller.oid);
    call.runtime.directory.addApplication(app);
    return {
        status: 201,
        body: {
            '@odata.context': `${contextUrl(call.request, call.version, 'applications')}/$entity`,
            ...applicationView(app),
        },
    };
}

export function patchApplication(call: GraphCall, key: string): EmuResponse {
    const app = resolveApplication(call, key);
    requireAppWrite(call, app);
    const body = jsonBody(call);
    if ('passwordCredentials' in body)
        throw badRequest('Updating passwordCredentials is not supported; use addPassword and removePassword.');
    applyWritable(call, app, body);
    return { status: 204 };
}

export function deleteApplication(call: GraphCall, key: string): EmuResponse {
    const app = resolveApplication(call, key);
    requireAppWrite(call, app);
    const { directory } = call.runtime;
    directory.removeApplication(app);
    const sp = directory.servicePrincipalByAppId(app.appId);
    if (sp) directory.removeServicePrincipal(sp);
    return { status: 204 };
}
