import { type RotationRecord } from './timeline';

/**
 * The Durable extension refuses a custom status whose JSON is larger than 16 KB in UTF-16 (2 bytes a character) and
 * fails the whole orchestration (`SetCustomStatus`, MaxCustomStatusPayloadSizeInKB = 16). A rotation's record grows
 * with its consumers, findings and evidence, so the status is held well under that; the full record stays the
 * orchestration's output and the history record, which have no such limit.
 */
export const CUSTOM_STATUS_MAX_CHARS = 6_000; // 12 KB of UTF-16: room for keys and escaping the estimate misses.

const DETAIL_CHARS = 300;
const MIN_ITEMS = 1;

export interface TruncatedStatus {
    /** How many items of each list the status left out; the full record has them all. */
    readonly findings: number;
    readonly evidence: number;
    readonly steps: number;
    readonly consumers: number;
}

/** The record as the custom status may carry it: unchanged when it fits; otherwise shortened, saying by how much. */
export function boundedStatus(record: RotationRecord): RotationRecord & { statusTruncated?: TruncatedStatus } {
    if (JSON.stringify(record).length <= CUSTOM_STATUS_MAX_CHARS) return record;
    const clip = (text: string) => (text.length > DETAIL_CHARS ? `${text.slice(0, DETAIL_CHARS - 1)}…` : text);
    // Keep the most telling items: errors before warnings before info, and the newest evidence and steps.
    const rank = { error: 0, warning: 1, info: 2 } as const;
    const findings = [...record.findings].sort((a, b) => rank[a.severity] - rank[b.severity]);
    const consumers = record.plan?.consumers ?? [];
    for (let keep = Math.max(findings.length, record.evidence.length, record.steps.length, consumers.length); ;) {
        const candidate = {
            ...record,
            reason: record.reason && { code: record.reason.code, message: clip(record.reason.message) },
            findings: findings.slice(0, keep).map((f) => ({ ...f, message: clip(f.message) })),
            evidence: record.evidence.slice(-keep).map((e) => ({ ...e, detail: clip(e.detail) })),
            steps: record.steps.slice(-keep).map((s) => ({ ...s, detail: clip(s.detail) })),
            plan: record.plan && { ...record.plan, consumers: consumers.slice(0, keep) },
            statusTruncated: {
                findings: Math.max(0, findings.length - keep),
                evidence: Math.max(0, record.evidence.length - keep),
                steps: Math.max(0, record.steps.length - keep),
                consumers: Math.max(0, consumers.length - keep),
            },
        };
        if (JSON.stringify(candidate).length <= CUSTOM_STATUS_MAX_CHARS || keep <= MIN_ITEMS) return candidate;
        keep = Math.max(MIN_ITEMS, Math.floor(keep / 2));
    }
}
