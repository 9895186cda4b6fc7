import { describe, expect, it } from 'vitest';

import { redactText, redactValue, scrubKnown } from '../../../../shared/security/redact';
import { REDACTED, Secret } from '../../../../shared/security/Secret';

const CANARY = 'CANARY-s3cr3t-value';
// A syntactically real JWT (header {"alg":"RS256","typ":"JWT"}); content is irrelevant to the redactor.
const JWT =
    'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJodHRwczovL2dyYXBoLm1pY3Jvc29mdC5jb20iLCJyb2xlcyI6W119.c2lnbmF0dXJlLXBhcnQ';

describe('redactText', () => {
    it.each<[string, string, string]>([
        ['a bare JWT', `token ${JWT} end`, `token ${REDACTED} end`],
        ['a JWT at the start', JWT, REDACTED],
        ['an unsigned JWT (empty signature)', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.', REDACTED],
        ['a Bearer header with a JWT', `Authorization: Bearer ${JWT}`, `Authorization: Bearer ${REDACTED}`],
        [
            'a Bearer header with an opaque token',
            'Authorization: Bearer abc.DEF-ghi~jkl',
            `Authorization: Bearer ${REDACTED}`,
        ],
        ['a lower-case bearer', 'authorization: bearer abc123', `authorization: bearer ${REDACTED}`],
        [
            'a Basic header with base64 padding',
            'Authorization: Basic dXNlcjpwYXNz==',
            `Authorization: Basic ${REDACTED}`,
        ],
        [
            'a SharedAccessSignature header',
            'SharedAccessSignature sr=https%3A%2F%2Ftopic&sig=abc%2Bdef&se=1700000000',
            `SharedAccessSignature ${REDACTED}&sig=${REDACTED}&se=1700000000`,
        ],
        [
            'client_secret in a token request body',
            `client_id=11111111-1111-1111-1111-111111111111&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&client_secret=${CANARY}&grant_type=client_credentials`,
            `client_id=11111111-1111-1111-1111-111111111111&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&client_secret=${REDACTED}&grant_type=client_credentials`,
        ],
        [
            'client_assertion in a token request body',
            `client_assertion_type=urn%3Aietf&client_assertion=${JWT}&grant_type=client_credentials`,
            `client_assertion_type=urn%3Aietf&client_assertion=${REDACTED}&grant_type=client_credentials`,
        ],
        [
            'password and sig query parameters',
            'password=hunter2&x=1 sig=abc',
            `password=${REDACTED}&x=1 sig=${REDACTED}`,
        ],
        ['an aeg-sas-key header value', 'aeg-sas-key=abcDEF123==', `aeg-sas-key=${REDACTED}`],
        [
            'secretText in a Graph addPassword response',
            `{"customKeyIdentifier":null,"keyId":"k1","secretText":"${CANARY}","hint":"CAN"}`,
            `{"customKeyIdentifier":null,"keyId":"k1","secretText":"${REDACTED}","hint":"CAN"}`,
        ],
        [
            'a Key Vault secret bundle value with escaped quotes',
            `{"value": "${CANARY}\\"x", "id":"https://kv.vault.azure.net/secrets/a/1"}`,
            `{"value":"${REDACTED}", "id":"https://kv.vault.azure.net/secrets/a/1"}`,
        ],
        [
            'an access_token in a token response',
            `{"token_type":"Bearer","expires_in":3599,"access_token":"${CANARY}"}`,
            `{"token_type":"Bearer","expires_in":3599,"access_token":"${REDACTED}"}`,
        ],
        ['JSON field names in any case', `{"ClientSecret":"${CANARY}"}`, `{"ClientSecret":"${REDACTED}"}`],
        [
            'every JSON field name redactValue treats as secret',
            ['secret', 'token', 'accessToken', 'apiKey', 'api_key', 'signingKey', 'client_assertion']
                .map((name) => `"${name}":"${CANARY}"`)
                .join(','),
            ['secret', 'token', 'accessToken', 'apiKey', 'api_key', 'signingKey', 'client_assertion']
                .map((name) => `"${name}":"${REDACTED}"`)
                .join(','),
        ],
    ])('redacts %s', (_name, input, expected) => {
        const output = redactText(input);
        expect(output).toBe(expected);
        expect(output).not.toContain(CANARY);
    });

    // Synthetic values in the shape Entra issues today; not real secrets.
    const ENTRA_SECRET = 'Ab1' + '8Q~' + 'xY2_zW3.vU4-tS5~rQ6pO7nM8lK9jI0hG1';
    it.each<[string, string, string]>([
        ['a bare Entra client secret', `new secret ${ENTRA_SECRET} stored`, `new secret ${REDACTED} stored`],
        ['one in quotes', `'${ENTRA_SECRET}'`, `'${REDACTED}'`],
        ['one with the 7Q~ marker', `x ${ENTRA_SECRET.replace('8Q~', '7Q~')}`, `x ${REDACTED}`],
    ])('redacts %s', (_name, input, expected) => {
        expect(redactText(input)).toBe(expected);
    });

    it('leaves Q~ inside a longer token alone (not the Entra shape)', () => {
        expect(ENTRA_SECRET).toHaveLength(40);
        const longer = `${ENTRA_SECRET}abcdefgh`;
        expect(redactText(longer)).toBe(longer);
    });

    it.each([
        'rotation 1234 for app 00000000-0000-0000-0000-000000000000 finished',
        'AADSTS7000215: Invalid client secret provided.',
        '{"keyId":"abc","hint":"Abc","endDateTime":"2026-01-01T00:00:00Z"}',
        'client_id=abc&grant_type=client_credentials',
        'eyJ alone is not a token',
    ])('leaves ordinary text alone: %s', (text) => {
        expect(redactText(text)).toBe(text);
    });

    it('is idempotent', () => {
        const once = redactText(`Bearer ${JWT} client_secret=${CANARY}`);
        expect(redactText(once)).toBe(once);
    });
});

describe('redactValue', () => {
    it('replaces Secret instances and secret-named string fields at any depth', () => {
        const input = {
            appId: 'app-1',
            clientSecret: CANARY,
            nested: { deeper: [{ secret: new Secret(CANARY) }, { password: CANARY }, new Secret(CANARY)] },
            headers: { Authorization: `Bearer ${CANARY}` },
            note: `sent client_secret=${CANARY}`,
            count: 3,
            ok: true,
            missing: null,
        };
        const output = redactValue(input);
        expect(output).toEqual({
            appId: 'app-1',
            clientSecret: REDACTED,
            nested: { deeper: [{ secret: REDACTED }, { password: REDACTED }, REDACTED] },
            headers: { Authorization: REDACTED },
            note: `sent client_secret=${REDACTED}`,
            count: 3,
            ok: true,
            missing: null,
        });
        expect(JSON.stringify(output)).not.toContain(CANARY);
    });

    it('does not modify its input', () => {
        const input = { token: CANARY, list: [CANARY] };
        redactValue(input);
        expect(input).toEqual({ token: CANARY, list: [CANARY] });
    });

    it('cuts cycles', () => {
        const a: Record<string, unknown> = { name: 'a' };
        const b: Record<string, unknown> = { name: 'b', a };
        a.b = b;
        a.self = a;
        const list: unknown[] = [a];
        list.push(list);
        expect(redactValue(a)).toEqual({ name: 'a', b: { name: 'b', a: '[Circular]' }, self: '[Circular]' });
        expect(redactValue(list)).toEqual([
            { name: 'a', b: { name: 'b', a: '[Circular]' }, self: '[Circular]' },
            '[Circular]',
        ]);
    });

    it('keeps an object that is shared (not circular) in every place it appears', () => {
        const shared = { keyId: 'k1', value: CANARY };
        expect(redactValue({ first: shared, second: shared, list: [shared, shared] })).toEqual({
            first: { keyId: 'k1', value: REDACTED },
            second: { keyId: 'k1', value: REDACTED },
            list: [
                { keyId: 'k1', value: REDACTED },
                { keyId: 'k1', value: REDACTED },
            ],
        });
    });

    it('reduces errors to name and redacted message', () => {
        const error = new TypeError(`request failed: Authorization: Bearer ${JWT}`);
        expect(redactValue({ error })).toEqual({
            error: { name: 'TypeError', message: `request failed: Authorization: Bearer ${REDACTED}` },
        });
    });

    it.each<[unknown]>([[undefined], [null], [42], [false], ['plain text']])('passes %j through', (value) => {
        expect(redactValue(value)).toBe(value);
    });
});

describe('scrubKnown', () => {
    it('removes every occurrence of each known secret', () => {
        const first = new Secret(CANARY);
        const second = new Secret('other-secret-value');
        const body = `echo ${CANARY} and ${CANARY}; also other-secret-value.`;
        expect(scrubKnown(body, [first, second])).toBe(`echo ${REDACTED} and ${REDACTED}; also ${REDACTED}.`);
    });

    it('leaves text without the secrets unchanged', () => {
        expect(scrubKnown('nothing to see', [new Secret(CANARY)])).toBe('nothing to see');
        expect(scrubKnown('nothing to see', [])).toBe('nothing to see');
    });

    it('ignores an empty value instead of splitting between every character', () => {
        expect(scrubKnown('abc', [{ reveal: () => '' }])).toBe('abc');
    });

    it('also removes the JSON-escaped, URI-encoded and form-encoded forms a response body may echo', () => {
        // Graph secrets use characters that every one of these encodings changes.
        const raw = 'a~b"c\\d [e]+f/g=h@i:j';
        const secret = new Secret(raw);
        const bodies = [
            JSON.stringify({ error: { message: `secret ${raw} rejected` } }),
            `client_id=x&client_secret=${encodeURIComponent(raw)}&grant_type=client_credentials`,
            new URLSearchParams({ echo: raw }).toString(),
            `raw: ${raw}`,
        ];
        for (const body of bodies) {
            const scrubbed = scrubKnown(body, [secret]);
            expect(scrubbed).toContain(REDACTED);
            expect(scrubbed).not.toContain('[e]');
            expect(scrubbed).not.toContain('%5Be%5D');
        }
    });

    it('treats regular-expression characters literally', () => {
        expect(scrubKnown('x a.b*c y', [new Secret('a.b*c')])).toBe(`x ${REDACTED} y`);
        expect(scrubKnown('x aXbbc y', [new Secret('a.b*c')])).toBe('x aXbbc y');
    });
});
