import { describe, expect, it } from 'vitest';

import { GraphError } from './graph/errors';
import { parseFilter, rowOf } from './graph/filter';

const supported = new Set(['appid', 'displayname', 'createddatetime', 'signineventtypes', 'status/errorcode']);
const row = rowOf({
    appId: 'ABC',
    displayName: "O'Brien app",
    createdDateTime: '2026-10-05T10:00:00.000Z',
    signInEventTypes: ['servicePrincipal'],
    status: { errorCode: 7000215 },
});
const evaluate = (filter: string) => parseFilter(filter, supported, 'SignIn')(row);

describe('OData $filter subset (api-fidelity §1.4, §1.8)', () => {
    it('eq is case-insensitive on strings, with doubled quotes as escapes', () => {
        expect(evaluate("appId eq 'abc'")).toBe(true);
        expect(evaluate("displayName eq 'O''Brien app'")).toBe(true);
        expect(evaluate("appId ne 'abc'")).toBe(false);
    });

    it('startswith, any() lambdas, and/or/not and parentheses', () => {
        expect(evaluate("startswith(displayName,'o''b')")).toBe(true);
        expect(evaluate("signInEventTypes/any(t: t eq 'servicePrincipal') and status/errorCode eq 7000215")).toBe(true);
        expect(evaluate("signInEventTypes/any(t: t eq 'interactiveUser') or (appId eq 'x')")).toBe(false);
        expect(evaluate("not (appId eq 'x')")).toBe(true);
    });

    it('bare DateTimeOffset literals compare as instants', () => {
        expect(evaluate('createdDateTime ge 2026-10-05T10:00:00Z')).toBe(true);
        expect(evaluate('createdDateTime gt 2026-10-05T10:00:00Z')).toBe(false);
        expect(evaluate('createdDateTime lt 2026-10-05T10:00:01+00:00')).toBe(true);
    });

    it('unsupported properties and malformed clauses → 400 Request_UnsupportedQuery', () => {
        const attempt = (filter: string) => () => parseFilter(filter, supported, 'Application');
        expect(attempt("notes eq 'x'")).toThrow(GraphError);
        expect(attempt("appId eq 'x")).toThrow(/Unterminated/);
        expect(attempt("appId eq 'x' extra")).toThrow(GraphError);
        try {
            attempt("notes eq 'x'")();
        } catch (error) {
            expect(error).toMatchObject({ status: 400, code: 'Request_UnsupportedQuery' });
        }
    });
});
