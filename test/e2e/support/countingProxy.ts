import { type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer, request } from 'node:https';
import { type AddressInfo } from 'node:net';

import { ensureTlsMaterial } from '../../emulator/core/certs';

export interface CountedRequest {
    readonly method: string;
    readonly path: string;
    readonly status: number;
    /** Wall time (ms) the answer arrived. */
    readonly at: number;
}

export interface CountingProxy {
    /** `https://localhost:PORT`: use it as a base URL in place of the emulator's. */
    readonly url: string;
    readonly requests: CountedRequest[];
    close(): Promise<void>;
}

/**
 * A pass-through HTTPS proxy in front of the emulator that records every request (method, path, status).
 * It serves the emulator's own `localhost` certificate, so a process that trusts the emulator's CA trusts it.
 * Used to count the Graph calls one rotation makes.
 */
export async function startCountingProxy(emulator: {
    readonly baseUrl: string;
    readonly stateDir: string;
    readonly caCertPem: string;
}): Promise<CountingProxy> {
    const tls = await ensureTlsMaterial(emulator.stateDir);
    const target = new URL(emulator.baseUrl);
    const requests: CountedRequest[] = [];
    const server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req: IncomingMessage, res: ServerResponse) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
            const upstream = request(
                new URL(req.url ?? '/', target),
                {
                    method: req.method,
                    ca: emulator.caCertPem,
                    headers: { ...req.headers, host: target.host },
                },
                (answer) => {
                    requests.push({
                        method: req.method ?? 'GET',
                        path: (req.url ?? '/').split('?')[0] ?? '/',
                        status: answer.statusCode ?? 0,
                        at: Date.now(),
                    });
                    res.writeHead(answer.statusCode ?? 502, answer.headers);
                    answer.pipe(res);
                },
            );
            upstream.on('error', () => {
                res.writeHead(502);
                res.end();
            });
            upstream.end(Buffer.concat(chunks));
        });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
        url: `https://localhost:${port}`,
        requests,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}
