import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { FileStateStore } from '../../../shared/adapters/fileStateStore';
import { unchanged } from '../../../shared/scan/ports';

describe('FileStateStore', () => {
    const dirs: string[] = [];
    const store = (): FileStateStore => {
        const dir = mkdtempSync(join(tmpdir(), 'state-store-'));
        dirs.push(dir);
        return new FileStateStore(dir);
    };
    afterEach(() => {
        for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    });

    it('round-trips a document and answers undefined for a missing key', async () => {
        const s = store();
        expect(await s.read('events/processed')).toBeUndefined();
        await s.write('events/processed', ['a', 'b']);
        expect(await s.read('events/processed')).toEqual(['a', 'b']);
    });

    it('conditional updates from two store instances (two processes) never lose an append; unchanged writes nothing', async () => {
        const a = store();
        const b = new FileStateStore(dirs[0]!);
        await Promise.all(
            Array.from({ length: 16 }, (_, i) =>
                (i % 2 ? a : b).update<string[]>('events/processed', (ids = []) => [...ids, `e${i}`]),
            ),
        );
        const ids = (await a.read<string[]>('events/processed')) ?? [];
        expect(new Set(ids).size).toBe(16);
        const before = await a.readVersioned('events/processed');
        expect(await a.update('events/processed', () => unchanged)).toEqual(ids);
        expect((await a.readVersioned('events/processed')).version).toBe(before.version);
        expect(readdirSync(dirs[0]!, { recursive: true }).filter((f) => String(f).endsWith('.lock'))).toEqual([]);
    });

    it('many concurrent writes of one key all succeed and leave one whole document, no temporary files', async () => {
        const s = store();
        const writes = Array.from({ length: 50 }, (_, i) => s.write('events/processed', { i }));
        await expect(Promise.all(writes)).resolves.toHaveLength(50);
        const doc = await s.read<{ i: number }>('events/processed');
        expect(typeof doc?.i).toBe('number');
        expect(readdirSync(join(dirs[0]!, 'events'))).toEqual(['processed.json']);
    });

    it('refuses keys that could escape its folder', async () => {
        const s = store();
        await expect(s.write('../outside', 1)).rejects.toThrow(/invalid state key/);
        await expect(s.read('a//b')).rejects.toThrow(/invalid state key/);
    });
});
