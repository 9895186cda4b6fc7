import { type EmuRequest, type EmuResponse, type EmulatorContext } from '../core/contract';
import { RESOURCE_GROUP, SUBSCRIPTION_ID } from '../keyvault/vault';
import { badInput, egError } from './errors';
import { parseEvents, schemaOf, type InputSchema } from './schema';
import { authorizePublish, type TopicAccess } from './topicAuth';

export const TOPIC_NAME = 'rotator-events';
export const TOPIC_ID = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.EventGrid/topics/${TOPIC_NAME}`;

/** Event Grid accepts at most 1 MB per publish request. */
export const MAX_PUBLISH_BYTES = 1024 * 1024;

export interface PublishedEvent {
    readonly schema: InputSchema;
    readonly receivedAt: string;
    readonly event: Record<string, unknown>;
}

/**
 * `POST /api/events?api-version=…` as `EventGridPublisherClient` calls it (api-fidelity §5.4): key, SAS or
 * Entra auth, EventGrid or CloudEvents batches, 200 with an empty body.
 */
export function publishToTopic(
    request: EmuRequest,
    context: EmulatorContext,
    access: TopicAccess,
): { response: EmuResponse; events?: PublishedEvent[] } {
    const receivedAt = context.clock.now();
    if (request.method.toUpperCase() !== 'POST') {
        return { response: egError(405, 'MethodNotAllowed', `The HTTP method '${request.method}' is not supported.`) };
    }
    const refused = authorizePublish(request, context, access);
    if (refused !== undefined) return { response: refused };
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
