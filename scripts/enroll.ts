/**
 * `npm run enroll -- <command> [options]`: enrollment through the operator API (who may rotate what).
 *
 *   list                                      the enrolled bindings
 *   history                                   the enrollment history, newest first
 *   add --secret S --app-id A --key-id K --reason R [--vault URL]
 *   remove --secret S --reason R [--vault URL]
 *   import [--apply --reason R] [--vault URL] one-time enrollment of today's tagged secrets (dry run by default)
 *
 * Target: --sandbox [--state DIR] [--api URL] (the running `npm start`, its operator token), or --api URL with a
 * token in ROTATOR_TOKEN (e.g. `az account get-access-token --resource api://<operator api>`). Changes need
 * the Rotation.Admin app role. Prints the API's JSON answer; exit 0 on 2xx, 1 on a refused request, 2 on bad usage.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { EmulatorClient } from '../test/sandbox/emulatorClient';
import { readSandboxState } from '../test/sandbox/sandboxState';

class UsageError extends Error {}

const HELP = `usage: npm run enroll -- <command> [options]

commands:
  list                         the enrolled bindings (Rotation.Read)
  history                      the enrollment history, newest first (Rotation.Read)
  add                          enroll one secret for one application credential (Rotation.Admin)
                                 --secret NAME --app-id GUID --key-id GUID --reason TEXT [--vault URL]
  remove                       unenroll one secret (Rotation.Admin)
                                 --secret NAME --reason TEXT [--vault URL]
  import                       enroll today's tagged secrets; a dry run unless --apply (Rotation.Admin)
                                 [--apply --reason TEXT] [--vault URL]

target:
  --sandbox [--state DIR]      the running sandbox (default state .state/sandbox, API http://localhost:7071)
  --api URL                    the app's base URL; the bearer token is read from ROTATOR_TOKEN
  --help                       this text
`;

async function main(): Promise<number> {
    const { values, positionals } = parseArgs({
        allowPositionals: true,
        options: {
            sandbox: { type: 'boolean', default: false },
            state: { type: 'string', default: '.state/sandbox' },
            api: { type: 'string' },
            secret: { type: 'string' },
            'app-id': { type: 'string' },
            'key-id': { type: 'string' },
            reason: { type: 'string' },
            vault: { type: 'string' },
            apply: { type: 'boolean', default: false },
            help: { type: 'boolean', default: false },
        },
    });
    if (values.help) {
        process.stdout.write(HELP);
        return 0;
    }
    const [command, ...extra] = positionals;
    if (!command || extra.length > 0) throw new UsageError('give exactly one command');
    const need = (name: 'secret' | 'app-id' | 'key-id' | 'reason'): string => {
        const value = values[name];
        if (!value) throw new UsageError(`${command} needs --${name}`);
        return value;
    };
    const vault: Record<string, string> = values.vault ? { vaultUrl: values.vault } : {};
    let request: { method: string; path: string; body?: object };
    switch (command) {
        case 'list':
            request = { method: 'GET', path: '/api/bindings?top=100' };
            break;
        case 'history':
            request = { method: 'GET', path: '/api/bindings/history?top=100' };
            break;
        case 'add':
            request = {
                method: 'POST',
                path: '/api/bindings',
                body: {
                    secretName: need('secret'),
                    appId: need('app-id'),
                    keyId: need('key-id'),
                    reason: need('reason'),
                    ...vault,
                },
            };
            break;
        case 'remove': {
            const query = new URLSearchParams({ reason: need('reason'), ...vault });
            request = {
                method: 'DELETE',
                path: `/api/bindings/${encodeURIComponent(need('secret'))}?${query.toString()}`,
            };
            break;
        }
        case 'import':
            request = {
                method: 'POST',
                path: '/api/bindings/import',
                body: {
                    dryRun: !values.apply,
                    reason: values.apply ? need('reason') : (values.reason ?? 'dry run'),
                    ...vault,
                },
            };
            break;
        default:
            throw new UsageError(`unknown command ${command}`);
    }
    const { baseUrl, token } = await target(values.sandbox, values.state, values.api);
    const response = await fetch(`${baseUrl.replace(/\/+$/, '')}${request.path}`, {
        method: request.method,
        headers: {
            authorization: `Bearer ${token}`,
            ...(request.body ? { 'content-type': 'application/json' } : {}),
        },
        ...(request.body ? { body: JSON.stringify(request.body) } : {}),
    });
    const text = await response.text();
    process.stdout.write(`${text}\n`);
    if (!response.ok) process.stderr.write(`enroll: HTTP ${response.status}\n`);
    return response.ok ? 0 : 1;
}

async function target(
    sandbox: boolean,
    state: string,
    api: string | undefined,
): Promise<{ baseUrl: string; token: string }> {
    if (sandbox) {
        let s: ReturnType<typeof readSandboxState>;
        try {
            s = readSandboxState(state);
        } catch (error) {
            throw new UsageError(error instanceof Error ? error.message : 'no sandbox state');
        }
        const emu = new EmulatorClient(s.descriptor, readFileSync(s.descriptor.caCertPath, 'utf8'));
        const { clientId, clientSecret, scope } = s.tenant.operator;
        return { baseUrl: api ?? 'http://localhost:7071', token: await emu.token(clientId, clientSecret, scope) };
    }
    if (!api) throw new UsageError('give --sandbox or --api <base url>');
    const token = process.env.ROTATOR_TOKEN;
    if (!token) throw new UsageError('set ROTATOR_TOKEN to an operator access token');
    return { baseUrl: api, token };
}

main().then(
    (code) => process.exit(code),
    (error: unknown) => {
        process.stderr.write(`enroll: ${error instanceof Error ? error.message : String(error)}\n`);
        if (error instanceof UsageError) process.stderr.write(`\n${HELP}`);
        process.exit(error instanceof UsageError ? 2 : 1);
    },
);
