import jwt from 'jsonwebtoken';

import { type DelayDraws } from '../core/delays';
import { type AccessTokenClaims, type EmuRequest } from '../core/contract';
import { type ApplicationRecord } from '../entra/model';
import { type TenantRuntime } from '../entra/runtime';
import { GRAPH_APP_ID } from '../entra/wellKnown';
import { GraphError, denied } from './errors';

/** What every Graph handler gets: the tenant, the request, the verified caller and the API version. */
export interface GraphCall {
    readonly runtime: TenantRuntime;
    readonly request: EmuRequest;
    readonly caller: AccessTokenClaims;
    readonly version: 'v1.0' | 'beta';
    /** Path after the version segment, e.g. `/applications/{id}`. */
    readonly path: string;
    readonly now: Date;
}

const invalidToken = (message: string) => new GraphError(401, 'InvalidAuthenticationToken', message);

/** Bearer token checks in Graph's order: present, valid, issued for Graph. */
export function authenticate(runtime: TenantRuntime, request: EmuRequest): AccessTokenClaims {
    const header = request.headers['authorization'];
    if (!header || !/^Bearer\s+\S+/i.test(header)) throw invalidToken('Access token is empty.');
    const claims = runtime.verifyAccessToken(header);
    if (!claims) {
        // Real Graph names the expiry case; a token cached across a clock jump lands here (see README).
        const payload = jwt.decode(header.replace(/^Bearer\s+/i, '').trim(), { json: true });
        const expired = typeof payload?.exp === 'number' && payload.exp * 1000 < runtime.clock.now().getTime();
        throw invalidToken(expired ? 'Access token has expired.' : 'Access token validation failure.');
    }
    if (!runtime.verifyAccessToken(header, GRAPH_APP_ID)) {
        throw invalidToken('Access token validation failure. Invalid audience.');
    }
    return claims;
}

/** False while an object is still inside its replication lag (its draw under the tenant's setting). */
export function replicated(call: GraphCall, object: { createdAtMs?: number; delayDraws?: DelayDraws }): boolean {
    if (object.createdAtMs === undefined) return true;
    return call.now.getTime() - object.createdAtMs >= call.runtime.replicationLagMs(object.delayDraws);
}

const has = (call: GraphCall, ...roles: string[]) => roles.some((role) => call.caller.roles.includes(role));

/**
 * Reading applications and service principals. OwnedBy is included: callers holding only OwnedBy can read
 * applications they do not own (reported in microsoft-graph-docs issue #17416); it can only *write* owned ones.
 */
export const canReadAllApps = (call: GraphCall) =>
    has(
        call,
        'Application.Read.All',
        'Application.ReadWrite.All',
        'Application.ReadWrite.OwnedBy',
        'Directory.Read.All',
        'Directory.ReadWrite.All',
    );

export const isOwnedByCaller = (call: GraphCall) => has(call, 'Application.ReadWrite.OwnedBy');

export const owns = (call: GraphCall, app: ApplicationRecord) => app.owners.includes(call.caller.oid);

/** Read access to one application. */
export function requireAppRead(call: GraphCall, _app: ApplicationRecord): void {
    if (!canReadAllApps(call)) throw denied();
}

/** Write access: Application.ReadWrite.All, or Application.ReadWrite.OwnedBy on an owned app (§1.2). */
export function requireAppWrite(call: GraphCall, app: ApplicationRecord): void {
    if (has(call, 'Application.ReadWrite.All') || (isOwnedByCaller(call) && owns(call, app))) return;
    throw denied();
}

export function requireRole(call: GraphCall, ...roles: string[]): void {
    if (!has(call, ...roles)) throw denied();
}
