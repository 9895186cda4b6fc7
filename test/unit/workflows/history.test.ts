import { describe, expect, it } from 'vitest';

import { Activities as A } from '../../../shared/rotation/names';
import { rotationInput } from '../../support/fakes/inputs';
import { driveRotation } from '../../support/fakes/orchestrationDriver';
import { APP_ID, createWorld, SECRET_NAME, VAULT_URL, type World } from '../../support/fakes/world';
import { runScenario, webhook } from './scenarios';

const keys = (world: World): string[] => world.directory.credentialsOf(APP_ID).map((c) => c.keyId);
const operator = { objectId: 'oid-ana', appId: 'app-dashboard', name: 'Ana' };

describe('rotation history records written by the orchestrator', () => {
    it('two consecutive rotations of one secret keep one record each, with their outcomes and who started them', async () => {
        const world = createWorld({ consumers: [webhook('api')] });
        const first = await driveRotation(world, {
            input: rotationInput({ rotationId: 'rot-1', trigger: 'api', reason: 'first', startedBy: operator }),
        });
        const second = await driveRotation(world, { input: rotationInput({ rotationId: 'rot-2', reason: 'second' }) });
        expect([first.output.status, second.output.status]).toEqual(['Completed', 'Completed']);

        const records = await world.history.list(VAULT_URL, SECRET_NAME);
        expect(records.map((r) => [r.rotationId, r.status, r.final, r.trigger, r.reason])).toEqual([
            ['rot-2', 'Completed', true, 'timer', 'second'],
            ['rot-1', 'Completed', true, 'api', 'first'],
        ]);
        expect(records[1]).toMatchObject({ startedBy: operator, newKeyId: first.output.newKeyId, outcome: null });
        expect(records[0]).toMatchObject({ startedBy: null, oldKeyId: first.output.newKeyId });
        expect(records[0]!.steps.map((s) => s.name)).toContain('deleteOld');
        expect(records[0]!.evidence.length).toBeGreaterThan(0);
        expect(records[0]!.finishedAt).not.toBeNull();
        // Written first and last: the first write comes before any step.
        expect(second.activities[0]).toBe(A.recordHistory);
        expect(second.activities.at(-1)).toBe(A.recordHistory);
    });

    it('the record exists (Running) before preflight, so a rotation that later dies in the runtime still has one', async () => {
        let seen: unknown;
        await runScenario(
            { world: { consumers: [webhook('api')] } },
            {
                beforeActivity: (name, _input, world) => {
                    if (name === A.preflight && seen === undefined)
                        void world.history.list(VAULT_URL, SECRET_NAME).then((r) => (seen = r));
                },
            },
        );
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(seen).toMatchObject([{ status: 'Running', final: false, finishedAt: null }]);
    });

    it('a failed rotation and a dry run are recorded with their outcome', async () => {
        const failed = await runScenario({
            world: { consumers: [webhook('api')] },
            arrange: (w) => void w.verifier.failWith(7000222, 100),
        });
        expect((await failed.world.history.list(VAULT_URL, SECRET_NAME))[0]).toMatchObject({
            status: 'AttentionRequired',
            final: true,
            outcome: { code: 'verification_failed' },
        });
        const dry = await runScenario({ world: { consumers: [webhook('api')] }, input: { dryRun: true } });
        expect((await dry.world.history.list(VAULT_URL, SECRET_NAME))[0]).toMatchObject({
            status: 'Completed',
            dryRun: true,
            final: true,
        });
    });
});

describe('accepting "no evidence" through the operator API (issue 12 defect 4)', () => {
    const noEvidence = { world: { consumers: [webhook('api')], silentConsumers: true } };

    it('a rotation without switch evidence waits for the operator; the waiver leads to one more check and the delete, recorded who, when, why', async () => {
        let offeredUntil: string | undefined;
        const { world, run } = await runScenario(noEvidence, {
            externalEvent: (name, _world, timerAt) => {
                expect(name).toBe('acceptNoEvidence');
                offeredUntil = timerAt;
                // While it waits, the record says AttentionRequired with the action offered (not final).
                return { by: operator, reason: 'batch job has no probe; CHG-42' };
            },
        });
        expect(offeredUntil).toBeDefined();
        expect(run.output.status).toBe('Completed');
        expect(keys(world)).toEqual([run.output.newKeyId]);
        expect(run.output.evidence).toContainEqual(
            expect.objectContaining({
                source: 'operator',
                kind: 'noEvidenceAccepted',
                detail: 'Ana accepted "no evidence" for this rotation: batch job has no probe; CHG-42',
            }),
        );
        // The waiting state was visible in the custom status (what the API and dashboard read).
        const waiting = run.statusTexts.map((t) => JSON.parse(t)).find((s) => s.awaiting);
        expect(waiting).toMatchObject({
            status: 'AttentionRequired',
            reason: { code: 'no_switch_evidence' },
            awaiting: { action: 'acceptNoEvidence', until: offeredUntil },
        });
        expect(world.notifier.types()).toContain('Rotation.AttentionRequired');
        const [record] = await world.history.list(VAULT_URL, SECRET_NAME);
        expect(record).toMatchObject({
            status: 'Completed',
            final: true,
            awaiting: null,
            waiver: { by: operator, reason: 'batch job has no probe; CHG-42' },
        });
        // After the waiver, one more full gate check ran before the delete.
        const checks = run.activities.filter((n) => n === A.readSignInEvidence).length;
        expect(checks).toBe(4);
        // The extra check's own sign-in was registered with the sign-in collector before it was made, so it is
        // never mistaken for a consumer using the new key.
        expect(run.output.evidence.filter((e) => e.source === 'signInLog' && e.kind === 'newKeyInUse')).toEqual([]);
    });

    it('without the operator, the offer ends after its bound: AttentionRequired no_switch_evidence, both keys kept', async () => {
        const { world, run } = await runScenario(noEvidence);
        expect(run.output.status).toBe('AttentionRequired');
        expect(run.output.reason?.code).toBe('no_switch_evidence');
        expect(run.output.reason?.message).toContain('no operator accepted "no evidence" in time');
        expect(keys(world)).toContain(world.oldKeyId);
        const [record] = await world.history.list(VAULT_URL, SECRET_NAME);
        expect(record).toMatchObject({ status: 'AttentionRequired', final: true, awaiting: null, waiver: null });
    });

    it('an event with a wrong shape (raised by hand) is not a waiver', async () => {
        let raised = 0;
        const { world, run } = await runScenario(noEvidence, {
            // Raised once, then nothing: the rotation keeps waiting until its bound.
            externalEvent: () => (raised++ === 0 ? { reason: '' } : undefined),
        });
        expect(raised).toBe(2);
        expect(run.output.status).toBe('AttentionRequired');
        expect(keys(world)).toContain(world.oldKeyId);
    });

    it('a waiver does not override old-key use seen at the check after it', async () => {
        const { world, run } = await runScenario(noEvidence, {
            externalEvent: (_name, w) => {
                w.signIns.useContinuously(APP_ID, w.oldKeyId, w.clock.now().toISOString());
                return { by: operator, reason: 'accepted' };
            },
        });
        expect(run.output.status).toBe('AttentionRequired');
        expect(run.output.reason?.code).toBe('still_in_use');
        expect(keys(world)).toContain(world.oldKeyId);
    });
});
