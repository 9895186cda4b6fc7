import jwt from 'jsonwebtoken';

import { type EmuResponse } from '../core/contract';
import { isRecord } from '../core/http';
import { createKeyCredential, keyView } from '../entra/credentials';
import { type ApplicationRecord } from '../entra/model';
import { jsonBody, resolveApplication } from './applications';
import { requireAppWrite, type GraphCall } from './auth';
import { GraphError, badRequest, resourceSizeExceeded } from './errors';

/** Audience of addKey/removeKey proofs: the legacy Azure AD Graph app id, as the Graph docs require. */
const PROOF_AUDIENCE = '00000002-0000-0000-c000-000000000000';
const MAX_PROOF_LIFETIME_SECONDS = 600;

/**
 * The proof of possession for addKey/removeKey: a JWT signed by one of the app's currently valid certificates,
 * `iss` = the application's object id, `aud` = PROOF_AUDIENCE, lifetime ≤ 10 minutes.
 */
function verifyProof(call: GraphCall, app: ApplicationRecord, proof: unknown): void {
    const invalid = () => badRequest('Proof of possession validation failed.');
    if (typeof proof !== 'string') throw invalid();
    const nowMs = call.now.getTime();
    const valid = app.keyCredentials.filter(
        (key) => Date.parse(key.startDateTime) <= nowMs && nowMs <= Date.parse(key.endDateTime),
    );
    if (valid.length === 0) {
        throw badRequest(
            'The application has no valid certificate to prove possession with; update keyCredentials instead.',
        );
    }
    const verified = valid.some((key) => {
        try {
            const claims = jwt.verify(proof, key.publicKeyPem, {
                algorithms: ['RS256', 'PS256'],
                audience: PROOF_AUDIENCE,
                issuer: app.id,
                clockTimestamp: Math.floor(nowMs / 1000),
            });
            if (typeof claims === 'string' || typeof claims.exp !== 'number' || typeof claims.nbf !== 'number')
                return false;
            return claims.exp - claims.nbf <= MAX_PROOF_LIFETIME_SECONDS;
        } catch {
            return false;
        }
    });
    if (!verified) throw invalid();
}

/** `POST /applications/{id}/addKey` `{keyCredential, passwordCredential: null, proof}` → 200 keyCredential. */
export function addKey(call: GraphCall, keyPath: string): EmuResponse {
    const app = resolveApplication(call, keyPath);
    requireAppWrite(call, app);
    const body = jsonBody(call);
    verifyProof(call, app, body['proof']);
    const input = body['keyCredential'];
    if (!isRecord(input) || typeof input['key'] !== 'string')
        throw badRequest("Required property 'keyCredential' is missing.");
    let record;
    try {
        record = createKeyCredential(call.now, {
            key: input['key'],
            ...(typeof input['displayName'] === 'string' ? { displayName: input['displayName'] } : {}),
            ...(typeof input['type'] === 'string' ? { type: input['type'] } : {}),
            ...(typeof input['usage'] === 'string' ? { usage: input['usage'] } : {}),
        });
    } catch {
        throw new GraphError(400, 'KeyCredentialsInvalidValue', 'Key credential value is invalid.');
    }
    if (app.passwordCredentials.length + app.keyCredentials.length >= call.runtime.settings.applicationCredentialLimit)
        throw resourceSizeExceeded();
    record.delayDraws = call.runtime.drawDelays();
    app.keyCredentials.push(record);
    return {
        status: 200,
        body: {
            '@odata.context': `${call.request.url.origin}/${call.version}/$metadata#microsoft.graph.keyCredential`,
            ...keyView(record, false),
        },
    };
}

/** `POST /applications/{id}/removeKey` `{keyId, proof}` → 204. */
export function removeKey(call: GraphCall, keyPath: string): EmuResponse {
    const app = resolveApplication(call, keyPath);
    requireAppWrite(call, app);
    const body = jsonBody(call);
    verifyProof(call, app, body['proof']);
    const index = app.keyCredentials.findIndex((key) => key.keyId === body['keyId']);
    if (index < 0) throw badRequest(`No key credential found with keyId ${String(body['keyId'])}.`);
    app.keyCredentials.splice(index, 1);
    return { status: 204 };
}
