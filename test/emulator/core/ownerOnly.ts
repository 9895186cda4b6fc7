import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';

/**
 * Files that hold secrets (the emulator's Key Vault values, the app's local.settings.json with its client secret)
 * are owner-only, as a secret store would keep them: 0600 files in 0700 folders. `mode` on write applies only when
 * a file is created, so an older, wider file is narrowed too; the write goes through a temporary file and a rename.
 */
export function ensurePrivateDir(path: string): void {
    mkdirSync(path, { recursive: true, mode: 0o700 });
    chmodSync(path, 0o700);
}

export function writePrivateFile(path: string, text: string): void {
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, text, { mode: 0o600 });
    chmodSync(temporary, 0o600);
    renameSync(temporary, path);
}
