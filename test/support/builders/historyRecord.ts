import { type HistoryRecord } from '../../../shared/history/rotationHistory';

/**
 * A rotation history record for tests: a just-started API rotation of `billing` with nothing known yet; `overrides`
 * set what a test is about. The id follows the rotation id unless given.
 */
export function historyRecord(overrides: Partial<HistoryRecord> = {}): HistoryRecord {
    const rotationId = overrides.rotationId ?? 'r1';
    const vaultUrl = overrides.vaultUrl ?? 'https://kv-a.vault.azure.net';
    return {
        id: `rotate@${new URL(vaultUrl).host}@billing@${rotationId}`,
        rotationId,
        vaultUrl,
        secretName: 'billing',
        dryRun: false,
        trigger: 'api',
        reason: 'test',
        startedBy: null,
        status: 'Running',
        final: false,
        startedAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:00.000Z',
        finishedAt: null,
        appId: null,
        oldKeyId: null,
        newKeyId: null,
        oldFingerprint: null,
        newFingerprint: null,
        newSecretVersion: null,
        outcome: null,
        findings: [],
        plan: null,
        steps: [],
        evidence: [],
        waiver: null,
        awaiting: null,
        ...overrides,
    };
}
