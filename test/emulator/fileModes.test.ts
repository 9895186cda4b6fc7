import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { ensurePrivateDir, writePrivateFile } from './core/ownerOnly';
import { StateFile } from './core/persistence';

const mode = (path: string): number => statSync(path).mode & 0o777;

describe('files that hold secrets are owner-only', () => {
    const roots: string[] = [];
    afterEach(() => roots.splice(0).forEach((r) => rmSync(r, { recursive: true, force: true })));

    it("the emulator's state file (every Key Vault value) is 0600 in a 0700 folder, also over an older 0644 file", () => {
        const root = mkdtempSync(join(tmpdir(), 'modes-'));
        roots.push(root);
        const dir = join(root, 'emulator');
        ensurePrivateDir(dir);
        writeFileSync(join(dir, 'state.json'), '{}', { mode: 0o644 });
        new StateFile(dir, () => ({ version: 1 }) as never).flush();
        expect(mode(dir)).toBe(0o700);
        expect(mode(join(dir, 'state.json'))).toBe(0o600);
    });

    it('local.settings.json (the rotator client secret) is written 0600 even when it existed world-readable', () => {
        const root = mkdtempSync(join(tmpdir(), 'modes-'));
        roots.push(root);
        const file = join(root, 'local.settings.json');
        writeFileSync(file, '{}', { mode: 0o644 });
        writePrivateFile(file, JSON.stringify({ Values: { AZURE_CLIENT_SECRET: 'x' } }));
        expect(mode(file)).toBe(0o600);
    });
});
