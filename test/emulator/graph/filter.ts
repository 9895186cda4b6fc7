import { GraphError } from './errors';

/**
 * A small OData `$filter` evaluator for what the product and tests send (api-fidelity §1.4, §1.8):
 * `prop eq|ne|ge|gt|le|lt literal`, `startswith(prop,'x')`, `coll/any(t: t eq 'x')`, `and`, `or`, `not`,
 * parentheses. Literals: 'strings' ('' escapes), numbers, true/false/null, bare ISO date-times.
 */
export type Row = (property: string) => unknown;
export type Predicate = (row: Row) => boolean;

type Token = { kind: 'str' | 'word' | 'punct'; text: string };

function tokenize(text: string): Token[] {
    const tokens: Token[] = [];
    let i = 0;
    while (i < text.length) {
        const ch = text[i] ?? '';
        if (/\s/.test(ch)) {
            i++;
        } else if (ch === "'") {
            let value = '';
            i++;
            for (;;) {
                if (i >= text.length) throw unsupported(`Unterminated string literal in filter: ${text}`);
                if (text[i] === "'" && text[i + 1] === "'") {
                    value += "'";
                    i += 2;
                } else if (text[i] === "'") {
                    i++;
                    break;
                } else {
                    value += text[i];
                    i++;
                }
            }
            tokens.push({ kind: 'str', text: value });
        } else if (/^\d{4}-\d{2}-\d{2}T/.test(text.slice(i))) {
            // Bare DateTimeOffset literal: its colons are not lambda separators.
            const match = /^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})?/.exec(text.slice(i));
            const word = match?.[0] ?? '';
            tokens.push({ kind: 'word', text: word });
            i += word.length;
        } else if ('(),:'.includes(ch)) {
            tokens.push({ kind: 'punct', text: ch });
            i++;
        } else {
            const match = /^[^\s(),:']+/.exec(text.slice(i));
            const word = match?.[0] ?? ch;
            tokens.push({ kind: 'word', text: word });
            i += word.length;
        }
    }
    return tokens;
}

function unsupported(message: string): GraphError {
    return new GraphError(400, 'Request_UnsupportedQuery', message);
}

const COMPARATORS = new Set(['eq', 'ne', 'ge', 'gt', 'le', 'lt']);

function compare(op: string, left: unknown, right: unknown): boolean {
    const normalize = (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : value);
    const a = normalize(left);
    const b = normalize(right);
    if (op === 'eq') return a === b;
    if (op === 'ne') return a !== b;
    if (a === null || a === undefined || b === null || b === undefined) return false;
    const [x, y] =
        typeof a === 'string' && typeof b === 'string' && !isNaN(Date.parse(a)) && !isNaN(Date.parse(b))
            ? [Date.parse(a), Date.parse(b)]
            : [a, b];
    if (op === 'ge') return (x as number) >= (y as number);
    if (op === 'gt') return (x as number) > (y as number);
    if (op === 'le') return (x as number) <= (y as number);
    return (x as number) < (y as number);
}

/** Parses `$filter` against the properties a resource supports; anything else → 400 Request_UnsupportedQuery. */
export function parseFilter(text: string, supported: ReadonlySet<string>, resource: string): Predicate {
    const tokens = tokenize(text);
    let pos = 0;
    const peek = () => tokens[pos];
    const next = () => {
        const token = tokens[pos++];
        if (!token) throw unsupported(`Invalid filter clause: ${text}`);
        return token;
    };
    const expect = (punct: string) => {
        const token = next();
        if (token.text !== punct) throw unsupported(`Invalid filter clause: ${text}`);
    };
    const property = (): string => {
        const token = next();
        if (token.kind !== 'word') throw unsupported(`Invalid filter clause: ${text}`);
        if (!supported.has(token.text.toLowerCase())) {
            throw unsupported(
                `Unsupported or invalid query filter clause specified for property '${token.text}' of resource '${resource}'.`,
            );
        }
        return token.text;
    };
    const literal = (): unknown => {
        const token = next();
        if (token.kind === 'str') return token.text;
        if (token.text === 'true' || token.text === 'false') return token.text === 'true';
        if (token.text === 'null') return null;
        if (/^-?\d+(\.\d+)?$/.test(token.text)) return Number(token.text);
        if (!isNaN(Date.parse(token.text))) return new Date(token.text).toISOString();
        throw unsupported(`Invalid filter literal: ${token.text}`);
    };
    const primary = (): Predicate => {
        const token = peek();
        if (token?.text === '(') {
            next();
            const inner = orExpr();
            expect(')');
            return inner;
        }
        if (token?.text.toLowerCase() === 'not') {
            next();
            const inner = primary();
            return (row) => !inner(row);
        }
        if (token?.text.toLowerCase() === 'startswith') {
            next();
            expect('(');
            const prop = property();
            expect(',');
            const prefix = literal();
            expect(')');
            if (typeof prefix !== 'string') throw unsupported('startswith needs a string literal.');
            return (row) => {
                const value = row(prop);
                return typeof value === 'string' && value.toLowerCase().startsWith(prefix.toLowerCase());
            };
        }
        const any = /^([A-Za-z]+)\/any$/.exec(token?.text ?? '');
        if (any?.[1]) {
            next();
            const collection = any[1];
            if (!supported.has(collection.toLowerCase()))
                throw unsupported(`Unsupported filter on '${collection}' of resource '${resource}'.`);
            expect('(');
            const variable = next().text;
            expect(':');
            if (next().text !== variable) throw unsupported(`Invalid lambda in filter: ${text}`);
            const op = next().text.toLowerCase();
            if (!COMPARATORS.has(op)) throw unsupported(`Invalid operator ${op}`);
            const value = literal();
            expect(')');
            return (row) => {
                const items = row(collection);
                return Array.isArray(items) && items.some((item) => compare(op, item, value));
            };
        }
        const prop = property();
        const op = next().text.toLowerCase();
        if (!COMPARATORS.has(op)) throw unsupported(`Invalid operator ${op}`);
        const value = literal();
        return (row) => compare(op, row(prop), value);
    };
    const andExpr = (): Predicate => {
        let left = primary();
        while (peek()?.text.toLowerCase() === 'and') {
            next();
            const l = left;
            const r = primary();
            left = (row) => l(row) && r(row);
        }
        return left;
    };
    const orExpr = (): Predicate => {
        let left = andExpr();
        while (peek()?.text.toLowerCase() === 'or') {
            next();
            const l = left;
            const r = andExpr();
            left = (row) => l(row) || r(row);
        }
        return left;
    };
    const predicate = orExpr();
    if (pos !== tokens.length) throw unsupported(`Invalid filter clause: ${text}`);
    return predicate;
}

/** Reads a (possibly nested, `status/errorCode`) property from a plain object, case-insensitively. */
export function rowOf(object: Record<string, unknown>): Row {
    return (path) => {
        let current: unknown = object;
        for (const part of path.split('/')) {
            if (typeof current !== 'object' || current === null) return undefined;
            const record = current as Record<string, unknown>;
            const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === part.toLowerCase());
            current = key === undefined ? undefined : record[key];
        }
        return current;
    };
}
