import http from 'node:http';
import { type AddressInfo } from 'node:net';

/** A webhook subscriber for tests: records every request and answers through a replaceable responder. */
export interface ReceivedRequest {
    readonly headers: http.IncomingHttpHeaders;
    readonly body: unknown;
}

export type Responder = (request: ReceivedRequest) => { status: number; body?: unknown };

/** Answers the validation handshake like the Functions host does, and 200 to notifications. */
export const echoValidation: Responder = (request) => {
    if (request.headers['aeg-event-type'] === 'SubscriptionValidation') {
        const [event] = request.body as [{ data: { validationCode: string } }];
        return { status: 200, body: { validationResponse: event.data.validationCode } };
    }
    return { status: 200 };
};

export interface Receiver {
    readonly url: string;
    readonly requests: ReceivedRequest[];
    respond: Responder;
    notifications(): ReceivedRequest[];
    close(): Promise<void>;
}

export async function startReceiver(respond: Responder = echoValidation): Promise<Receiver> {
    const requests: ReceivedRequest[] = [];
    const receiver: Receiver = {
        url: '',
        requests,
        respond,
        notifications: () => requests.filter((r) => r.headers['aeg-event-type'] === 'Notification'),
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const received = { headers: req.headers, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
            requests.push(received);
            const answer = receiver.respond(received);
            res.writeHead(answer.status, { 'content-type': 'application/json' });
            res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
        });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    (receiver as { url: string }).url =
        `http://127.0.0.1:${port}/runtime/webhooks/EventGrid?functionName=onSecretEvent`;
    return receiver;
}
