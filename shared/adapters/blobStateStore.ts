import { type TokenCredential } from '@azure/identity';
import { ContainerClient } from '@azure/storage-blob';

import { type StateStorePort, type unchanged } from '../scan/ports';
import { stateDocumentName } from '../scan/stateKey';
import { conditionalUpdate, type ConditionalStore, type Versioned } from './conditionalUpdate';
import { fromUpstreamError, statusOf } from './upstreamError';

/**
 * JSON documents as block blobs in one container, reached with the app's managed identity (no account keys).
 * A blob upload replaces the whole blob atomically, so readers never see half a document; read-modify-writes are
 * conditional on the blob's ETag (If-Match, or If-None-Match: * for a new blob), so two instances on Flex
 * Consumption never lose each other's update.
 */
export class BlobStateStore implements StateStorePort, ConditionalStore {
    readonly #container: ContainerClient;

    constructor(containerUrl: string, credential: TokenCredential) {
        this.#container = new ContainerClient(containerUrl, credential);
    }

    async read<T>(key: string): Promise<T | undefined> {
        return (await this.readVersioned<T>(key)).value;
    }

    async write(key: string, value: unknown): Promise<void> {
        await this.#upload(key, value, {});
    }

    update<T>(key: string, change: (current: T | undefined) => T | typeof unchanged): Promise<T | undefined> {
        return conditionalUpdate(this, key, change);
    }

    async readVersioned<T>(key: string): Promise<Versioned<T>> {
        try {
            const response = await this.#container.getBlockBlobClient(stateDocumentName(key)).download(0);
            const text = await textOf(response.readableStreamBody);
            return { value: JSON.parse(text) as T, version: response.etag };
        } catch (error) {
            if (statusOf(error) === 404) return { value: undefined, version: undefined };
            throw fromUpstreamError('storage', 'read state blob', error);
        }
    }

    async writeIf(key: string, value: unknown, version: string | undefined): Promise<boolean> {
        try {
            await this.#upload(key, value, version === undefined ? { ifNoneMatch: '*' } : { ifMatch: version });
            return true;
        } catch (error) {
            // 412 ConditionNotMet (ETag moved); 409 BlobAlreadyExists (If-None-Match: * and someone created it).
            const status = statusOf((error as { cause?: unknown }).cause);
            if (status === 412 || status === 409) return false;
            throw error;
        }
    }

    async #upload(key: string, value: unknown, conditions: { ifMatch?: string; ifNoneMatch?: string }): Promise<void> {
        const body = JSON.stringify(value);
        try {
            await this.#container.getBlockBlobClient(stateDocumentName(key)).upload(body, Buffer.byteLength(body), {
                blobHTTPHeaders: { blobContentType: 'application/json' },
                conditions,
            });
        } catch (error) {
            throw fromUpstreamError('storage', 'write state blob', error);
        }
    }
}

async function textOf(stream: NodeJS.ReadableStream | undefined): Promise<string> {
    if (!stream) return '';
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    return Buffer.concat(chunks).toString('utf8');
}
