import { describe, expect, it } from 'vitest';

import { boundedStatus } from '../../../shared/workflows/statusBudget';
import { Timeline } from '../../../shared/workflows/timeline';
import { customStatusTooLarge } from '../../host/src/durable/lifecycle';

function record(size: { findings: number; evidence: number; consumers: number; text: number }) {
    const timeline = new Timeline('rot-1', 'https://vault.example', 'app-secret');
    const r = timeline.record;
    const long = (i: number) => `${i}:${'x'.repeat(size.text)}`;
    r.findings = Array.from({ length: size.findings }, (_, i) => ({
        severity: i === size.findings - 1 ? ('error' as const) : ('info' as const),
        code: `f${i}`,
        message: long(i),
    }));
    r.evidence = Array.from({ length: size.evidence }, (_, i) => ({
        source: 'probe',
        kind: 'notProven' as const,
        at: new Date(Date.UTC(2026, 11, 6, 0, i)).toISOString(),
        detail: long(i),
    }));
    r.plan = {
        appObjectId: 'obj',
        appDisplayName: 'app',
        oldKeyPresent: true,
        oldEndDateTime: null,
        newCredential: { startDateTime: 'a', endDateTime: 'b' },
        gracePeriodDays: 7,
        usageGate: { enabled: true },
        consumers: Array.from({ length: size.consumers }, (_, i) => `consumer-${i}-${'c'.repeat(40)}`),
    } as unknown as NonNullable<typeof r.plan>;
    r.reason = { code: 'still_in_use', message: long(-1) };
    return timeline.snapshot();
}

describe('the custom status stays within the Durable extension limit', () => {
    it('a record that fits is published unchanged', () => {
        const small = record({ findings: 2, evidence: 3, consumers: 2, text: 20 });
        expect(boundedStatus(small)).toBe(small);
    });

    it('a record with many consumers, findings and evidence is shortened below 16 KB, keeping what matters', () => {
        const big = record({ findings: 400, evidence: 300, consumers: 500, text: 600 });
        // As is, the extension would refuse it and fail the orchestration.
        expect(customStatusTooLarge(JSON.stringify(big))).toBeDefined();
        const status = boundedStatus(big);
        expect(customStatusTooLarge(JSON.stringify(status))).toBeUndefined();
        expect(status.status).toBe(big.status);
        expect(status.reason?.code).toBe('still_in_use');
        // Errors come first, the newest evidence is kept, and the status says how much it left out.
        expect(status.findings[0]?.severity).toBe('error');
        expect(status.evidence.at(-1)?.at).toBe(big.evidence.at(-1)?.at);
        expect(status.statusTruncated?.findings).toBe(400 - status.findings.length);
        expect(status.statusTruncated?.evidence).toBe(300 - status.evidence.length);
        expect(status.statusTruncated?.consumers).toBe(500 - (status.plan?.consumers.length ?? 0));
        expect(status.findings.length).toBeGreaterThan(0);
    });
});
