import { randomUUID } from 'node:crypto';

import { type AccessTokenClaims, type EmuRequest, type EmuResponse, type EmulatorContext } from '../core/contract';
import {
    badParameter,
    beingDeleted,
    deletedButRecoverable,
    deletedSecretNotFound,
    kvError,
    kvHeaders,
    purgeProtected,
    secretDisabled,
    secretNotFound,
} from './errors';
import { type EmittedMarks, unixSeconds } from './model';
import { pageOf } from './paging';
import { forbiddenByRbac, type RoleAssignments, type SecretAction } from './rbac';
import { type SecretStore } from './store';
import { secretEvent } from './systemEvents';
import { NAME_PATTERN, parseJsonBody, parsePatchBody, parseSetBody } from './validate';
import { deletedBundle, deletedItem, secretBundle, secretItem, versionItem } from './wire';

export interface VaultState {
    readonly store: SecretStore;
    readonly roles: RoleAssignments;
    readonly marks: EmittedMarks;
    readonly events: { publishSystemEvent(event: object): void };
}

interface Operation {
    readonly action: SecretAction;
    /** The secret the RBAC check is scoped to (named in the 403). */
    readonly secret?: string;
    readonly run: () => EmuResponse;
}

const ok = (body: unknown, status = 200): EmuResponse => ({ status, headers: kvHeaders(), body });

/** Maps a request on `/secrets…` or `/deletedsecrets…` to its operation (api-fidelity §4.1 table). */
function resolve(request: EmuRequest, context: EmulatorContext, state: VaultState): Operation | EmuResponse {
    const segments = request.path.split('/').slice(1);
    const [rawCollection, name, third, ...rest] = segments;
    const collection = rawCollection?.toLowerCase();
    const method = request.method.toUpperCase();
    const { store } = state;
    const origin = context.origin;
    const now = (): number => unixSeconds(context.clock.now());
    if (rest.length > 0) return notFound();

    if (collection === 'secrets') {
        if (name === undefined || name === '') {
            if (method !== 'GET') return methodNotAllowed(method);
            return {
                action: 'readMetadata',
                run: () => pageOf(request, origin, store.listLive(), (s) => secretItem(origin, s, store.profile)),
            };
        }
        if (third === 'versions') {
            if (method !== 'GET') return methodNotAllowed(method);
            return {
                action: 'readMetadata',
                secret: name,
                run: () => {
                    const secret = store.find(name);
                    if (secret === undefined) return secretNotFound(name);
                    return pageOf(request, origin, secret.versions, (v) =>
                        versionItem(origin, secret, v, store.profile),
                    );
                },
            };
        }
        const version = third === undefined || third === '' ? undefined : third;
        if (method === 'PUT' && version === undefined) {
            return { action: 'setSecret', secret: name, run: () => setSecret(request, context, state, name) };
        }
        if (method === 'GET') {
            return {
                action: 'getSecret',
                secret: name,
                run: () => {
                    const secret = store.find(name);
                    const record = version === undefined ? store.current(name) : store.findVersion(name, version);
                    // A recovered secret reads 404 for a while (the SDK's recover poller waits on this).
                    if (secret === undefined || record === undefined || store.phase(name) === 'recovering') {
                        return secretNotFound(version === undefined ? name : `${name}/${version}`);
                    }
                    if (!record.enabled) return secretDisabled('get');
                    return ok(secretBundle(origin, secret, record, true, store.profile));
                },
            };
        }
        if (method === 'PATCH') {
            return {
                action: 'update',
                secret: name,
                run: () => {
                    const secret = store.find(name);
                    const record = version === undefined ? store.current(name) : store.findVersion(name, version);
                    if (secret === undefined || record === undefined) {
                        return secretNotFound(version === undefined ? name : `${name}/${version}`);
                    }
                    const body = parseJsonBody(request.body);
                    if (!body.ok) return body.response;
                    const patch = parsePatchBody(body.value);
                    if (!patch.ok) return patch.response;
                    store.update(record, patch.value, now());
                    context.markDirty();
                    return ok(secretBundle(origin, secret, record, false, store.profile));
                },
            };
        }
        if (method === 'DELETE' && version === undefined) {
            return {
                action: 'delete',
                secret: name,
                run: () => {
                    const deleted = store.delete(name, now());
                    if (deleted === undefined) return secretNotFound(name);
                    context.markDirty();
                    return ok(deletedBundle(origin, deleted, store.profile));
                },
            };
        }
        return methodNotAllowed(method);
    }

    if (collection === 'deletedsecrets') {
        if (name === undefined || name === '') {
            if (method !== 'GET') return methodNotAllowed(method);
            return {
                action: 'readMetadata',
                run: () => pageOf(request, origin, store.listDeleted(), (d) => deletedItem(origin, d, store.profile)),
            };
        }
        if (third === 'recover') {
            if (method !== 'POST') return methodNotAllowed(method);
            return {
                action: 'recover',
                secret: name,
                run: () => {
                    // [UNVERIFIED] a recover before the delete finished: the deleted secret is not there yet.
                    if (store.phase(name) === 'deleting') return deletedSecretNotFound(name);
                    const secret = store.recover(name);
                    if (secret === undefined) return deletedSecretNotFound(name);
                    context.markDirty();
                    const current = secret.versions[secret.versions.length - 1];
                    return current === undefined
                        ? secretNotFound(name)
                        : ok(secretBundle(origin, secret, current, false, store.profile));
                },
            };
        }
        if (third !== undefined && third !== '') return notFound();
        if (method === 'GET') {
            return {
                action: 'readMetadata',
                secret: name,
                run: () => {
                    const deleted = store.findDeleted(name);
                    // A delete still in progress is not visible yet (the SDK's delete poller waits on this 404).
                    if (deleted === undefined || store.phase(name) === 'deleting') return deletedSecretNotFound(name);
                    return ok(deletedBundle(origin, deleted, store.profile));
                },
            };
        }
        if (method === 'DELETE') {
            return {
                action: 'purge',
                secret: name,
                run: () => {
                    if (store.findDeleted(name) === undefined) return deletedSecretNotFound(name);
                    if (store.profile.purgeProtection) return purgeProtected();
                    // Purging before the delete finished is refused (terraform-provider-azurerm#10454).
                    if (store.phase(name) === 'deleting') return beingDeleted(name);
                    store.purge(name);
                    context.markDirty();
                    return { status: 204, headers: { 'x-ms-request-id': randomUUID() } };
                },
            };
        }
        return methodNotAllowed(method);
    }
    return notFound();
}

function setSecret(request: EmuRequest, context: EmulatorContext, state: VaultState, name: string): EmuResponse {
    if (!NAME_PATTERN.test(name)) return badParameter(`The request URI contains an invalid name: ${name}`);
    const phase = state.store.phase(name);
    if (phase === 'purging' || phase === 'deleting') return beingDeleted(name);
    if (state.store.findDeleted(name) !== undefined) return deletedButRecoverable(name);
    const body = parseJsonBody(request.body);
    if (!body.ok) return body.response;
    const input = parseSetBody(body.value);
    if (!input.ok) return input.response;
    const now = context.clock.now();
    const { secret, version } = state.store.set(name, input.value, unixSeconds(now));
    context.markDirty();
    state.events.publishSystemEvent(
        secretEvent('Microsoft.KeyVault.SecretNewVersionCreated', context.origin, secret, version, now),
    );
    return ok(secretBundle(context.origin, secret, version, true, state.store.profile));
}

/** Authorises (RBAC on the token's `oid`) and runs the operation. Authentication happened before. */
export function handleSecrets(
    request: EmuRequest,
    context: EmulatorContext,
    state: VaultState,
    claims: AccessTokenClaims,
): EmuResponse {
    const operation = resolve(request, context, state);
    if (!('run' in operation)) return operation;
    if (!state.roles.allows(claims.oid, operation.action)) {
        return forbiddenByRbac(context.origin, claims, operation.action, operation.secret);
    }
    return operation.run();
}

// [UNVERIFIED] bodies for routes the SDK never calls; the shape follows §4.2.
const notFound = (): EmuResponse => kvError(404, 'NotFound', 'The requested operation is not supported by this vault.');
const methodNotAllowed = (method: string): EmuResponse =>
    kvError(405, 'MethodNotAllowed', `The requested resource does not support http method '${method}'.`);
