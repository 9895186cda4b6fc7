import { timingSafeEqual } from 'node:crypto';

import { type EmuRequest, type EmuResponse } from '../core/contract';
import { RESOURCE_GROUP, SUBSCRIPTION_ID } from '../keyvault/vault';
import { badInput, egError } from './errors';
import { checkSasToken } from './sas';
import { parseEvents, schemaOf, type InputSchema } from './schema';

export const TOPIC_NAME = 'rotator-events';
export const TOPIC_ID = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.EventGrid/topics/${TOPIC_NAME}`;

/** Event Grid accepts at most 1 MB per publish request. */
export const MAX_PUBLISH_BYTES = 1024 * 1024;

export interface PublishedEvent {
    readonly schema: InputSchema;
    readonly receivedAt: string;
    readonly event: Record<string, unknown>;
}

function keyMatches(given: string | undefined, expected: string): boolean {
    if (given === undefined) return false;
    const a = Buffer.from(given);
    const b = Buffer.from(expected);
    return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * `POST /api/events?api-version=…` as `EventGridPublisherClient` calls it (api-fidelity §5.4): `aeg-sas-key`
 * or `aeg-sas-token` auth, EventGrid or CloudEvents batches, 200 with an empty body.
 */
export function publishToTopic(
    request: EmuRequest,
    topicKey: string,
    receivedAt: Date,
): { response: EmuResponse; events?: PublishedEvent[] } {
    if (request.method.toUpperCase() !== 'POST') {
        return { response: egError(405, 'MethodNotAllowed', `The HTTP method '${request.method}' is not supported.`) };
    }
    const key = request.headers['aeg-sas-key'];
    const token = request.headers['aeg-sas-token'];
    if (key === undefined && token === undefined) {
        return {
            response: egError(
                401,
                'Unauthorized',
                'Request must contain one of the following authorization signature: aeg-sas-token, aeg-sas-key.',
            ),
        };
    }
    if (key !== undefined && !keyMatches(key, topicKey)) {
        return {
            response: egError(
                401,
                'Unauthorized',
                `The request authorization key is not authorized for ${request.url.host.toUpperCase()}. This is due to the reason: The specified key is invalid.`,
            ),
        };
    }
    if (key === undefined && token !== undefined) {
        const sas = checkSasToken(token, topicKey, `${request.url.origin}${request.url.pathname}`, receivedAt);
        if (!sas.ok) return { response: egError(401, 'Unauthorized', sas.reason) };
    }
    if (!request.query.has('api-version')) {
        return {
            response: egError(400, 'BadRequest', 'The api-version query parameter is missing.', 'MissingApiVersion'),
        };
    }
    if (request.body.length > MAX_PUBLISH_BYTES) {
        return {
            response: egError(
                413,
                'RequestEntityTooLarge',
                `The maximum size (${MAX_PUBLISH_BYTES}) has been exceeded.`,
                'PayloadTooLarge',
            ),
        };
    }
    const schema = schemaOf(request.headers['content-type']);
    if (schema === undefined) {
        return {
            response: badInput(
                `Unsupported content type '${request.headers['content-type'] ?? ''}'. Use application/json or application/cloudevents-batch+json.`,
            ),
        };
    }
    const parsed = parseEvents(request.body, schema, TOPIC_ID);
    if (!parsed.ok) return { response: badInput(parsed.message) };
    const at = receivedAt.toISOString();
    return {
        response: { status: 200 },
        events: parsed.events.map((event) => ({ schema, receivedAt: at, event })),
    };
}
