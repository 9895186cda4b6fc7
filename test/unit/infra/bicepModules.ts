import { posix } from 'node:path';
import { blockAt, stripBicepComments, topLevelKeys, type SourceFile } from './bicepText';

/**
 * What a compiler would catch first, checked without one: registry references carry a pinned version, local
 * modules exist, and every local module call passes exactly the params the module declares (all required ones, no
 * unknown ones). Paths are repository-relative with forward slashes.
 */

export interface ModuleCall {
    readonly file: string;
    readonly symbol: string;
    readonly target: string;
    readonly params: readonly string[];
}

export interface ParamDeclaration {
    readonly name: string;
    readonly required: boolean;
}

const MODULE = /^module\s+(\w+)\s+'([^']+)'\s*=/gm;
const PARAM = /^param\s+(\w+)\s+([^=\n]+?)\s*(=.*)?$/gm;
const REGISTRY_REF = /'(br[:/][^']+)'/g;
const PINNED = /^br\/public:[a-z0-9./-]+:\d+\.\d+\.\d+(-[a-z0-9.]+)?$/;

export function moduleCalls(file: SourceFile): ModuleCall[] {
    const text = stripBicepComments(file.text);
    const calls: ModuleCall[] = [];
    for (const m of text.matchAll(MODULE)) {
        const open = text.indexOf('{', m.index + m[0].length);
        const body = blockAt(text, open);
        const paramsAt = /^\s*params\s*:\s*\{/m.exec(body);
        const params = paramsAt ? topLevelKeys(blockAt(body, paramsAt.index + paramsAt[0].length - 1)) : [];
        calls.push({ file: file.path, symbol: m[1]!, target: m[2]!, params });
    }
    return calls;
}

export function paramDeclarations(text: string): ParamDeclaration[] {
    return [...stripBicepComments(text).matchAll(PARAM)].map((m) => ({
        name: m[1]!,
        // A default value or a nullable type (`string?`) makes a param optional.
        required: m[3] === undefined && !m[2]!.trim().endsWith('?'),
    }));
}

/** The default value of a param as written (e.g. `'onKeyVaultEvent'` -> `onKeyVaultEvent`), if it has one. */
export function paramDefault(text: string, name: string): string | undefined {
    const m = [...stripBicepComments(text).matchAll(PARAM)].find((p) => p[1] === name);
    return m?.[3]?.replace(/^=\s*/, '').replace(/^'(.*)'$/, '$1');
}

/** Registry references (modules, extensions) that do not pin an exact version of the public registry. */
export function unpinnedRegistryReferences(file: SourceFile): string[] {
    return [...stripBicepComments(file.text).matchAll(REGISTRY_REF)]
        .map((m) => m[1]!)
        .filter((ref) => !PINNED.test(ref))
        .map((ref) => `${file.path}: '${ref}' must be br/public:<path>:<x.y.z>`);
}

/** Problems with local module calls: missing files, unknown params, missing required params. */
export function moduleWiringProblems(files: readonly SourceFile[]): string[] {
    const byPath = new Map(files.map((f) => [f.path, f]));
    const problems: string[] = [];
    for (const call of files.flatMap(moduleCalls)) {
        if (call.target.startsWith('br')) continue;
        const targetPath = posix.normalize(posix.join(posix.dirname(call.file), call.target));
        const target = byPath.get(targetPath);
        if (!target) {
            problems.push(`${call.file}: module ${call.symbol} points at missing ${targetPath}`);
            continue;
        }
        const declared = paramDeclarations(target.text);
        for (const p of call.params) {
            if (!declared.some((d) => d.name === p)) {
                problems.push(`${call.file}: module ${call.symbol} passes ${p}, which ${targetPath} does not declare`);
            }
        }
        for (const d of declared) {
            if (d.required && !call.params.includes(d.name)) {
                problems.push(`${call.file}: module ${call.symbol} omits required param ${d.name} of ${targetPath}`);
            }
        }
    }
    return problems;
}
