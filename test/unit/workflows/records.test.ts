import { describe, expect, it } from 'vitest';

import { type RotationRecord } from '../../../shared/workflows/timeline';
import { refreshFailed } from '../../support/fakes/FakeRefresher';
import { APP_ID, START } from '../../support/fakes/world';
import { runScenario, scenarios, webhook } from './scenarios';

describe('rotation record (output and custom status)', () => {
    it.each([
        ['publishFailure', 'unavailable', 'AttentionRequired'],
        ['stashFailure', 'unavailable', 'Failed'],
    ])(
        '%s: the error code survives the out-of-proc failure text, and no stack reaches the record',
        async (name, code, status) => {
            const { run } = await runScenario(scenarios[name]!, { failureFormat: 'rpc' });
            expect(run.output.status).toBe(status);
            expect(run.output.reason?.code).toBe(code);
            for (const text of [run.output.reason?.message ?? '', ...run.output.steps.map((s) => s.detail)]) {
                expect(text).not.toMatch(/\n|Stack:|rotationActivities\.js/);
            }
        },
    );

    it('a vault outage during verification is classified from the out-of-proc text too', async () => {
        const { run } = await runScenario(scenarios.verifyUnreachable!, { failureFormat: 'rpc' });
        expect(run.output.status).toBe('AttentionRequired');
        expect(run.output.steps.find((s) => s.name === 'verifyNew')?.detail).not.toMatch(/\n|Stack:/);
        expect(run.output.reason?.message).toContain('(unavailable');
    });

    it('stays small enough for a custom status with the most consumers the schema allows', async () => {
        // 20 consumers (the schema maximum) with 64-character names, all failing as `continue`, three usage checks.
        const names = Array.from({ length: 20 }, (_, i) => `consumer-${String(i).padStart(2, '0')}-`.padEnd(64, 'x'));
        const { run } = await runScenario({
            world: { consumers: names.map((n) => webhook(n, 'continue')) },
            arrange: (w) => {
                for (const n of names) {
                    w.refresher.script(n, [
                        refreshFailed('probe reports fingerprint 0123456789ab, expected ba9876543210'),
                    ]);
                }
                w.signIns.useContinuously(APP_ID, w.oldKeyId, START);
            },
        });
        const largest = Math.max(...run.statusTexts.map((t) => t.length), JSON.stringify(run.output).length);
        // The Azure Storage backend keeps custom status in one table column (16 KB of UTF-16 text): 8192 characters.
        expect(largest).toBeLessThan(8_192);
        expect(run.output.steps.find((s) => s.name === 'refresh')?.detail.split('; ')).toHaveLength(20);
    });

    it('every custom status is a complete record (parsable, same identity, steps in order)', async () => {
        const { run } = await runScenario(scenarios.stillInUse!);
        const order = ['preflight', 'create', 'verifyNew', 'publish', 'refresh', 'confirm', 'grace', 'usageGate'];
        for (const text of run.statusTexts) {
            const status = JSON.parse(text) as RotationRecord;
            expect(status.rotationId).toBe(run.output.rotationId);
            const steps = status.steps.map((s) => s.name);
            expect(steps).toEqual(order.slice(0, steps.length));
        }
    });
});
