/**
 * ASP.NET-style route templates as the Functions host accepts them: literal segments (case-insensitive),
 * `{name}`, optional `{name?}`, constrained `{name:int}` / `{name:int?}`, and a catch-all `{*rest}`.
 */
interface Segment {
    literal?: string;
    param?: string;
    optional?: boolean;
    catchAll?: boolean;
    constraint?: string;
}

export interface RouteTemplate {
    segments: Segment[];
    source: string;
}

const CONSTRAINTS: Record<string, RegExp> = {
    int: /^-?\d+$/,
    long: /^-?\d+$/,
    bool: /^(true|false)$/i,
    alpha: /^[a-z]+$/i,
    guid: /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i,
    double: /^-?\d+(\.\d+)?$/,
};

export function parseRoute(template: string): RouteTemplate {
    const segments = template
        .split('/')
        .filter((s) => s.length > 0)
        .map((raw): Segment => {
            const m = /^\{(\*)?([A-Za-z0-9_]+)(?::([A-Za-z]+)(?:\([^)]*\))?)?(\?)?\}$/.exec(raw);
            if (!m) return { literal: raw.toLowerCase() };
            return { param: m[2], catchAll: m[1] === '*', constraint: m[3]?.toLowerCase(), optional: m[4] === '?' };
        });
    return { segments, source: template };
}

/** Route parameters when `path` (segments after the route prefix) matches, else undefined. */
export function matchRoute(route: RouteTemplate, path: string[]): Record<string, string> | undefined {
    const params: Record<string, string> = {};
    for (let i = 0; i < route.segments.length; i++) {
        const seg = route.segments[i] as Segment;
        const value = path[i];
        if (seg.catchAll && seg.param) {
            if (path.length > i) params[seg.param] = path.slice(i).join('/');
            return params;
        }
        if (value === undefined) {
            const restOptional = route.segments.slice(i).every((s) => s.optional || s.catchAll);
            return restOptional ? params : undefined;
        }
        if (seg.literal !== undefined) {
            if (seg.literal !== value.toLowerCase()) return undefined;
            continue;
        }
        const rule = seg.constraint ? CONSTRAINTS[seg.constraint] : undefined;
        if (rule && !rule.test(value)) return undefined;
        params[seg.param as string] = value;
    }
    return path.length === route.segments.length ? params : undefined;
}

/** Literal segments first, then more segments: a rough version of ASP.NET's route precedence. */
export function routePrecedence(route: RouteTemplate): number {
    return route.segments.reduce((score, s) => score + (s.literal !== undefined ? 100 : s.catchAll ? 1 : 10), 0);
}
