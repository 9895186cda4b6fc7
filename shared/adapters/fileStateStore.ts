import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { type StateStorePort, type unchanged } from '../scan/ports';
import { stateDocumentName } from '../scan/stateKey';
import { conditionalUpdate, type ConditionalStore, type Versioned } from './conditionalUpdate';

/** A lock older than this was left by a crashed writer. */
const STALE_LOCK_MS = 10_000;

/**
 * JSON documents in a directory: for the local host and the sandbox. Writes go to a temporary file that is
 * renamed over the target, so a crash never leaves half a document. Conditional writes compare a content hash
 * (the file analogue of a blob ETag) under an exclusive lock file, so they hold across processes too.
 */
export class FileStateStore implements StateStorePort, ConditionalStore {
    constructor(private readonly directory: string) {}

    async read<T>(key: string): Promise<T | undefined> {
        return (await this.readVersioned<T>(key)).value;
    }

    async write(key: string, value: unknown): Promise<void> {
        const path = this.pathOf(key);
        await mkdir(join(path, '..'), { recursive: true });
        await this.replace(path, value);
    }

    update<T>(key: string, change: (current: T | undefined) => T | typeof unchanged): Promise<T | undefined> {
        return conditionalUpdate(this, key, change);
    }

    async readVersioned<T>(key: string): Promise<Versioned<T>> {
        const text = await this.readText(this.pathOf(key));
        return text === undefined
            ? { value: undefined, version: undefined }
            : { value: JSON.parse(text) as T, version: hash(text) };
    }

    async writeIf(key: string, value: unknown, version: string | undefined): Promise<boolean> {
        const path = this.pathOf(key);
        await mkdir(join(path, '..'), { recursive: true });
        const release = await lock(`${path}.lock`);
        try {
            const text = await this.readText(path);
            if ((text === undefined ? undefined : hash(text)) !== version) return false;
            await this.replace(path, value);
            return true;
        } finally {
            await release();
        }
    }

    private async readText(path: string): Promise<string | undefined> {
        try {
            return await readFile(path, 'utf8');
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
            throw error;
        }
    }

    private async replace(path: string, value: unknown): Promise<void> {
        // Unique per write: two writes in the same millisecond must not share (and steal) a temporary file.
        const temp = `${path}.${process.pid}.${randomUUID()}.tmp`;
        await writeFile(temp, JSON.stringify(value), 'utf8');
        await rename(temp, path);
    }

    private pathOf(key: string): string {
        return join(this.directory, stateDocumentName(key));
    }
}

const hash = (text: string): string => createHash('sha256').update(text).digest('base64url');

async function lock(path: string): Promise<() => Promise<void>> {
    for (;;) {
        try {
            const handle = await open(path, 'wx');
            await handle.close();
            return () => rm(path, { force: true });
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
            const age = await stat(path).then(
                (s) => Date.now() - s.mtimeMs,
                () => 0,
            );
            if (age > STALE_LOCK_MS) await rm(path, { force: true });
            else await new Promise((resolve) => setTimeout(resolve, 2 + Math.random() * 5));
        }
    }
}
