/**
 * Stable error codes. The code is the contract: it leads every message (so it survives the Durable activity
 * boundary, which flattens errors to `Error(message)`), it is what tests assert, and what operators search for.
 */
export const ErrorCodes = {
    configInvalid: 'config_invalid',
    inputInvalid: 'input_invalid',
    notFound: 'not_found',
    notManaged: 'not_managed',
    appNotFound: 'app_not_found',
    credentialLimitReached: 'credential_limit_reached',
    lifetimePolicyViolation: 'lifetime_policy_violation',
    authFailed: 'auth_failed',
    forbidden: 'forbidden',
    throttled: 'throttled',
    unavailable: 'unavailable',
    conflict: 'conflict',
    /** The pending stash's name is held (live or soft-deleted) by a secret this rotator did not create. */
    stashNameTaken: 'stash_name_taken',
    verificationFailed: 'verification_failed',
    consumerRefreshFailed: 'consumer_refresh_failed',
    stillInUse: 'still_in_use',
    usageNotProven: 'usage_not_proven',
    noSwitchEvidence: 'no_switch_evidence',
    invariantViolated: 'invariant_violated',
    unknown: 'unknown',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

const ALL_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCodes));

export function isErrorCode(value: unknown): value is ErrorCode {
    return typeof value === 'string' && ALL_CODES.has(value);
}
