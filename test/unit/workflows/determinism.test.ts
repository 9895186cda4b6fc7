import { describe, expect, it } from 'vitest';

import { rotationInput } from '../../support/fakes/inputs';
import { driveRotation } from '../../support/fakes/orchestrationDriver';
import { createWorld } from '../../support/fakes/world';
import { runScenario, scenarios } from './scenarios';

const names = Object.keys(scenarios);

describe('rotateCredential determinism', () => {
    it.each(names)('%s: the same script twice yields the identical action sequence and result', async (name) => {
        const scenario = scenarios[name]!;
        const first = await runScenario(scenario);
        const second = await runScenario(scenario);
        expect(second.run.actions).toEqual(first.run.actions);
        expect(second.run.statusTexts).toEqual(first.run.statusTexts);
        expect(second.run.output).toEqual(first.run.output);
        expect(second.world.notifier.events).toEqual(first.world.notifier.events);
    });

    it.each(names)('%s: replaying the recorded history schedules the same actions and runs nothing', async (name) => {
        const scenario = scenarios[name]!;
        const live = await runScenario(scenario);

        // A fresh world: if replay ran any activity, its fakes would record the call.
        const world = createWorld(scenario.world);
        const replay = await driveRotation(world, { input: rotationInput(scenario.input), history: live.run.history });
        expect(replay.actions).toEqual(live.run.actions);
        expect(replay.output).toEqual(live.run.output);
        expect(replay.statusTexts).toEqual(live.run.statusTexts);
        expect(replay.attempts).toEqual([]);
        expect(world.directory.calls).toEqual([]);
        expect(world.vault.calls).toEqual([]);
        expect(world.notifier.events).toEqual([]);
    });

    it('the driver notices a divergent replay (the check can fail)', async () => {
        const live = await runScenario(scenarios.happy!);
        const tampered = live.run.history.map((h, i) =>
            i === 0 && h.action.kind === 'activity' ? { ...h, action: { ...h.action, name: 'somethingElse' } } : h,
        );
        await expect(
            driveRotation(createWorld(scenarios.happy!.world), {
                input: rotationInput(),
                history: tampered,
            }),
        ).rejects.toThrow(/non-deterministic replay at action 1/);
    });

    it('different inputs change the actions (the comparison is not vacuous)', async () => {
        const a = await runScenario(scenarios.happy!);
        const b = await runScenario({ ...scenarios.happy!, input: { rotationId: 'rot-0002' } });
        expect(b.run.actions).not.toEqual(a.run.actions);
    });
});
