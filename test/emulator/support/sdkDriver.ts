/**
 * Runs real SDK calls in a child process started with NODE_EXTRA_CA_CERTS (read only at process start), which
 * is exactly how the product trusts the emulator. Input: one JSON command on stdin. Output: one JSON line.
 * Secrets arrive on stdin, never on the command line, and are never printed.
 */
import { ClientSecretCredential } from '@azure/identity';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { Client } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';

interface Principal {
    tenantId: string;
    clientId: string;
    clientSecret?: string;
    privateKeyPem?: string;
    thumbprintSha256?: string;
    thumbprintSha1?: string;
}

interface GraphStep {
    method: 'get' | 'post' | 'patch' | 'delete';
    path: string;
    version?: string;
    body?: unknown;
    query?: Record<string, string>;
    /** Follow @odata.nextLink until done and report the total count and page count. */
    followPages?: boolean;
}

type Command =
    | { kind: 'msal'; authorityHost: string; principal: Principal; scope: string; skipCache?: boolean; repeat?: number }
    | { kind: 'identity'; authorityHost: string; principal: Principal; scope: string }
    | { kind: 'graph'; authorityHost: string; graphBaseUrl: string; principal: Principal; steps: GraphStep[] }
    /** Plain fetch (e.g. the control API) between SDK calls, so one process can run a whole scenario. */
    | { kind: 'http'; method: string; url: string; body?: unknown };

function describeError(error: unknown): Record<string, unknown> {
    const e = error as Record<string, unknown>;
    return {
        ok: false,
        name: e['name'],
        message: typeof e['message'] === 'string' ? e['message'] : String(error),
        errorCode: e['errorCode'],
        errorNo: e['errorNo'],
        status: e['status'],
        statusCode: e['statusCode'],
        code: e['code'],
        requestId: e['requestId'],
        date: e['date'] instanceof Date ? e['date'].toISOString() : undefined,
        correlationId: e['correlationId'],
    };
}

async function msal(command: Extract<Command, { kind: 'msal' }>): Promise<unknown> {
    const { principal } = command;
    const host = new URL(command.authorityHost).host;
    const app = new ConfidentialClientApplication({
        auth: {
            clientId: principal.clientId,
            authority: `${command.authorityHost}/${principal.tenantId}`,
            knownAuthorities: [host],
            ...(principal.clientSecret ? { clientSecret: principal.clientSecret } : {}),
            ...(principal.privateKeyPem
                ? {
                      clientCertificate: {
                          privateKey: principal.privateKeyPem,
                          ...(principal.thumbprintSha256
                              ? { thumbprintSha256: principal.thumbprintSha256 }
                              : { thumbprint: principal.thumbprintSha1 ?? '' }),
                      },
                  }
                : {}),
        },
    });
    const results = [];
    for (let i = 0; i < (command.repeat ?? 1); i++) {
        try {
            const result = await app.acquireTokenByClientCredential({
                scopes: [command.scope],
                skipCache: command.skipCache === true,
            });
            const token = result?.accessToken ?? '';
            const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
                string,
                unknown
            >;
            results.push({ ok: true, fromCache: result?.fromCache, tokenType: result?.tokenType, claims: payload });
        } catch (error) {
            results.push(describeError(error));
        }
    }
    return results;
}

async function identity(command: Extract<Command, { kind: 'identity' }>): Promise<unknown> {
    const { principal } = command;
    const credential = new ClientSecretCredential(
        principal.tenantId,
        principal.clientId,
        principal.clientSecret ?? '',
        {
            authorityHost: command.authorityHost,
            disableInstanceDiscovery: true,
        },
    );
    try {
        const token = await credential.getToken(command.scope);
        return { ok: true, expiresOnTimestamp: token.expiresOnTimestamp, tokenLength: token.token.length };
    } catch (error) {
        return describeError(error);
    }
}

async function graph(command: Extract<Command, { kind: 'graph' }>): Promise<unknown> {
    const { principal } = command;
    const credential = new ClientSecretCredential(
        principal.tenantId,
        principal.clientId,
        principal.clientSecret ?? '',
        {
            authorityHost: command.authorityHost,
            disableInstanceDiscovery: true,
        },
    );
    const client = Client.initWithMiddleware({
        authProvider: new TokenCredentialAuthenticationProvider(credential, {
            scopes: ['https://graph.microsoft.com/.default'],
        }),
        baseUrl: command.graphBaseUrl,
        customHosts: new Set([new URL(command.graphBaseUrl).hostname]),
    });
    const results: unknown[] = [];
    for (const template of command.steps) {
        const step = resolveReferences(template, results);
        try {
            let request = client.api(step.path).version(step.version ?? 'v1.0');
            for (const [key, value] of Object.entries(step.query ?? {})) request = request.query({ [key]: value });
            if (step.followPages) {
                let response = (await request.get()) as { value: unknown[]; '@odata.nextLink'?: string };
                let count = response.value.length;
                let pages = 1;
                while (response['@odata.nextLink']) {
                    response = (await client.api(response['@odata.nextLink']).get()) as typeof response;
                    count += response.value.length;
                    pages++;
                }
                results.push({ ok: true, count, pages });
                continue;
            }
            const body: unknown =
                step.method === 'get'
                    ? await request.get()
                    : step.method === 'post'
                      ? await request.post(step.body ?? {})
                      : step.method === 'patch'
                        ? await request.patch(step.body ?? {})
                        : await request.delete();
            results.push({ ok: true, body: body ?? null });
        } catch (error) {
            results.push(describeError(error));
        }
    }
    return results;
}

/** `{{1.body.keyId}}` inside a step → that value from an earlier step's result (chains dependent calls). */
function resolveReferences(step: GraphStep, results: unknown[]): GraphStep {
    const text = JSON.stringify(step).replace(/\{\{(\d+)\.([\w.]+)\}\}/g, (_match, index: string, path: string) => {
        let value: unknown = results[Number(index)];
        for (const part of path.split('.')) value = (value as Record<string, unknown> | undefined)?.[part];
        return typeof value === 'string' ? value : '';
    });
    return JSON.parse(text) as GraphStep;
}

async function run(command: Command): Promise<unknown> {
    switch (command.kind) {
        case 'msal':
            return msal(command);
        case 'identity':
            return identity(command);
        case 'graph':
            return graph(command);
        case 'http': {
            const response = await fetch(command.url, {
                method: command.method,
                ...(command.body === undefined
                    ? {}
                    : { body: JSON.stringify(command.body), headers: { 'content-type': 'application/json' } }),
            });
            const text = await response.text();
            return { status: response.status, body: text ? (JSON.parse(text) as unknown) : null };
        }
    }
}

async function main(): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
    const input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Command | Command[];
    // A list of commands shares one process: SDK start-up dominates the cost of each child.
    const results = [];
    for (const command of Array.isArray(input) ? input : [input]) {
        results.push(await run(command));
    }
    process.stdout.write(`${JSON.stringify(Array.isArray(input) ? results : results[0])}\n`);
}

main().catch((error: unknown) => {
    process.stdout.write(`${JSON.stringify(describeError(error))}\n`);
    process.exitCode = 1;
});
