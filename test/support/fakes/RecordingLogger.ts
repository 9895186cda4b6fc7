import { createLogger, type LogLevel, type LogValue, type Logger } from '../../../shared/logging/logger';

export interface LogLine {
    readonly level: LogLevel;
    readonly message: string;
    readonly fields: Readonly<Record<string, LogValue>>;
}

/** The production logger (allow-listed fields, redaction) writing into an array. */
export function recordingLogger(): { logger: Logger; lines: LogLine[] } {
    const lines: LogLine[] = [];
    const logger = createLogger((level, message, fields) => lines.push({ level, message, fields: { ...fields } }));
    return { logger, lines };
}
