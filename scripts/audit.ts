/**
 * `npm run audit -- --sandbox | --tenant <tenant id> [--vault <url>]... [--json] [--limit N]` (`--help`).
 * `npm run audit -- --sandbox --app-service | --tenant <id> --subscription <id>... [--scope <rg id>]...`: the App
 * Service mode, every version-pinned Key Vault reference in those subscriptions or resource groups.
 *
 * The five-minute credential audit (seed 000) for any tenant: every app registration credential by expiry,
 * with progress while scanning, apps without managed rotation flagged. Exit codes tell findings from failures:
 * 0 nothing urgent, 1 urgent credentials found (expired or inside the alert window), 2 bad usage, 3 the audit
 * could not run (no sandbox, sign-in refused, tenant or vault unreachable).
 *
 * Real tenants: authenticates with DefaultAzureCredential (az login, environment, managed identity) and needs
 * Graph Application.Read.All (and Key Vault Secrets User on the vaults, to tell managed credentials apart).
 * --sandbox: the running `npm start` sandbox, as the rotator identity.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { ClientSecretCredential, DefaultAzureCredential, type TokenCredential } from '@azure/identity';

import { createGraphClient } from '../shared/adapters/graphClient';
import { GraphApplicationScanner } from '../shared/adapters/graphApplicationScanner';
import { KeyVaultManagedIndex } from '../shared/adapters/keyVaultManagedIndex';
import { SecretClients } from '../shared/adapters/secretClients';
import { ArmAppService } from '../shared/adapters/armAppService';
import { auditTenant, formatAudit } from '../shared/audit/audit';
import { auditPinnedReferences, formatPinnedAudit } from '../shared/audit/pinnedReferences';
import { DEFAULT_POLICY } from '../shared/domain/policy';
import { SUBSCRIPTION_ID as SANDBOX_SUBSCRIPTION_ID } from '../test/emulator/arm';
import { EmulatorClient } from '../test/sandbox/emulatorClient';
import { readSandboxState } from '../test/sandbox/sandboxState';
import { type CommandSpec, EXIT_USAGE, intOption, parseCommandLine, UsageError } from '../test/support/cli';

/** Exit codes (README "The five-minute audit"). */
export const AUDIT_EXIT = { clean: 0, findings: 1, usage: EXIT_USAGE, couldNotRun: 3 } as const;

const AUDIT_COMMAND = {
    command: 'npm run audit --',
    summary:
        'Lists every app registration credential by expiry and flags apps whose urgent credentials no rotation\n' +
        'manages. Read-only. Give exactly one of --sandbox or --tenant.',
    options: {
        sandbox: { type: 'boolean', default: false },
        state: { type: 'string', default: '.state/sandbox' },
        tenant: { type: 'string' },
        vault: { type: 'string', multiple: true, default: [] },
        'authority-host': { type: 'string', default: 'https://login.microsoftonline.com' },
        graph: { type: 'string', default: 'https://graph.microsoft.com' },
        json: { type: 'boolean', default: false },
        limit: { type: 'string', default: '20' },
        'app-service': { type: 'boolean', default: false },
        subscription: { type: 'string', multiple: true, default: [] },
        scope: { type: 'string', multiple: true, default: [] },
        'resource-manager': { type: 'string', default: 'https://management.azure.com' },
    },
    help: [
        ['--sandbox', 'audit the running npm start sandbox'],
        ['--state DIR', 'with --sandbox: its state folder (default .state/sandbox)'],
        ['--tenant ID', 'audit a real tenant (DefaultAzureCredential: az login, environment, managed identity)'],
        ['--vault URL', 'a Key Vault whose tagged secrets mark managed credentials (repeatable)'],
        ['--authority-host URL', 'Entra authority (default https://login.microsoftonline.com)'],
        ['--graph URL', 'Microsoft Graph (default https://graph.microsoft.com)'],
        ['--json', 'one JSON line on stdout instead of the table'],
        ['--limit N', 'rows in the table (default 20; 0 = all)'],
        [
            '--app-service',
            'App Service mode: list every version-pinned Key Vault reference (with --sandbox: its subscription)',
        ],
        ['--subscription ID', 'App Service mode over a subscription (repeatable)'],
        ['--scope ID', 'App Service mode over /subscriptions/<id>/resourceGroups/<name> (repeatable)'],
        ['--resource-manager URL', 'Azure Resource Manager (default https://management.azure.com)'],
    ],
    epilog:
        'Exit codes: 0 nothing urgent, 1 urgent credentials found (expired or inside the alert window),\n' +
        '2 bad usage, 3 the audit could not run (no sandbox, sign-in refused, tenant or vault unreachable).\n' +
        'App Service mode: 0 no pinned reference, 1 pinned references found, 2 bad usage, 3 could not run or could\n' +
        'not read every scope or site (the list is then incomplete). It needs Microsoft.Web/sites/read and\n' +
        'Microsoft.Web/sites/config/read (and the slots/ equivalents) on the scopes: see infra/appServiceRole.bicep.',
} as const satisfies CommandSpec<NonNullable<Parameters<typeof parseCommandLine>[0]['options']>>;

/** The audit could not run: nothing was decided about the tenant. */
class CouldNotRun extends Error {}

interface Target {
    credential: TokenCredential;
    graphBaseUrl: string;
    vaultUrls: string[];
    localEndpoints: boolean;
    now: () => Promise<Date>;
    /** Sandbox only: its Resource Manager and subscription. */
    resourceManagerUrl?: string;
    subscriptionId?: string;
}

async function main(): Promise<number> {
    const values = parseCommandLine(AUDIT_COMMAND, (v) => {
        if (v.sandbox === (v.tenant !== undefined))
            throw new UsageError('give exactly one of --sandbox or --tenant <id>');
        return { ...v, limit: intOption('limit', v.limit, 0, 1_000_000) };
    });
    const target = values.sandbox
        ? sandboxTarget(values.state)
        : tenantTarget(values.tenant!, values.vault, values['authority-host'], values.graph);
    if (target === 'reexec') return reexecWithCa(values.state);

    const scopes = [...values.subscription.map((id) => `/subscriptions/${id}`), ...values.scope];
    if (values['app-service'] || scopes.length > 0) {
        for (const scope of scopes) {
            if (!/^\/subscriptions\/[0-9a-fA-F-]{36}(\/resourceGroups\/[-\w._()]{1,90})?$/.test(scope)) {
                throw new UsageError(
                    `${scope} is not /subscriptions/<id> or /subscriptions/<id>/resourceGroups/<name>`,
                );
            }
        }
        if (scopes.length === 0 && !target.subscriptionId) {
            throw new UsageError('App Service mode needs --subscription <id> or --scope <resource group id>');
        }
        const endpoint = target.resourceManagerUrl ?? values['resource-manager'];
        if (!/^https:\/\//.test(endpoint)) throw new UsageError(`${endpoint} is not an https URL`);
        const port = new ArmAppService(target.credential, {
            endpoint,
            scope: 'https://management.azure.com/.default',
        });
        const audit = await runAudit(values.sandbox, () =>
            auditPinnedReferences(port, scopes.length > 0 ? scopes : [`/subscriptions/${target.subscriptionId}`]),
        );
        process.stdout.write(values.json ? `${JSON.stringify(audit)}\n` : `${formatPinnedAudit(audit)}\n`);
        if (audit.failures.length > 0) return AUDIT_EXIT.couldNotRun;
        return audit.pinned.length > 0 ? AUDIT_EXIT.findings : AUDIT_EXIT.clean;
    }

    const interactive = process.stderr.isTTY;
    const result = await runAudit(values.sandbox, async () =>
        auditTenant(
            {
                scanner: new GraphApplicationScanner(createGraphClient(target.credential, target.graphBaseUrl)),
                managed: new KeyVaultManagedIndex(new SecretClients(target.credential, target.localEndpoints)),
                vaultUrls: target.vaultUrls,
            },
            {
                now: await target.now(),
                policy: DEFAULT_POLICY,
                listLimit: values.limit,
                onProgress: (apps, pages) =>
                    process.stderr.write(
                        interactive
                            ? `\rscanned ${apps} apps (${pages} pages)`
                            : `scanned ${apps} apps (${pages} pages)\n`,
                    ),
            },
        ),
    );
    if (interactive) process.stderr.write('\n');
    process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${formatAudit(result)}\n`);
    return result.urgent.length > 0 ? AUDIT_EXIT.findings : AUDIT_EXIT.clean;
}

function sandboxTarget(state: string): Target | 'reexec' {
    let sandbox: ReturnType<typeof readSandboxState>;
    try {
        sandbox = readSandboxState(state);
    } catch (error) {
        throw new CouldNotRun(error instanceof Error ? error.message : 'no sandbox state');
    }
    const { descriptor, tenant } = sandbox;
    // The SDKs trust the emulator's CA only if the process started with it.
    if (resolve(process.env.NODE_EXTRA_CA_CERTS ?? '') !== resolve(descriptor.caCertPath)) return 'reexec';
    const emu = new EmulatorClient(descriptor, readFileSync(descriptor.caCertPath, 'utf8'));
    return {
        credential: new ClientSecretCredential(
            descriptor.tenantId,
            tenant.rotator.clientId,
            tenant.rotator.clientSecret,
            {
                authorityHost: descriptor.authorityHost,
                disableInstanceDiscovery: true,
            },
        ),
        graphBaseUrl: descriptor.graphBaseUrl,
        vaultUrls: [descriptor.vaultUrl],
        localEndpoints: true,
        now: () => emu.now(),
        resourceManagerUrl: descriptor.baseUrl,
        subscriptionId: SANDBOX_SUBSCRIPTION_ID,
    };
}

function tenantTarget(tenantId: string, vaults: string[], authorityHost: string, graph: string): Target {
    for (const url of [...vaults, authorityHost, graph]) {
        if (!/^https:\/\//.test(url)) throw new UsageError(`${url} is not an https URL`);
    }
    return {
        credential: new DefaultAzureCredential({ tenantId, authorityHost }),
        graphBaseUrl: graph,
        vaultUrls: vaults,
        localEndpoints: false,
        now: () => Promise.resolve(new Date()),
    };
}

function reexecWithCa(state: string): number {
    const { descriptor } = readSandboxState(state);
    const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
        stdio: 'inherit',
        env: { ...process.env, NODE_EXTRA_CA_CERTS: descriptor.caCertPath },
    });
    return child.status ?? 1;
}

/** Any failure while talking to the tenant means "could not run", with a hint for the usual cause. */
async function runAudit<T>(sandbox: boolean, run: () => Promise<T>): Promise<T> {
    try {
        return await run();
    } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const hint =
            sandbox && /ECONNREFUSED|ECONNRESET|socket hang up/.test(message)
                ? '; is the sandbox running? start it with npm start (and pass the same --state)'
                : '';
        throw new CouldNotRun(`could not run: ${message}${hint}`);
    }
}

main().then(
    (code) => process.exit(code),
    (error: unknown) => {
        process.stderr.write(`audit: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(error instanceof UsageError ? AUDIT_EXIT.usage : AUDIT_EXIT.couldNotRun);
    },
);
