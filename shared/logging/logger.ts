import { ensureError } from '../errors/ensureError';
import { errorCodeOf, isRotatorError } from '../errors/RotatorError';
import { redactText } from '../security/redact';

/**
 * Fields a log line may carry. Anything else is dropped, not redacted: allow-listing means a new field
 * that happens to hold secret material cannot reach the logs by accident.
 */
export const LOG_FIELDS = [
    'rotationId',
    'instanceId',
    'step',
    'state',
    'appId',
    'appObjectId',
    'keyId',
    'oldKeyId',
    'newKeyId',
    'fingerprint',
    'oldFingerprint',
    'newFingerprint',
    'vaultUrl',
    'secretName',
    'secretVersion',
    'consumer',
    'eventType',
    'eventId',
    'status',
    'attempt',
    'count',
    'durationMs',
    'errorCode',
    'errorKind',
    'retryable',
    'aadstsCode',
    'reason',
] as const;

export type LogField = (typeof LOG_FIELDS)[number];
export type LogValue = string | number | boolean | null;
export type LogFields = Partial<Record<LogField, LogValue>>;
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
    debug(message: string, fields?: LogFields): void;
    info(message: string, fields?: LogFields): void;
    warn(message: string, fields?: LogFields): void;
    error(message: string, fields?: LogFields, error?: unknown): void;
}

export type LogSink = (level: LogLevel, message: string, fields: Readonly<Record<string, LogValue>>) => void;

const ALLOWED: ReadonlySet<string> = new Set(LOG_FIELDS);

/** A logger that sanitises every line before handing it to `sink`. */
export function createLogger(sink: LogSink): Logger {
    const write = (level: LogLevel, message: string, fields?: LogFields, error?: unknown): void => {
        const clean = sanitizeFields(fields);
        if (error !== undefined) {
            clean.errorCode ??= errorCodeOf(error);
            if (isRotatorError(error)) {
                clean.errorKind = error.kind;
                clean.retryable = error.retryable;
            }
        }
        // ensureError never throws (JSON.stringify does, on cycles and BigInt) and redacts what it serialises.
        const text = error === undefined ? message : `${message}: ${ensureError(error).message}`;
        sink(level, redactText(text), clean);
    };
    return {
        debug: (m, f) => write('debug', m, f),
        info: (m, f) => write('info', m, f),
        warn: (m, f) => write('warn', m, f),
        error: (m, f, e) => write('error', m, f, e),
    };
}

export function sanitizeFields(fields: LogFields | undefined): Record<string, LogValue> {
    const out: Record<string, LogValue> = {};
    if (!fields) return out;
    for (const [key, value] of Object.entries(fields)) {
        if (!ALLOWED.has(key)) continue;
        if (value === null || typeof value === 'number' || typeof value === 'boolean') out[key] = value;
        else if (typeof value === 'string') out[key] = redactText(value);
    }
    return out;
}

/** Minimal shape of the Functions `InvocationContext` logging methods (kept structural for tests). */
export interface ContextLogTarget {
    debug(...args: unknown[]): void;
    info(...args: unknown[]): void;
    warn(...args: unknown[]): void;
    error(...args: unknown[]): void;
}

/** Routes through `context` so Application Insights correlates the line with its invocation. */
export function invocationLogger(context: ContextLogTarget): Logger {
    return createLogger((level, message, fields) => {
        const hasFields = Object.keys(fields).length > 0;
        if (hasFields) context[level](message, fields);
        else context[level](message);
    });
}

/** A logger that discards everything (for code paths that must not log, e.g. during replay). */
export const silentLogger: Logger = createLogger(() => undefined);
