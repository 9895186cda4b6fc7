import { type TokenCredential } from '@azure/identity';
import { BlobClient } from '@azure/storage-blob';

import { statusOf } from './upstreamError';

/**
 * Reads a small text blob with the app's identity (Storage Blob Data Reader or better on it). Shared keys and
 * anonymous access are disabled on the deployed account, so an anonymous fetch of a private blob is refused.
 */
export async function readBlobText(url: string, credential: TokenCredential): Promise<string> {
    try {
        return (await new BlobClient(url, credential).downloadToBuffer()).toString('utf8');
    } catch (error) {
        throw new Error(`blob answered ${statusOf(error) ?? 'no response'}`);
    }
}
