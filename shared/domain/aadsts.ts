/**
 * Classifies Entra token-endpoint failures (seed 003).
 *
 * Codes are matched exactly: numerically from `error_codes`, or from text only when followed by a colon
 * (`AADSTS7000215:`), so `AADSTS10009010:` can never be mistaken for `AADSTS1000901`. The category decides
 * what the caller does: an *auth failure* means our credential or configuration is wrong (page a human, do
 * not cycle); throttled or transient mean the service is unhealthy (back off and retry).
 */
export type AadstsCategory =
    | 'invalid_secret'
    | 'expired_secret'
    | 'app_not_found'
    | 'app_disabled'
    | 'bad_assertion'
    | 'tenant_not_found'
    | 'invalid_scope'
    | 'throttled'
    | 'transient'
    | 'unknown';

export interface AadstsClassification {
    readonly category: AadstsCategory;
    /** Every AADSTS code found, in order. */
    readonly codes: readonly number[];
    /** The code that decided the category, when one did. */
    readonly code: number | undefined;
    /** Retrying the same request later can succeed. */
    readonly retryable: boolean;
    /** The credential or configuration is wrong: distinguishable from "service down" (seed 000). */
    readonly authFailure: boolean;
    /** Entra replicates new credentials and apps for seconds to minutes; this failure can mean "not yet". */
    readonly mayBePropagationDelay: boolean;
    readonly hint: string;
}

interface CodeRule {
    readonly category: Exclude<AadstsCategory, 'throttled' | 'transient' | 'unknown'> | 'throttled';
    readonly mayBePropagationDelay?: boolean;
    readonly hint: string;
}

const CODE_RULES: ReadonlyMap<number, CodeRule> = new Map<number, CodeRule>([
    [
        7000215,
        {
            category: 'invalid_secret',
            mayBePropagationDelay: true,
            hint: 'The client secret is wrong, was removed, or has not replicated yet; check the secret value (not its id).',
        },
    ],
    [
        70002,
        {
            category: 'invalid_secret',
            hint: 'Entra rejected the client credentials; check the secret value and the app id.',
        },
    ],
    [
        7000222,
        {
            category: 'expired_secret',
            hint: 'The client secret has expired; rotate it (the old value cannot be revived).',
        },
    ],
    [
        700016,
        {
            category: 'app_not_found',
            mayBePropagationDelay: true,
            hint: 'No application with this client id in the tenant; check the client id and the tenant.',
        },
    ],
    [
        7000112,
        {
            category: 'app_disabled',
            hint: "The application's service principal is disabled; an administrator must re-enable it.",
        },
    ],
    [
        700027,
        {
            category: 'bad_assertion',
            hint: 'The client assertion signature did not verify: the certificate is unknown to the app or expired.',
        },
    ],
    [
        700024,
        {
            category: 'bad_assertion',
            hint: 'The client assertion is outside its validity window; check the clock and the assertion lifetime.',
        },
    ],
    [
        90002,
        {
            category: 'tenant_not_found',
            hint: 'The tenant does not exist in this cloud; check the tenant id and the authority host.',
        },
    ],
    [
        1002012,
        {
            category: 'invalid_scope',
            hint: 'Client-credential requests need a single resource scope ending in /.default.',
        },
    ],
    [70011, { category: 'invalid_scope', hint: 'The scope is not valid for this request; use <resource>/.default.' }],
    [90055, { category: 'throttled', hint: 'Entra is throttling this tenant; back off.' }],
    [
        50196,
        {
            category: 'throttled',
            hint: 'Entra detected a request loop; cache tokens instead of requesting one per call.',
        },
    ],
]);

export interface TokenErrorLike {
    readonly status?: number;
    /** OAuth `error` (e.g. `invalid_client`). */
    readonly error?: string;
    /** msal's name for the OAuth `error` (`AuthError.errorCode`). */
    readonly errorCode?: string;
    readonly error_description?: string;
    readonly error_codes?: readonly (number | string)[];
    /** msal-node `ServerError.errorNo`. */
    readonly errorNo?: string | number;
    /** Any message text: msal's `errorMessage`, identity's error message. */
    readonly message?: string;
    /** No HTTP answer at all (DNS, TLS, connection reset, timeout). */
    readonly networkError?: boolean;
}

/** Text codes must be followed by a colon; anything else is a different (longer or shorter) code. */
const TEXT_CODE = /(?<![A-Za-z0-9])AADSTS(\d+):/gi;
/** msal-node's own rendering: "Error(s): 7000215, 50000 - Timestamp: …". */
const MSAL_CODES = /Error\(s\):\s*([\d,\s]+?)\s+-/;

export function extractAadstsCodes(input: TokenErrorLike | string): number[] {
    const source: TokenErrorLike = typeof input === 'string' ? { message: input } : input;
    const codes: number[] = [];
    const push = (value: number | string | undefined): void => {
        const n =
            typeof value === 'number' ? value : value !== undefined && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
        if (Number.isSafeInteger(n) && n > 0 && !codes.includes(n)) codes.push(n);
    };
    source.error_codes?.forEach(push);
    push(source.errorNo);
    for (const text of [source.error_description, source.message]) {
        if (!text) continue;
        for (const match of text.matchAll(TEXT_CODE)) push(match[1]);
        MSAL_CODES.exec(text)?.[1]
            ?.split(',')
            .forEach((part) => push(part));
    }
    return codes;
}

/** True when `text` carries exactly `AADSTS<code>:` (case-insensitive), never as a prefix of a longer code. */
export function hasAadstsCode(text: string, code: number): boolean {
    for (const match of text.matchAll(TEXT_CODE)) {
        // Compare digits, not numbers: `AADSTS01000901:` is not `AADSTS1000901:`.
        if (match[1] === String(code)) return true;
    }
    return false;
}

const TRANSIENT_ERRORS = new Set(['temporarily_unavailable', 'server_error', 'request_timeout']);
/** msal renders `<errorCode>: <errorMessage>`; @azure/identity keeps only that message. */
const MESSAGE_ERROR_PREFIX = /^([a-z_]+):\s/;

export function classifyAadsts(input: TokenErrorLike | string): AadstsClassification {
    const source: TokenErrorLike = typeof input === 'string' ? { message: input } : input;
    const codes = extractAadstsCodes(source);
    for (const code of codes) {
        const rule = CODE_RULES.get(code);
        if (rule) {
            const throttled = rule.category === 'throttled';
            return {
                category: rule.category,
                codes,
                code,
                retryable: throttled,
                authFailure: !throttled,
                mayBePropagationDelay: rule.mayBePropagationDelay ?? false,
                hint: rule.hint,
            };
        }
    }
    const status = source.status;
    const oauthError = source.error ?? source.errorCode ?? MESSAGE_ERROR_PREFIX.exec(source.message ?? '')?.[1];
    if (status === 429) {
        return result('throttled', codes, true, false, 'Entra answered 429; honour Retry-After and back off.');
    }
    if (status === 408 || (status !== undefined && status >= 500) || TRANSIENT_ERRORS.has(oauthError ?? '')) {
        return result('transient', codes, true, false, 'The token endpoint is unavailable; retry with backoff.');
    }
    if (source.networkError === true) {
        // No HTTP answer: the service is unreachable, which says nothing about our credential.
        return result('transient', codes, true, false, 'The token endpoint could not be reached; retry with backoff.');
    }
    return result(
        'unknown',
        codes,
        false,
        false,
        'Unrecognised token-endpoint error; see the AADSTS code in the logs.',
    );
}

function result(
    category: AadstsCategory,
    codes: readonly number[],
    retryable: boolean,
    authFailure: boolean,
    hint: string,
): AadstsClassification {
    return { category, codes, code: undefined, retryable, authFailure, mayBePropagationDelay: false, hint };
}
