/**
 * Drives the product's BlobStateStore against Azurite in a child process started with NODE_EXTRA_CA_CERTS (read
 * only at process start), the way the app trusts a CA. Input: `{ accountUrl }` on stdin; output: one JSON line.
 */
import { randomUUID } from 'node:crypto';

import { type AccessToken, type TokenCredential } from '@azure/identity';
import { ContainerClient } from '@azure/storage-blob';

import { BlobStateStore } from '../../../shared/adapters/blobStateStore';
import { readBlobText } from '../../../shared/adapters/blobText';
import { loadConsumersConfig } from '../../../shared/rotation/loadConsumers';

/**
 * A token as Entra issues it for storage (v1: `iss` https://sts.windows.net/{tid}/, `aud` https://storage.azure.com).
 * Azurite's basic OAuth checks those claims and the lifetime, not the signature, so the signature is a dummy.
 */
class StorageTokenCredential implements TokenCredential {
    calls = 0;
    getToken(scopes: string | string[]): Promise<AccessToken> {
        this.calls += 1;
        const scope = Array.isArray(scopes) ? scopes[0] : scopes;
        if (scope !== 'https://storage.azure.com/.default') throw new Error(`unexpected scope ${scope}`);
        const now = Math.floor(Date.now() / 1000);
        const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
        const tid = '8c3d1f0e-1111-4222-8333-944445555666';
        const token = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({
            aud: 'https://storage.azure.com',
            iss: `https://sts.windows.net/${tid}/`,
            tid,
            iat: now,
            nbf: now,
            exp: now + 3600,
            oid: randomUUID(),
            ver: '1.0',
        })}.c2lnbmF0dXJl`;
        return Promise.resolve({ token, expiresOnTimestamp: (now + 3600) * 1000 });
    }
}

async function main(): Promise<void> {
    const { accountUrl } = JSON.parse(await stdin()) as { accountUrl: string };
    const credential = new StorageTokenCredential();
    const containerUrl = `${accountUrl}/rotator-state`;
    await new ContainerClient(containerUrl, credential).createIfNotExists();

    // Anonymous access is refused: Azure disables shared keys and anonymous reads on the state account.
    const anonymous = await fetch(`${containerUrl}/events%2Fprocessed.json`).then((r) => r.status);

    const a = new BlobStateStore(containerUrl, credential);
    const b = new BlobStateStore(containerUrl, credential); // a second app instance
    const missing = await a.read('inventory/latest');
    await a.write('inventory/latest', { counts: { total: 3 } });
    const roundTrip = await b.read('inventory/latest');

    // 2 instances x 8 concurrent appends, each a read-modify-write of one document.
    const N = 8;
    await Promise.all(
        Array.from({ length: N * 2 }, (_, i) =>
            (i % 2 ? a : b).update<string[]>('events/processed', (ids = []) => [...ids, `evt-${i}`]),
        ),
    );
    const conditional = ((await a.read<string[]>('events/processed')) ?? []).length;

    // Control: the same appends as plain read + write lose updates, so the test above can fail.
    await Promise.all(
        Array.from({ length: N * 2 }, async (_, i) => {
            const store = i % 2 ? a : b;
            const ids = (await store.read<string[]>('control/processed')) ?? [];
            await store.write('control/processed', [...ids, `evt-${i}`]);
        }),
    );
    const unconditional = ((await a.read<string[]>('control/processed')) ?? []).length;

    // The consumer configuration as infra would publish it: a private blob in the state container.
    const container = new ContainerClient(containerUrl, credential);
    const doc = JSON.stringify({
        consumers: [
            {
                vaultUrl: 'https://kv.vault.azure.net',
                secretName: 'app-secret',
                refresh: [{ name: 'worker', type: 'webhook', url: 'https://worker.example/refresh' }],
            },
        ],
    });
    await container.getBlockBlobClient('consumers.json').upload(doc, Buffer.byteLength(doc));
    await container.getBlockBlobClient('broken.json').upload('{not json', 9);
    const consumersUrl = `${containerUrl}/consumers.json`;
    const loaded = await loadConsumersConfig(consumersUrl, (url) => readBlobText(url, credential));
    const consumersAnonymous = await fetch(consumersUrl).then((r) => r.status);
    const broken = await loadConsumersConfig(`${containerUrl}/broken.json`, (url) =>
        readBlobText(url, credential),
    ).then(
        () => 'loaded',
        (e: unknown) => (e instanceof Error ? e.message : String(e)),
    );
    const absent = await loadConsumersConfig(`${containerUrl}/absent.json`, (url) =>
        readBlobText(url, credential),
    ).then(
        () => 'loaded',
        (e: unknown) => (e instanceof Error ? e.message : String(e)),
    );

    process.stdout.write(
        `${JSON.stringify({ consumersEntries: loaded.entries, worker: loaded.consumersFor('https://kv.vault.azure.net', 'app-secret').map((c) => c.name), consumersAnonymous, broken, absent, anonymous, missing: missing ?? null, roundTrip, conditional, unconditional, expected: N * 2, tokenCalls: credential.calls })}\n`,
    );
}

function stdin(): Promise<string> {
    return new Promise((resolve) => {
        let text = '';
        process.stdin.on('data', (c: Buffer) => (text += c.toString()));
        process.stdin.on('end', () => resolve(text));
    });
}

main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
});
