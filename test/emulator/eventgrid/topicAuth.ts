import { randomUUID, timingSafeEqual } from 'node:crypto';

import { type EmuRequest, type EmuResponse, type EmulatorContext } from '../core/contract';
import { caeClaims, expiredOnEmulatorClock } from '../keyvault/cae';
import { egError } from './errors';
import { checkSasToken } from './sas';

/** Audience of Entra tokens for Event Grid data plane (scope `https://eventgrid.azure.net/.default`, §5.4). */
export const EVENT_GRID_RESOURCE = 'https://eventgrid.azure.net';

/** The built-in role that grants `Microsoft.EventGrid/events/send/action`. */
export const DATA_SENDER = { name: 'EventGrid Data Sender', id: 'd5a91429-5739-47e2-a06b-3470a27159e7' } as const;

export interface SenderAssignment {
    readonly id: string;
    readonly principalId: string;
    readonly role: typeof DATA_SENDER.name;
    readonly roleDefinitionId: string;
}

/** Who may publish: the topic key (unless local auth is disabled, as the product's topic has it) or RBAC. */
export interface TopicAccess {
    topicKey: string;
    disableLocalAuth: boolean;
    senders: SenderAssignment[];
}

export function assignSender(access: TopicAccess, principalId: string): SenderAssignment {
    const existing = access.senders.find((a) => a.principalId === principalId);
    if (existing !== undefined) return existing;
    const assignment = { id: randomUUID(), principalId, role: DATA_SENDER.name, roleDefinitionId: DATA_SENDER.id };
    access.senders.push(assignment);
    return assignment;
}

function keyMatches(given: string, expected: string): boolean {
    const a = Buffer.from(given);
    const b = Buffer.from(expected);
    return a.length === b.length && timingSafeEqual(a, b);
}

const unauthorized = (message: string): EmuResponse => egError(401, 'Unauthorized', message);

/**
 * `aeg-sas-key`, `aeg-sas-token` or `Authorization: Bearer` (Entra, audience `https://eventgrid.azure.net`,
 * caller holding EventGrid Data Sender). Returns the refusal, or `undefined` when the caller may publish.
 * [UNVERIFIED] wording beyond the missing-signature and invalid-key messages.
 */
export function authorizePublish(
    request: EmuRequest,
    context: EmulatorContext,
    access: TopicAccess,
): EmuResponse | undefined {
    const key = request.headers['aeg-sas-key'];
    const sas = request.headers['aeg-sas-token'];
    const bearer = request.headers.authorization;
    const host = request.url.host.toUpperCase();
    if (bearer !== undefined && /^Bearer\s+\S/i.test(bearer)) {
        const claims = context.verifyAccessToken(bearer);
        if (claims === undefined) {
            const now = context.clock.now();
            if (!expiredOnEmulatorClock(bearer, now))
                return unauthorized('The request authorization token is invalid.');
            // Stale only on the emulator clock: a CAE challenge makes core's bearer policy fetch a fresh token.
            const response = unauthorized('The request authorization token has expired.');
            const header = `Bearer error="insufficient_claims", claims="${caeClaims(Math.floor(now.getTime() / 1000))}"`;
            return { ...response, headers: { ...response.headers, 'www-authenticate': header } };
        }
        if (claims.aud.replace(/\/$/, '') !== EVENT_GRID_RESOURCE) {
            return unauthorized(`The request authorization token audience '${claims.aud}' is not valid for ${host}.`);
        }
        if (!access.senders.some((a) => a.principalId === claims.oid)) {
            return unauthorized(
                `The principal associated with the bearer token (oid=${claims.oid}) does not have the required permission ` +
                    `'Microsoft.EventGrid/events/send/action' on ${host}.`,
            );
        }
        return undefined;
    }
    if (key === undefined && sas === undefined) {
        return unauthorized(
            'Request must contain one of the following authorization signature: aeg-sas-token, aeg-sas-key.',
        );
    }
    if (access.disableLocalAuth) {
        return unauthorized(
            `Local authentication (aeg-sas-key, aeg-sas-token) is disabled for ${host}. Use Microsoft Entra ID.`,
        );
    }
    if (key !== undefined) {
        return keyMatches(key, access.topicKey)
            ? undefined
            : unauthorized(
                  `The request authorization key is not authorized for ${host}. This is due to the reason: The specified key is invalid.`,
              );
    }
    const check = checkSasToken(
        sas ?? '',
        access.topicKey,
        `${request.url.origin}${request.url.pathname}`,
        context.clock.now(),
    );
    return check.ok ? undefined : unauthorized(check.reason);
}
