import { type EmuResponse } from '../core/contract';
import { isRecord } from '../core/http';
import { createPassword, passwordView } from '../entra/credentials';
import { replicated, requireAppWrite, type GraphCall } from './auth';
import { jsonBody, resolveApplication } from './applications';
import { GraphError, badRequest, resourceSizeExceeded } from './errors';

function dateField(value: unknown, name: string): Date | undefined {
    if (value === undefined || value === null) return undefined;
    const parsed = typeof value === 'string' ? new Date(value) : new Date(NaN);
    if (isNaN(parsed.getTime()))
        throw badRequest(`Invalid value specified for property '${name}' of resource 'PasswordCredential'.`);
    return parsed;
}

/**
 * `POST /applications/{id}/addPassword` (§1.2): 200 with the new passwordCredential, `secretText` only here;
 * the directory keeps a salted hash. Not idempotent: every call adds a keyId.
 */
export function addPassword(call: GraphCall, key: string): EmuResponse {
    const app = resolveApplication(call, key);
    requireAppWrite(call, app);
    const body = jsonBody(call, { allowEmpty: true });
    const input = isRecord(body['passwordCredential']) ? body['passwordCredential'] : {};
    const start = dateField(input['startDateTime'], 'startDateTime');
    const end = dateField(input['endDateTime'], 'endDateTime');
    const password = createPassword(call.now, {
        ...(typeof input['displayName'] === 'string' ? { displayName: input['displayName'] } : {}),
        ...(start ? { startDateTime: start } : {}),
        ...(end ? { endDateTime: end } : {}),
    });
    const { record } = password;
    const lifetimeSeconds = (Date.parse(record.endDateTime) - Date.parse(record.startDateTime)) / 1000;
    if (lifetimeSeconds <= 0) throw badRequest('Credential end date must be after its start date.');
    const max = call.runtime.settings.maxPasswordLifetimeSeconds;
    if (max !== undefined && lifetimeSeconds > max) {
        throw new GraphError(
            400,
            'CredentialInvalidLifetimeAsPerAppPolicy',
            `Credential lifetime exceeds the max value allowed as per assigned policy ${call.runtime.policyId}.`,
        );
    }
    if (app.passwordCredentials.length + app.keyCredentials.length >= call.runtime.settings.applicationCredentialLimit)
        throw resourceSizeExceeded();
    record.delayDraws = call.runtime.drawDelays();
    app.passwordCredentials.push(record);
    return {
        status: 200,
        body: {
            '@odata.context': `${call.request.url.origin}/${call.version}/$metadata#microsoft.graph.passwordCredential`,
            ...passwordView(record, password.secretText),
        },
    };
}

/** `POST /applications/{id}/removePassword` `{keyId}` → 204; unknown keyId → 400 (§1.3). */
export function removePassword(call: GraphCall, key: string): EmuResponse {
    const app = resolveApplication(call, key);
    requireAppWrite(call, app);
    const body = jsonBody(call);
    const keyId = body['keyId'];
    if (typeof keyId !== 'string' || !/^[0-9a-f-]{36}$/i.test(keyId))
        throw badRequest("Invalid value specified for property 'keyId' of resource 'Application'.");
    const index = app.passwordCredentials.findIndex(
        (credential) => credential.keyId.toLowerCase() === keyId.toLowerCase() && replicated(call, credential),
    );
    if (index < 0) throw badRequest(`No password credential found with keyId ${keyId}.`);
    app.passwordCredentials.splice(index, 1);
    return { status: 204 };
}
