/**
 * The app's state store on Azurite with the app's real credential path: `ManagedIdentityCredential` against the
 * tenant emulator's App Service identity endpoint (IDENTITY_ENDPOINT / IDENTITY_HEADER in the environment), in a
 * child process started with NODE_EXTRA_CA_CERTS. Input `{ containerUrl, clientId }` on stdin; one JSON line out.
 */
import { ManagedIdentityCredential } from '@azure/identity';
import { ContainerClient } from '@azure/storage-blob';

import { BlobStateStore } from '../../../shared/adapters/blobStateStore';

async function main(): Promise<void> {
    const { containerUrl, clientId } = JSON.parse(await stdin()) as { containerUrl: string; clientId: string };
    const credential = new ManagedIdentityCredential({ clientId });
    const token = await credential.getToken('https://storage.azure.com/.default');
    const claims = JSON.parse(Buffer.from(token.token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
        iss: string;
        aud: string;
    };
    await new ContainerClient(containerUrl, credential).createIfNotExists();
    const store = new BlobStateStore(containerUrl, credential);
    await store.write('events/processed', { ids: ['a'] });
    await store.update<{ ids: string[] }>('events/processed', (current) => ({ ids: [...(current?.ids ?? []), 'b'] }));
    const read = await store.read<{ ids: string[] }>('events/processed');
    process.stdout.write(`${JSON.stringify({ iss: claims.iss, aud: claims.aud, read })}\n`);
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
