/**
 * `npm run audit -- --sandbox | --tenant <tenant id> [--vault <url>]... [--json] [--limit N]`
 *
 * The five-minute credential audit (seed 000) for any tenant: every app registration credential by expiry,
 * with progress while scanning, apps without managed rotation flagged. Exit code 1 when a credential is expired
 * or inside the alert window, 0 when none is, 2 on bad usage.
 *
 * Real tenants: authenticates with DefaultAzureCredential (az login, environment, managed identity) and needs
 * Graph Application.Read.All (and Key Vault Secrets User on the vaults, to tell managed credentials apart).
 * --sandbox: the running `npm start` sandbox, as the rotator identity.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { ClientSecretCredential, DefaultAzureCredential, type TokenCredential } from '@azure/identity';

import { createGraphClient } from '../shared/adapters/graphClient';
import { GraphApplicationScanner } from '../shared/adapters/graphApplicationScanner';
import { KeyVaultManagedIndex } from '../shared/adapters/keyVaultManagedIndex';
import { SecretClients } from '../shared/adapters/secretClients';
import { auditTenant, formatAudit } from '../shared/audit/audit';
import { DEFAULT_POLICY } from '../shared/domain/policy';
import { EmulatorClient } from '../test/sandbox/emulatorClient';
import { readSandboxState } from '../test/sandbox/sandboxState';

class UsageError extends Error {}

interface Target {
    credential: TokenCredential;
    graphBaseUrl: string;
    vaultUrls: string[];
    localEndpoints: boolean;
    now: () => Promise<Date>;
}

async function main(): Promise<number> {
    const { values } = parseArgs({
        options: {
            sandbox: { type: 'boolean', default: false },
            state: { type: 'string', default: '.state/sandbox' },
            tenant: { type: 'string' },
            vault: { type: 'string', multiple: true, default: [] },
            'authority-host': { type: 'string', default: 'https://login.microsoftonline.com' },
            graph: { type: 'string', default: 'https://graph.microsoft.com' },
            json: { type: 'boolean', default: false },
            limit: { type: 'string', default: '20' },
        },
    });
    if (values.sandbox === (values.tenant !== undefined))
        throw new UsageError('give exactly one of --sandbox or --tenant <id>');
    const limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 0) throw new UsageError('--limit must be a whole number');
    const target = values.sandbox
        ? sandboxTarget(values.state)
        : tenantTarget(values.tenant!, values.vault, values['authority-host'], values.graph);
    if (target === 'reexec') return reexecWithCa(values.state);

    const interactive = process.stderr.isTTY;
    const result = await auditTenant(
        {
            scanner: new GraphApplicationScanner(createGraphClient(target.credential, target.graphBaseUrl)),
            managed: new KeyVaultManagedIndex(new SecretClients(target.credential, target.localEndpoints)),
            vaultUrls: target.vaultUrls,
        },
        {
            now: await target.now(),
            policy: DEFAULT_POLICY,
            listLimit: limit,
            onProgress: (apps, pages) =>
                process.stderr.write(
                    interactive ? `\rscanned ${apps} apps (${pages} pages)` : `scanned ${apps} apps (${pages} pages)\n`,
                ),
        },
    );
    if (interactive) process.stderr.write('\n');
    process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${formatAudit(result)}\n`);
    return result.urgent.length > 0 ? 1 : 0;
}

function sandboxTarget(state: string): Target | 'reexec' {
    let sandbox: ReturnType<typeof readSandboxState>;
    try {
        sandbox = readSandboxState(state);
    } catch (error) {
        throw new UsageError(error instanceof Error ? error.message : 'no sandbox state');
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

main().then(
    (code) => process.exit(code),
    (error: unknown) => {
        process.stderr.write(`audit: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(error instanceof UsageError ? 2 : 1);
    },
);
