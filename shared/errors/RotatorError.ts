import { redactText } from '../security/redact';
import { type ErrorCode, ErrorCodes, isErrorCode } from './errorCodes';

/**
 * config    — a setting is missing or invalid: fix the deployment, retrying will not help.
 * input     — a request or activity input failed validation.
 * policy    — the tenant or our policy forbids the operation (lifetime, credential count, not managed).
 * auth      — our own identity cannot authenticate: page a human, never cycle (seed 000).
 * upstream  — a dependency answered with an error or did not answer; `retryable` says whether to try again.
 * invariant — "cannot happen": a bug.
 */
export type ErrorKind = 'config' | 'input' | 'policy' | 'auth' | 'upstream' | 'invariant';

export interface RotatorErrorOptions {
    readonly retryable?: boolean;
    readonly status?: number;
    readonly cause?: unknown;
    /** For `throttled`: when the service (or our own quota budget) says the call may go again. */
    readonly retryAfterSeconds?: number;
}

export class RotatorError extends Error {
    readonly kind: ErrorKind;
    readonly code: ErrorCode;
    readonly retryable: boolean;
    readonly status: number | undefined;
    readonly retryAfterSeconds: number | undefined;

    /** `message` must never contain secret text, tokens or response bodies; it is scrubbed anyway. */
    constructor(kind: ErrorKind, code: ErrorCode, message: string, options: RotatorErrorOptions = {}) {
        super(`${code}: ${redactText(message)}`, options.cause === undefined ? undefined : { cause: options.cause });
        this.name = 'RotatorError';
        this.kind = kind;
        this.code = code;
        this.retryable = options.retryable ?? false;
        this.status = options.status;
        this.retryAfterSeconds = options.retryAfterSeconds;
    }

    /** Plain data for HTTP bodies, events and orchestration outputs. */
    toJSON(): { kind: ErrorKind; code: ErrorCode; message: string; retryable: boolean } {
        return { kind: this.kind, code: this.code, message: this.message, retryable: this.retryable };
    }
}

/** Guard by name, not instanceof: it must hold across duplicate module copies (cf. RestError). */
export function isRotatorError(error: unknown): error is RotatorError {
    return error instanceof Error && error.name === 'RotatorError' && isErrorCode((error as RotatorError).code);
}

/**
 * Where our `<code>:` prefix can sit once wrapped: at the start, after the host's
 * `Activity function '<name>' failed:`, after an RPC `Exception:` line, or after a `TaskFailedError`'s
 * `<ErrorType>:` (e.g. `RotatorError:`).
 */
const WRAPPED_CODE = /(?:^|\bfailed:|\bException:|Error:)\s*([a-z_]+):/g;

/**
 * The code of an error that crossed an activity boundary. Durable rebuilds a failed activity as
 * `Error("Activity function '<name>' failed: <message> \n <details>")`; our messages start with `<code>:`,
 * so the code is recoverable.
 */
export function errorCodeOf(error: unknown): ErrorCode {
    if (isRotatorError(error)) return error.code;
    const message = error instanceof Error ? error.message : typeof error === 'string' ? error : '';
    for (const match of message.matchAll(WRAPPED_CODE)) {
        const candidate = match[1];
        if (isErrorCode(candidate)) return candidate;
    }
    return ErrorCodes.unknown;
}

export const configError = (settingNames: readonly string[], detail?: readonly string[]): RotatorError =>
    new RotatorError(
        'config',
        ErrorCodes.configInvalid,
        `invalid or missing settings: ${settingNames.join(', ')}${detail && detail.length > 0 ? ` (${detail.join('; ')})` : ''}`,
    );

export const inputError = (message: string): RotatorError =>
    new RotatorError('input', ErrorCodes.inputInvalid, message);

export const invariant = (message: string): RotatorError =>
    new RotatorError('invariant', ErrorCodes.invariantViolated, message);
