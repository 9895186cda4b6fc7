import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export interface SourceFile {
    readonly path: string;
    readonly text: string;
}

/** The repository root: vitest runs from it, and this file lives at test/unit/infra. */
export const repoRoot = join(__dirname, '..', '..', '..');

export function readRepoFile(path: string): SourceFile {
    return { path, text: readFileSync(join(repoRoot, path), 'utf8') };
}

export function repoFileExists(path: string): boolean {
    return existsSync(join(repoRoot, path));
}

/** Files under a repository folder whose names end with `suffix`, as repository-relative posix paths. */
export function repoFilesUnder(folder: string, suffix: string): SourceFile[] {
    return readdirSync(join(repoRoot, folder), { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile() && entry.name.endsWith(suffix))
        .map((entry) => relative(repoRoot, join(entry.parentPath, entry.name)).split(sep).join('/'))
        .sort()
        .map(readRepoFile);
}
