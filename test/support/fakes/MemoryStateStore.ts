import { conditionalUpdate, type ConditionalStore, type Versioned } from '../../../shared/adapters/conditionalUpdate';
import { type StateStorePort, type unchanged } from '../../../shared/scan/ports';

/**
 * In-memory state store with what a real store has: an async gap between read and write (so interleaved
 * read-modify-writes would lose updates) and a version per document for the conditional writes (the ETag).
 */
export class MemoryStateStore implements StateStorePort, ConditionalStore {
    readonly docs = new Map<string, { text: string; version: number }>();
    failWrites = false;
    /** Conditional writes that lost to a concurrent writer (and were retried). */
    conflicts = 0;
    #versions = 0;

    async read<T>(key: string): Promise<T | undefined> {
        return (await this.readVersioned<T>(key)).value;
    }

    async write(key: string, value: unknown): Promise<void> {
        await gap();
        if (this.failWrites) throw new Error('store down');
        this.docs.set(key, { text: JSON.stringify(value), version: ++this.#versions });
    }

    update<T>(key: string, change: (current: T | undefined) => T | typeof unchanged): Promise<T | undefined> {
        return conditionalUpdate(this, key, change);
    }

    /** The stored text of a document (undefined when absent): to assert that nothing changed. */
    peekRaw(key: string): string | undefined {
        return this.docs.get(key)?.text;
    }

    async readVersioned<T>(key: string): Promise<Versioned<T>> {
        await gap();
        const doc = this.docs.get(key);
        return doc
            ? { value: JSON.parse(doc.text) as T, version: String(doc.version) }
            : { value: undefined, version: undefined };
    }

    async writeIf(key: string, value: unknown, version: string | undefined): Promise<boolean> {
        await gap();
        if (this.failWrites) throw new Error('store down');
        const doc = this.docs.get(key);
        if ((doc ? String(doc.version) : undefined) !== version) {
            this.conflicts += 1;
            return false;
        }
        this.docs.set(key, { text: JSON.stringify(value), version: ++this.#versions });
        return true;
    }
}

const gap = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.random() * 2));
