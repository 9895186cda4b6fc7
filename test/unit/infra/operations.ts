/**
 * The table "operation -> role -> scope" that infra/README.md documents, derived from the code:
 * - the adapters' SDK calls (scanned from their source) map to the data actions Azure checks for them;
 * - the Functions host and Durable Functions (Azure Storage backend) need blobs, queues and tables;
 * - telemetry with local auth off needs Telemetry/Write.
 * A new SDK call in an adapter that is not mapped here fails the contract test until it is mapped and documented.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { repoRoot } from './repoFiles';

type Resource = 'storage' | 'vault' | 'topic' | 'appInsights';

const BLOBS = 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs';
const SECRETS = 'Microsoft.KeyVault/vaults/secrets';

/** Built-in role definition id -> name and the (data) actions it grants (Azure built-in roles reference). */
export const ROLE_DATA_ACTIONS: Record<string, { name: string; actions: readonly string[] }> = {
    'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': {
        name: 'Storage Blob Data Owner',
        actions: ['Microsoft.Storage/storageAccounts/blobServices/containers/*', `${BLOBS}/*`],
    },
    'ba92f5b4-2d11-453d-a403-e96b0029c9fe': {
        name: 'Storage Blob Data Contributor',
        actions: [
            'Microsoft.Storage/storageAccounts/blobServices/containers/read',
            'Microsoft.Storage/storageAccounts/blobServices/containers/write',
            `${BLOBS}/read`,
            `${BLOBS}/write`,
            `${BLOBS}/delete`,
            `${BLOBS}/add/action`,
            `${BLOBS}/move/action`,
        ],
    },
    '974c5e8b-45b9-4653-ba55-5f855dd0fb88': {
        name: 'Storage Queue Data Contributor',
        actions: [
            'Microsoft.Storage/storageAccounts/queueServices/queues/*',
            'Microsoft.Storage/storageAccounts/queueServices/queues/messages/*',
        ],
    },
    '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3': {
        name: 'Storage Table Data Contributor',
        actions: [
            'Microsoft.Storage/storageAccounts/tableServices/tables/*',
            'Microsoft.Storage/storageAccounts/tableServices/tables/entities/*',
        ],
    },
    '3913510d-42f4-4e42-8a64-420c390055eb': {
        name: 'Monitoring Metrics Publisher',
        actions: ['Microsoft.Insights/Metrics/Write', 'Microsoft.Insights/Telemetry/Write'],
    },
    'b86a8fe4-44ce-4948-aee5-eccb2c155cd7': { name: 'Key Vault Secrets Officer', actions: [`${SECRETS}/*`] },
    'd5a91429-5739-47e2-a06b-3470a27159e7': {
        name: 'EventGrid Data Sender',
        actions: ['Microsoft.EventGrid/events/send/action'],
    },
};

export function grants(roleId: string, action: string): boolean {
    const role = ROLE_DATA_ACTIONS[roleId];
    if (!role) return false;
    return role.actions.some((a) =>
        a.endsWith('/*')
            ? action.toLowerCase().startsWith(a.slice(0, -1).toLowerCase())
            : a.toLowerCase() === action.toLowerCase(),
    );
}

interface SdkOperation {
    readonly operation: string;
    readonly dataAction: string;
    readonly resource: Resource;
}

/** SDK method -> what Azure authorizes it as. Keyed by adapter file. */
const SDK_METHODS: Record<string, Record<string, SdkOperation>> = {
    'shared/adapters/keyVaultSecrets.ts': keyVaultMethods(),
    'shared/adapters/keyVaultManagedIndex.ts': keyVaultMethods(),
    'shared/adapters/blobStateStore.ts': blobMethods('rotator state'),
    'shared/adapters/blobText.ts': blobMethods('consumer configuration'),
    'shared/adapters/eventGridNotifier.ts': {
        send: {
            operation: 'Event Grid: publish lifecycle notifications (send)',
            dataAction: 'Microsoft.EventGrid/events/send/action',
            resource: 'topic',
        },
    },
};

function keyVaultMethods(): Record<string, SdkOperation> {
    const op = (operation: string, action: string): SdkOperation => ({
        operation: `Key Vault: ${operation}`,
        dataAction: `${SECRETS}/${action}`,
        resource: 'vault',
    });
    return {
        getSecret: op('read a secret (getSecret)', 'getSecret/action'),
        setSecret: op('write a secret version with tags (setSecret)', 'setSecret/action'),
        updateSecretProperties: op('update tags and attributes (updateSecretProperties)', 'update/action'),
        beginDeleteSecret: op('delete a secret (beginDeleteSecret)', 'delete'),
        purgeDeletedSecret: op('purge a deleted secret (purgeDeletedSecret)', 'purge/action'),
        beginRecoverDeletedSecret: op('recover a deleted secret (beginRecoverDeletedSecret)', 'recover/action'),
        getDeletedSecret: op('read a deleted secret (getDeletedSecret)', 'readMetadata/action'),
        listPropertiesOfSecrets: op('list secrets (listPropertiesOfSecrets)', 'readMetadata/action'),
        listPropertiesOfSecretVersions: op('list versions (listPropertiesOfSecretVersions)', 'readMetadata/action'),
    };
}

function blobMethods(what: string): Record<string, SdkOperation> {
    const op = (verb: string, method: string, action: string): SdkOperation => ({
        operation: `Blob: ${verb} ${what} (${method})`,
        dataAction: `${BLOBS}/${action}`,
        resource: 'storage',
    });
    return {
        downloadToBuffer: op('read', 'downloadToBuffer', 'read'),
        download: op('read', 'download', 'read'),
        getProperties: op('read', 'getProperties', 'read'),
        exists: op('read', 'exists', 'read'),
        upload: op('write, with conditions,', 'upload', 'write'),
        uploadData: op('write, with conditions,', 'uploadData', 'write'),
        delete: op('delete', 'delete', 'delete'),
        deleteIfExists: op('delete', 'deleteIfExists', 'delete'),
    };
}

/** What the Functions host and Durable Functions do with the identity (not in our code, so not scanned). */
const PLATFORM: readonly SdkOperation[] = [
    {
        operation: 'Functions host and Durable task hub: blobs (leases, large messages, deployment package)',
        dataAction: `${BLOBS}/write`,
        resource: 'storage',
    },
    {
        operation: 'Durable task hub: control and work-item queues',
        dataAction: 'Microsoft.Storage/storageAccounts/queueServices/queues/messages/process/action',
        resource: 'storage',
    },
    {
        operation: 'Durable task hub: instance and history tables',
        dataAction: 'Microsoft.Storage/storageAccounts/tableServices/tables/entities/write',
        resource: 'storage',
    },
    {
        operation: 'Application Insights: telemetry with local auth off',
        dataAction: 'Microsoft.Insights/Telemetry/Write',
        resource: 'appInsights',
    },
];

const SCOPE_LABEL: Record<Resource, string> = {
    storage: 'the storage account',
    vault: 'the vault',
    topic: 'the notification topic',
    appInsights: 'the Application Insights resource',
};

/** The role the template assigns for each resource/action: the first role in ROLE_DATA_ACTIONS granting it. */
const ROLE_FOR: Record<Resource, readonly string[]> = {
    storage: [
        'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
        '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
        '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
    ],
    vault: ['b86a8fe4-44ce-4948-aee5-eccb2c155cd7'],
    topic: ['d5a91429-5739-47e2-a06b-3470a27159e7'],
    appInsights: ['3913510d-42f4-4e42-8a64-420c390055eb'],
};

export interface OperationRow extends SdkOperation {
    readonly roleName: string;
    readonly scopeLabel: string;
}

/** SDK calls `.method(` in an adapter file that the table maps, in source order, without duplicates. */
function scannedOperations(): SdkOperation[] {
    const found: SdkOperation[] = [];
    for (const [file, methods] of Object.entries(SDK_METHODS)) {
        const text = readFileSync(join(repoRoot, file), 'utf8');
        for (const m of text.matchAll(/\.(\w+)\(/g)) {
            const op = Object.hasOwn(methods, m[1]!) ? methods[m[1]!] : undefined;
            if (op && !found.some((f) => f.operation === op.operation)) found.push(op);
        }
    }
    return found;
}

/** Every data-plane operation, with the role granting it and where. */
export function operationsTable(): OperationRow[] {
    return [...scannedOperations(), ...PLATFORM].map((op) => {
        const role = ROLE_FOR[op.resource].find((id) => grants(id, op.dataAction));
        if (!role) throw new Error(`no role in the table grants ${op.dataAction} (${op.operation})`);
        return { ...op, roleName: ROLE_DATA_ACTIONS[role]!.name, scopeLabel: SCOPE_LABEL[op.resource] };
    });
}

/** The SDK client methods an adapter calls that the table does not map (a new call must be documented). */
export function unmappedSdkCalls(file: string, sdkMethodNames: readonly string[]): string[] {
    const methods = SDK_METHODS[file] ?? {};
    const text = readFileSync(join(repoRoot, file), 'utf8');
    const called = new Set([...text.matchAll(/\.(\w+)\(/g)].map((m) => m[1]!));
    return sdkMethodNames.filter((name) => called.has(name) && !Object.hasOwn(methods, name));
}

export const DATA_ACTION_OPERATIONS = SDK_METHODS;

/** Rows of the "Data-plane operations" table in infra/README.md. */
export function readmeOperationsTable(readme: string): { operation: string; role: string; scope: string }[] {
    const start = readme.indexOf('| operation | role | scope |');
    if (start < 0) throw new Error('infra/README.md has no "| operation | role | scope |" table');
    const rows: { operation: string; role: string; scope: string }[] = [];
    for (const line of readme.slice(start).split('\n').slice(2)) {
        if (!line.startsWith('|')) break;
        const [operation, role, scope] = line
            .split('|')
            .slice(1, -1)
            .map((c) => c.trim().replace(/`/g, ''));
        rows.push({ operation: operation!, role: role!, scope: scope! });
    }
    return rows;
}
