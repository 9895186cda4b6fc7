import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { type StateStorePort } from '../scan/ports';
import { stateDocumentName } from '../scan/stateKey';

/**
 * JSON documents in a directory: for the local host and the sandbox. Writes go to a temporary file that is
 * renamed over the target, so a crash never leaves half a document.
 */
export class FileStateStore implements StateStorePort {
    constructor(private readonly directory: string) {}

    async read<T>(key: string): Promise<T | undefined> {
        try {
            return JSON.parse(await readFile(this.pathOf(key), 'utf8')) as T;
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
            throw error;
        }
    }

    async write(key: string, value: unknown): Promise<void> {
        const path = this.pathOf(key);
        await mkdir(join(path, '..'), { recursive: true });
        // Unique per write: two writes in the same millisecond must not share (and steal) a temporary file.
        const temp = `${path}.${process.pid}.${randomUUID()}.tmp`;
        await writeFile(temp, JSON.stringify(value), 'utf8');
        await rename(temp, path);
    }

    private pathOf(key: string): string {
        return join(this.directory, stateDocumentName(key));
    }
}
