import { describe, expect, it } from 'vitest';

import { REDACTED } from '../../../shared/security/Secret';
import { leakedSecrets } from '../../support/fakes/inputs';
import { type DriveResult } from '../../support/fakes/orchestrationDriver';
import { type World } from '../../support/fakes/world';
import { runScenario, scenarios } from './scenarios';

/** Everything that leaves an activity or the orchestrator: what Durable, App Insights and Event Grid keep. */
function surfaces(world: World, run: DriveResult): Record<string, unknown> {
    return {
        activityInputs: run.actions,
        activityOutputs: run.history.map((h) => h.outcome),
        activityErrors: run.attempts.map((a) => a.error ?? ''),
        customStatus: run.statusTexts,
        output: run.output,
        events: world.notifier.events,
        logs: world.logLines,
        consumerRequests: world.refresher.calls,
        directoryRequests: world.directory.calls,
        // The state store: enrollment, locks and the rotation history records.
        state: [...world.state.docs.entries()].map(([key, doc]) => `${key} ${doc.text}`),
    };
}

describe('canary sweep: secret text never leaves the activities', () => {
    it.each(Object.keys(scenarios))('%s', async (name) => {
        const { world, run } = await runScenario(scenarios[name]!);
        const secrets = world.secretTexts();
        // The old value at least; every scenario that reached create issued another (a dry run and a key that is
        // not on the app stop at preflight).
        expect(secrets.length).toBeGreaterThanOrEqual(name === 'dryRun' || name === 'oldKeyAbsent' ? 1 : 2);

        const all = surfaces(world, run);
        for (const [surface, value] of Object.entries(all)) {
            expect(leakedSecrets(secrets, value), surface).toEqual([]);
        }
        // A Secret object crossing the activity boundary would serialise to the redaction marker (and lose its
        // value in production): inputs and outputs must carry references only.
        expect(JSON.stringify(all.activityInputs)).not.toContain(REDACTED);
        expect(JSON.stringify(all.activityOutputs)).not.toContain(REDACTED);
    });

    it.each(Object.keys(scenarios))('%s: every event passed the notify contract', async (name) => {
        const { run } = await runScenario(scenarios[name]!);
        expect(run.output.findings.filter((f) => f.code === 'notification_failed')).toEqual([]);
    });

    it('the sweep finds a planted value (it can fail)', async () => {
        const { world, run } = await runScenario(scenarios.happy!);
        const planted = { ...surfaces(world, run), oops: `value=${world.secretTexts()[1]}` };
        expect(leakedSecrets(world.secretTexts(), planted)).toEqual([world.secretTexts()[1]]);
    });
});
