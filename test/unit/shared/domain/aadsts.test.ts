import { AuthenticationRequiredError } from '@azure/identity';
import { ServerError } from '@azure/msal-node';
import { describe, expect, it } from 'vitest';

import {
    type AadstsCategory,
    classifyAadsts,
    extractAadstsCodes,
    hasAadstsCode,
    type TokenErrorLike,
} from '../../../../shared/domain/aadsts';

const APP_ID = '00000000-0000-0000-0000-000000000000';
const TENANT = '11111111-1111-1111-1111-111111111111';
const TRACE = '1ac2a64a-8e1a-4c5b-9a41-2b6f6c1d0e00';
const CORRELATION = 'da2dd6b7-3c1e-4f0a-8b7d-4e2f1a9c5b00';
const TIMESTAMP = '2022-08-02 12:02:24Z';

/** Token-endpoint error body exactly as Entra sends it (api-fidelity §2.3). */
function tokenErrorBody(code: number, error: string, text: string, status: number) {
    return {
        status,
        error,
        error_description: `AADSTS${code}: ${text}\r\nTrace ID: ${TRACE}\r\nCorrelation ID: ${CORRELATION}\r\nTimestamp: ${TIMESTAMP}`,
        error_codes: [code],
        timestamp: TIMESTAMP,
        trace_id: TRACE,
        correlation_id: CORRELATION,
        error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    };
}

/** The ServerError msal-node builds from that body (msal-common ResponseHandler.validateTokenResponse). */
function msalServerError(body: ReturnType<typeof tokenErrorBody>): ServerError {
    const message = `Error(s): ${body.error_codes.join(',')} - Timestamp: ${body.timestamp} - Description: ${body.error_description} - Correlation ID: ${body.correlation_id} - Trace ID: ${body.trace_id}`;
    return new ServerError(
        body.error,
        body.correlation_id,
        message,
        '',
        body.error_codes[0] as unknown as string, // msal passes the JSON number through
        body.status,
    );
}

/** What @azure/identity's ClientSecretCredential throws for the same failure: only the message survives. */
function identityError(body: ReturnType<typeof tokenErrorBody>): AuthenticationRequiredError {
    return new AuthenticationRequiredError({
        scopes: ['https://graph.microsoft.com/.default'],
        message: msalServerError(body).message,
    });
}

const INVALID_SECRET = tokenErrorBody(
    7000215,
    'invalid_client',
    `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${APP_ID}'.`,
    401,
);

interface MappedCase {
    readonly body: ReturnType<typeof tokenErrorBody>;
    readonly category: AadstsCategory;
    readonly retryable: boolean;
    readonly authFailure: boolean;
    readonly mayBePropagationDelay: boolean;
}

const MAPPED: readonly MappedCase[] = [
    {
        body: INVALID_SECRET,
        category: 'invalid_secret',
        retryable: false,
        authFailure: true,
        mayBePropagationDelay: true,
    },
    {
        body: tokenErrorBody(
            7000222,
            'invalid_client',
            `The provided client secret keys for app '${APP_ID}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
            401,
        ),
        category: 'expired_secret',
        retryable: false,
        authFailure: true,
        mayBePropagationDelay: false,
    },
    {
        body: tokenErrorBody(
            700016,
            'unauthorized_client',
            `Application with identifier '${APP_ID}' was not found in the directory '${TENANT}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
            400,
        ),
        category: 'app_not_found',
        retryable: false,
        authFailure: true,
        mayBePropagationDelay: true,
    },
    {
        body: tokenErrorBody(7000112, 'unauthorized_client', `Application '${APP_ID}'(rotated-app) is disabled.`, 400),
        category: 'app_disabled',
        retryable: false,
        authFailure: true,
        mayBePropagationDelay: false,
    },
    {
        body: tokenErrorBody(
            700027,
            'invalid_client',
            "Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by client: 'A1B2C3', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '00000000-0000-0000-0000-000000000000'.]",
            401,
        ),
        category: 'bad_assertion',
        retryable: false,
        authFailure: true,
        mayBePropagationDelay: false,
    },
    {
        body: tokenErrorBody(
            90002,
            'invalid_request',
            `Tenant '${TENANT}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
            400,
        ),
        category: 'tenant_not_found',
        retryable: false,
        authFailure: true,
        mayBePropagationDelay: false,
    },
    {
        body: tokenErrorBody(
            1002012,
            'invalid_scope',
            'The provided value for scope https://graph.microsoft.com is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).',
            400,
        ),
        category: 'invalid_scope',
        retryable: false,
        authFailure: true,
        mayBePropagationDelay: false,
    },
    {
        body: tokenErrorBody(70002, 'invalid_client', 'Error validating the credentials.', 401),
        category: 'invalid_secret',
        retryable: false,
        authFailure: true,
        mayBePropagationDelay: false,
    },
    {
        body: tokenErrorBody(700024, 'invalid_client', 'Client assertion is not within its valid time range.', 400),
        category: 'bad_assertion',
        retryable: false,
        authFailure: true,
        mayBePropagationDelay: false,
    },
    {
        body: tokenErrorBody(
            70011,
            'invalid_scope',
            "The provided value for the input parameter 'scope' isn't valid.",
            400,
        ),
        category: 'invalid_scope',
        retryable: false,
        authFailure: true,
        mayBePropagationDelay: false,
    },
    {
        body: tokenErrorBody(90055, 'temporarily_unavailable', 'The request has been throttled.', 400),
        category: 'throttled',
        retryable: true,
        authFailure: false,
        mayBePropagationDelay: false,
    },
    {
        body: tokenErrorBody(
            50196,
            'invalid_request',
            'The server terminated an operation because it encountered a client request loop.',
            400,
        ),
        category: 'throttled',
        retryable: true,
        authFailure: false,
        mayBePropagationDelay: false,
    },
];

describe('classifyAadsts: every mapped code in every shape it reaches us', () => {
    const shapes: readonly [string, (body: ReturnType<typeof tokenErrorBody>) => TokenErrorLike | string][] = [
        ['the raw token-endpoint body', (body) => body],
        ['error_codes only', (body) => ({ error_codes: body.error_codes })],
        ['error_codes as strings', (body) => ({ error_codes: body.error_codes.map(String) })],
        ['error_description only', (body) => ({ error_description: body.error_description })],
        ['msal-node ServerError', (body) => msalServerError(body)],
        ['@azure/identity AuthenticationRequiredError', (body) => identityError(body)],
        ['the identity message as a string', (body) => identityError(body).message],
        ['lower-case text', (body) => body.error_description.toLowerCase()],
    ];

    for (const c of MAPPED) {
        const code = c.body.error_codes[0] ?? 0;
        it.each(shapes)(`AADSTS${code} → ${c.category} from %s`, (_shape, make) => {
            const result = classifyAadsts(make(c.body));
            expect(result.category).toBe(c.category);
            expect(result.code).toBe(code);
            expect(result.codes).toContain(code);
            expect(result.retryable).toBe(c.retryable);
            expect(result.authFailure).toBe(c.authFailure);
            expect(result.mayBePropagationDelay).toBe(c.mayBePropagationDelay);
            expect(result.hint.length).toBeGreaterThan(0);
        });
    }
});

describe('classifyAadsts: the real shapes', () => {
    it('msal-node ServerError carries errorNo, status and the "Error(s): … - Description: AADSTS…:" message', () => {
        const error = msalServerError(INVALID_SECRET);
        expect(error.errorCode).toBe('invalid_client');
        expect(error.status).toBe(401);
        expect(
            error.errorMessage.startsWith(
                'Error(s): 7000215 - Timestamp: 2022-08-02 12:02:24Z - Description: AADSTS7000215: ',
            ),
        ).toBe(true);
        expect(classifyAadsts(error)).toMatchObject({ category: 'invalid_secret', codes: [7000215], code: 7000215 });
    });

    it('identity surfaces "invalid_client: Error(s): 7000215 - …" and nothing else', () => {
        const error = identityError(INVALID_SECRET);
        expect(error.message.startsWith('invalid_client: Error(s): 7000215 - ')).toBe(true);
        expect(classifyAadsts(error)).toMatchObject({ category: 'invalid_secret', authFailure: true });
    });

    it('the msal "Error(s):" list alone is enough, including several codes', () => {
        expect(extractAadstsCodes('Error(s): 7000215,50000 - Timestamp: x')).toEqual([7000215, 50000]);
        expect(extractAadstsCodes('Error(s): 7000222, 50000 - Timestamp: x')).toEqual([7000222, 50000]);
        expect(classifyAadsts('invalid_client: Error(s): 7000222 - Timestamp: x').category).toBe('expired_secret');
    });

    it('collects every code once, in order, and the first mapped one decides', () => {
        const result = classifyAadsts({
            error_codes: [50000, 7000222],
            error_description: 'AADSTS50000: x. AADSTS7000215: y. AADSTS50000: z.',
        });
        expect(result.codes).toEqual([50000, 7000222, 7000215]);
        expect(result.code).toBe(7000222);
        expect(result.category).toBe('expired_secret');
    });
});

describe('the prefix trap: codes match exactly, never as a prefix', () => {
    it.each<[string, number, boolean]>([
        ['AADSTS1000901: The provided certificate cannot be used', 1000901, true],
        ['AADSTS10009010: a longer, different code', 1000901, false],
        ['AADSTS100090: a shorter, different code', 1000901, false],
        ['AADSTS1000901 without a colon', 1000901, false],
        ['AADSTS01000901: leading zero is a different text code', 1000901, false],
        ['aadsts1000901: lower case', 1000901, true],
        ['XAADSTS1000901: glued to a word', 1000901, false],
        ['failed: AADSTS7000215: bad secret', 7000215, true],
        ['failed: AADSTS70002150: other', 7000215, false],
        ['Trace ID: 7000215: not an AADSTS code', 7000215, false],
    ])('hasAadstsCode(%j, %i) is %s', (text, code, expected) => {
        expect(hasAadstsCode(text, code)).toBe(expected);
    });

    it.each<[string, TokenErrorLike | string]>([
        ['text', 'AADSTS70002150: Some future error.'],
        ['description', { error: 'invalid_client', error_description: 'AADSTS70002150: Some future error.' }],
        ['error_codes', { error_codes: [70002150] }],
        ['msal list', 'invalid_client: Error(s): 70002150 - Timestamp: x - Description: AADSTS70002150: y'],
        ['no colon', 'AADSTS7000215 mentioned in prose'],
        ['error_uri only', 'see https://login.microsoftonline.com/error?code=7000215'],
    ])('70002150 (or an uncoloned mention) is never 7000215: %s', (_name, input) => {
        const result = classifyAadsts(input);
        expect(result.category).not.toBe('invalid_secret');
        expect(result.codes).not.toContain(7000215);
    });
});

describe('classifyAadsts: service health, not credentials', () => {
    it.each<[string, TokenErrorLike | string]>([
        ['HTTP 429', { status: 429 }],
        ['HTTP 429 with an unmapped code', { status: 429, error_codes: [50000] }],
    ])('%s → throttled and retryable', (_name, input) => {
        expect(classifyAadsts(input)).toMatchObject({ category: 'throttled', retryable: true, authFailure: false });
    });

    it.each<[string, TokenErrorLike | string]>([
        ['HTTP 503', { status: 503 }],
        ['HTTP 500', { status: 500, error: 'server_error' }],
        ['HTTP 408', { status: 408 }],
        ['temporarily_unavailable without a status', { error: 'temporarily_unavailable' }],
        ['server_error without a status', { error: 'server_error' }],
        ['msal ServerError errorCode', new ServerError('temporarily_unavailable', CORRELATION, 'Error(s): 50000 - x')],
        [
            'msal ServerError with status 503',
            new ServerError('', CORRELATION, 'Service Unavailable', '', undefined, 503),
        ],
        ['identity message', 'temporarily_unavailable: Error(s): 50000 - Timestamp: x'],
        ['no HTTP answer at all', { networkError: true }],
    ])('%s → transient and retryable', (_name, input) => {
        const result = classifyAadsts(input);
        expect(result.category).toBe('transient');
        expect(result.retryable).toBe(true);
        expect(result.authFailure).toBe(false);
    });

    it('a mapped credential code wins over a 5xx status: the answer is about the credential', () => {
        expect(classifyAadsts({ ...INVALID_SECRET, status: 500 }).category).toBe('invalid_secret');
    });

    it('auth failure and service-down are told apart', () => {
        const auth = classifyAadsts(INVALID_SECRET);
        const down = classifyAadsts({ status: 503, error: 'temporarily_unavailable' });
        expect([auth.authFailure, auth.retryable]).toEqual([true, false]);
        expect([down.authFailure, down.retryable]).toEqual([false, true]);
    });
});

describe('classifyAadsts: unknown', () => {
    it.each<[string, TokenErrorLike | string]>([
        ['an unmapped code with 400', { status: 400, error: 'invalid_request', error_codes: [50000] }],
        ['an unmapped 401 invalid_client', { status: 401, error: 'invalid_client' }],
        ['an empty object', {}],
        ['an empty string', ''],
        ['prose', 'something went wrong'],
        ['a capitalised word before a colon', 'Error: something'],
    ])('%s', (_name, input) => {
        const result = classifyAadsts(input);
        expect(result).toMatchObject({ category: 'unknown', retryable: false, authFailure: false, code: undefined });
        expect(result.mayBePropagationDelay).toBe(false);
    });

    it('still reports the codes it found', () => {
        expect(classifyAadsts('AADSTS50000: There was an error issuing a token.').codes).toEqual([50000]);
    });
});

describe('extractAadstsCodes', () => {
    it.each<[string, TokenErrorLike | string, number[]]>([
        ['numbers and numeric strings', { error_codes: [7000215, ' 50000 '] }, [7000215, 50000]],
        ['ignores junk entries', { error_codes: ['abc', '', '12x', -5, 0, 1.5] }, []],
        ['errorNo as a string', { errorNo: '700016' }, [700016]],
        ['errorNo as a number', { errorNo: 700016 }, [700016]],
        ['deduplicates across fields', { error_codes: [90002], errorNo: '90002', message: 'AADSTS90002: x' }, [90002]],
        ['several text codes', 'AADSTS7000215: a AADSTS7000222: b', [7000215, 7000222]],
        ['nothing', 'no codes here', []],
    ])('%s', (_name, input, expected) => {
        expect(extractAadstsCodes(input)).toEqual(expected);
    });
});
