import { type TokenCredential } from '@azure/identity';
import { ContainerClient } from '@azure/storage-blob';

import { type StateStorePort } from '../scan/ports';
import { stateDocumentName } from '../scan/stateKey';
import { fromUpstreamError, statusOf } from './upstreamError';

/**
 * JSON documents as block blobs in one container, reached with the app's managed identity (no account keys).
 * A blob upload replaces the whole blob atomically, so readers never see half a document.
 */
export class BlobStateStore implements StateStorePort {
    readonly #container: ContainerClient;

    constructor(containerUrl: string, credential: TokenCredential) {
        this.#container = new ContainerClient(containerUrl, credential);
    }

    async read<T>(key: string): Promise<T | undefined> {
        try {
            const buffer = await this.#container.getBlockBlobClient(stateDocumentName(key)).downloadToBuffer();
            return JSON.parse(buffer.toString('utf8')) as T;
        } catch (error) {
            if (statusOf(error) === 404) return undefined;
            throw fromUpstreamError('storage', 'read state blob', error);
        }
    }

    async write(key: string, value: unknown): Promise<void> {
        const body = JSON.stringify(value);
        try {
            await this.#container.getBlockBlobClient(stateDocumentName(key)).upload(body, Buffer.byteLength(body), {
                blobHTTPHeaders: { blobContentType: 'application/json' },
            });
        } catch (error) {
            throw fromUpstreamError('storage', 'write state blob', error);
        }
    }
}
