/**
 * Just enough Bicep lexing to check the infra as text: no Bicep compiler runs on these machines. Handles comments,
 * single-quoted strings with escapes, `${...}` interpolation (which may nest strings) and `'''` multi-line strings.
 */

export interface SourceFile {
    readonly path: string;
    readonly text: string;
}

export interface Property {
    readonly key: string;
    /** The rest of the line after `key:`, trimmed. */
    readonly value: string;
    readonly line: number;
}

type Mode = { kind: 'string' } | { kind: 'code'; braces: number; interpolation: boolean };

/** Removes `//` and `/* *\/` comments, keeping strings (even ones containing `//`) and line numbers intact. */
export function stripBicepComments(text: string): string {
    let out = '';
    const stack: Mode[] = [{ kind: 'code', braces: 0, interpolation: false }];
    let i = 0;
    while (i < text.length) {
        const top = stack[stack.length - 1]!;
        const ch = text[i]!;
        if (top.kind === 'string') {
            if (ch === '\\') {
                out += text.slice(i, i + 2);
                i += 2;
                continue;
            }
            if (text.startsWith('${', i)) {
                stack.push({ kind: 'code', braces: 0, interpolation: true });
                out += '${';
                i += 2;
                continue;
            }
            if (ch === "'") stack.pop();
            out += ch;
            i += 1;
            continue;
        }
        if (text.startsWith('//', i)) {
            const end = text.indexOf('\n', i);
            i = end === -1 ? text.length : end;
            continue;
        }
        if (text.startsWith('/*', i)) {
            const end = text.indexOf('*/', i + 2);
            const comment = text.slice(i, end === -1 ? text.length : end + 2);
            out += comment.replace(/[^\n]/g, ''); // keep line numbers
            i += comment.length;
            continue;
        }
        if (text.startsWith("'''", i)) {
            const end = text.indexOf("'''", i + 3);
            const literal = text.slice(i, end === -1 ? text.length : end + 3);
            out += literal;
            i += literal.length;
            continue;
        }
        if (ch === "'") stack.push({ kind: 'string' });
        else if (ch === '{') top.braces += 1;
        else if (ch === '}') {
            if (top.interpolation && top.braces === 0) stack.pop();
            else top.braces -= 1;
        }
        out += ch;
        i += 1;
    }
    return out;
}

const PROPERTY = /^\s*(?:'([^']+)'|([A-Za-z_][A-Za-z0-9_]*))\s*:\s*(.*?)\s*$/;

/** Object properties written one per line (`key: value` or `'key': value`), comments ignored. */
export function bicepProperties(text: string): Property[] {
    const properties: Property[] = [];
    stripBicepComments(text)
        .split('\n')
        .forEach((lineText, index) => {
            const m = PROPERTY.exec(lineText);
            if (m) properties.push({ key: (m[1] ?? m[2])!, value: m[3]!, line: index + 1 });
        });
    return properties;
}

/** The text between the `{` at `open` and its matching `}` (exclusive); braces inside interpolations balance. */
export function blockAt(text: string, open: number): string {
    let depth = 0;
    for (let i = open; i < text.length; i += 1) {
        if (text[i] === '{') depth += 1;
        else if (text[i] === '}') {
            depth -= 1;
            if (depth === 0) return text.slice(open + 1, i);
        }
    }
    throw new Error(`unbalanced braces from offset ${open}`);
}

/** Keys of the properties directly inside a block (not nested ones). */
export function topLevelKeys(block: string): string[] {
    const keys: string[] = [];
    let depth = 0;
    for (const lineText of block.split('\n')) {
        if (depth === 0) {
            const m = PROPERTY.exec(lineText);
            if (m) keys.push((m[1] ?? m[2])!);
        }
        for (const ch of lineText) {
            if (ch === '{' || ch === '[') depth += 1;
            else if (ch === '}' || ch === ']') depth -= 1;
        }
    }
    return keys;
}
