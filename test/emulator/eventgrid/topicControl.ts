import { type EmuResponse } from '../core/contract';
import { assignSender, DATA_SENDER, type TopicAccess } from './topicAuth';

const bad = (status: number, message: string): EmuResponse => ({
    status,
    body: { error: { code: status === 404 ? 'NotFound' : 'BadRequest', message } },
});

function parse(body: Buffer): Record<string, unknown> | undefined {
    try {
        const parsed: unknown = JSON.parse(body.toString('utf8'));
        return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
            ? (parsed as Record<string, unknown>)
            : undefined;
    } catch {
        return undefined;
    }
}

/**
 * Control routes for who may publish to the custom topic:
 * `GET|POST /_emulator/eventGrid/topic` `{"disableLocalAuth": true}` (keys and SAS refused, Entra only), and
 * `GET|POST /_emulator/eventGrid/roleAssignments` `{"principalId", "role": "EventGrid Data Sender"}`,
 * `DELETE /_emulator/eventGrid/roleAssignments/{id}`. `undefined` for other routes.
 */
export function controlTopicAccess(
    subPath: string,
    method: string,
    body: Buffer,
    access: TopicAccess,
): EmuResponse | undefined {
    if (subPath === '/topic' && method === 'GET') {
        return { status: 200, body: { disableLocalAuth: access.disableLocalAuth } };
    }
    if (subPath === '/topic' && method === 'POST') {
        const parsed = parse(body);
        if (typeof parsed?.disableLocalAuth !== 'boolean')
            return bad(400, 'Expected {"disableLocalAuth": true|false}.');
        access.disableLocalAuth = parsed.disableLocalAuth;
        return { status: 200, body: { disableLocalAuth: access.disableLocalAuth } };
    }
    if (subPath === '/roleAssignments' && method === 'GET') return { status: 200, body: { value: access.senders } };
    if (subPath === '/roleAssignments' && method === 'POST') {
        const parsed = parse(body);
        const role = parsed?.role;
        const known = role === DATA_SENDER.name || role === DATA_SENDER.id;
        if (typeof parsed?.principalId !== 'string' || parsed.principalId === '' || !known) {
            return bad(
                400,
                `Expected {"principalId": "<service principal object id>", "role": "${DATA_SENDER.name}"}.`,
            );
        }
        return { status: 201, body: assignSender(access, parsed.principalId) };
    }
    const match = /^\/roleAssignments\/([^/]+)$/.exec(subPath);
    if (match?.[1] !== undefined && method === 'DELETE') {
        const before = access.senders.length;
        access.senders = access.senders.filter((a) => a.id !== match[1]);
        return access.senders.length === before ? bad(404, 'No such role assignment.') : { status: 204 };
    }
    return undefined;
}
