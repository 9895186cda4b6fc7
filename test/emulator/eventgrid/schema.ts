/**
 * Input validation for the custom topic (api-fidelity §5.4): EventGrid-schema arrays as `application/json`,
 * CloudEvents 1.0 as `application/cloudevents-batch+json` (or a single `application/cloudevents+json`).
 */

export type InputSchema = 'EventGridSchema' | 'CloudEventSchemaV1_0';

type Parsed = { ok: true; events: Record<string, unknown>[] } | { ok: false; message: string };

/** Extension attribute names must be lower-case alphanumerics (the SDK enforces the same). */
const CLOUD_EVENT_ATTRIBUTE = /^[a-z0-9]+$/;

export function schemaOf(contentType: string | undefined): InputSchema | undefined {
    const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
    if (media === 'application/json') return 'EventGridSchema';
    if (media === 'application/cloudevents-batch+json' || media === 'application/cloudevents+json') {
        return 'CloudEventSchemaV1_0';
    }
    return undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value);

type Checked = { event: Record<string, unknown> } | { error: string };

const missing = (index: number, property: string): Checked => ({
    error: `The event at index ${index} is missing the required property '${property}'.`,
});

function checkEventGridEvent(event: unknown, index: number, topic: string): Checked {
    if (!isObject(event)) return { error: `The event at index ${index} is not a JSON object.` };
    for (const property of ['id', 'subject', 'eventType', 'eventTime'] as const) {
        if (typeof event[property] !== 'string' || event[property] === '') return missing(index, property);
    }
    if (Number.isNaN(Date.parse(event.eventTime as string))) {
        return { error: `The event at index ${index} has an invalid eventTime.` };
    }
    if (
        event.topic !== undefined &&
        (typeof event.topic !== 'string' || event.topic.toLowerCase() !== topic.toLowerCase())
    ) {
        return { error: `The event at index ${index} has a topic that does not match this topic (${topic}).` };
    }
    // Event Grid stamps the topic and metadata version; dataVersion defaults to empty.
    return { event: { ...event, topic, dataVersion: event.dataVersion ?? '', metadataVersion: '1' } };
}

function checkCloudEvent(event: unknown, index: number): Checked {
    if (!isObject(event)) return { error: `The event at index ${index} is not a JSON object.` };
    for (const property of ['id', 'source', 'type', 'specversion'] as const) {
        if (typeof event[property] !== 'string' || event[property] === '') return missing(index, property);
    }
    if (event.specversion !== '1.0') {
        return { error: `The event at index ${index} has unsupported specversion '${String(event.specversion)}'.` };
    }
    const badName = Object.keys(event).find((name) => !CLOUD_EVENT_ATTRIBUTE.test(name) && name !== 'data_base64');
    if (badName !== undefined) {
        return { error: `The event at index ${index} has an invalid attribute name '${badName}'.` };
    }
    return { event };
}

export function parseEvents(body: Buffer, schema: InputSchema, topic: string): Parsed {
    let parsed: unknown;
    try {
        parsed = JSON.parse(body.toString('utf8'));
    } catch {
        return { ok: false, message: 'The request body is not valid JSON.' };
    }
    const single = schema === 'CloudEventSchemaV1_0' && isObject(parsed);
    const list = single ? [parsed] : parsed;
    if (!Array.isArray(list)) {
        return {
            ok: false,
            message: `This resource is configured to receive events in '${schema}' schema. The JSON received does not conform to the expected schema. Token Expected: StartArray, Actual Token Received: StartObject.`,
        };
    }
    const events: Record<string, unknown>[] = [];
    for (const [index, event] of list.entries()) {
        const checked =
            schema === 'EventGridSchema' ? checkEventGridEvent(event, index, topic) : checkCloudEvent(event, index);
        if ('error' in checked) return { ok: false, message: checked.error };
        events.push(checked.event);
    }
    return { ok: true, events };
}
