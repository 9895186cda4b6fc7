import { describe, expect, it } from 'vitest';

import { addDays, addHours, addMinutes } from '../../../shared/domain/time';
import { credentialDisplayName, pendingSecretName } from '../../../shared/rotation/markers';
import { Activities } from '../../../shared/rotation/names';
import { type RotationRecord } from '../../../shared/workflows/timeline';
import { throttledError } from '../../../shared/pacing/throttled';
import { unavailable } from '../../support/fakes/failures';
import { refreshFailed } from '../../support/fakes/FakeRefresher';
import { driveRotation, type DriveResult } from '../../support/fakes/orchestrationDriver';
import { rotationInput } from '../../support/fakes/inputs';
import { APP_ID, createWorld, ROTATION_ID, SECRET_NAME, START, VAULT_URL, type World } from '../../support/fakes/world';
import { probe, runScenario, scenarios, vaultDownDuring, webhook } from './scenarios';

const A = Activities;
/** The activity sequence without the (best-effort) notify calls. */
/** The steps' work: notifications and history records (state-store bookkeeping) apart. */
const work = (run: DriveResult): string[] =>
    run.activities.filter((n) => n !== A.notify && n !== A.recordHistory);
const keys = (world: World): string[] => world.directory.credentialsOf(APP_ID).map((c) => c.keyId);
const marked = (world: World): string[] =>
    world.directory
        .credentialsOf(APP_ID)
        .filter((c) => c.displayName === credentialDisplayName(ROTATION_ID))
        .map((c) => c.keyId);
const step = (record: RotationRecord, name: string) => record.steps.find((s) => s.name === name);
const lastStatus = (run: DriveResult): RotationRecord => JSON.parse(run.statusTexts.at(-1) ?? 'null') as RotationRecord;
/** Actions up to publication (the usage gate's own sign-ins are verify calls too). */
const beforePublish = (run: DriveResult): DriveResult['actions'] =>
    run.actions.slice(
        0,
        indexOfAction(run, (a) => a.kind === 'activity' && a.name === A.publishCredential),
    );
/** What each gate read asked the shared collector for. */
const gateQueries = (run: DriveResult): { appId: string; keys: { keyId: string; since: string }[] }[] =>
    run.actions.flatMap((a) =>
        a.kind === 'activity' && a.name === A.readSignInEvidence
            ? [a.input as { appId: string; keys: { keyId: string; since: string }[] }]
            : [],
    );
const indexOfAction = (run: DriveResult, predicate: (a: DriveResult['actions'][number]) => boolean): number =>
    run.actions.findIndex(predicate);

describe('rotateCredential (driven without a host)', () => {
    describe('happy path', () => {
        it('runs every step in order and completes', async () => {
            const { world, run } = await runScenario(scenarios.happy!);
            expect(work(run)).toEqual([
                A.preflight,
                A.createCredential,
                A.verifyCredential,
                A.verifyCredential,
                A.publishCredential,
                A.watchSignIns,
                A.refreshConsumer,
                A.refreshConsumer,
                A.verifyCredential,
                A.readSignInEvidence,
                A.deleteOldCredential,
                // Days after create: past Graph's lag, nothing else marked with this rotation is left.
                A.sweepCredentials,
            ]);
            const out = run.output;
            expect(out.status).toBe('Completed');
            expect(out.reason).toBeNull();
            expect(out.steps.map((s) => [s.name, s.state])).toEqual([
                ['preflight', 'succeeded'],
                ['create', 'succeeded'],
                ['verifyNew', 'succeeded'],
                ['publish', 'succeeded'],
                ['refresh', 'succeeded'],
                ['confirm', 'succeeded'],
                ['grace', 'succeeded'],
                ['usageGate', 'succeeded'],
                ['deleteOld', 'succeeded'],
            ]);
            // Exactly the new credential remains, and it is what the live secret now holds.
            expect(keys(world)).toEqual([out.newKeyId]);
            expect(world.vault.peek(VAULT_URL, SECRET_NAME)).toMatchObject({
                fingerprint: out.newFingerprint,
                version: out.newSecretVersion,
            });
            expect(world.vault.peek(VAULT_URL, pendingSecretName(SECRET_NAME))).toBeUndefined();
            expect(out.oldKeyId).toBe(world.oldKeyId);
            expect(out.oldFingerprint).toBe(world.oldFingerprint);
            expect(out.newFingerprint).not.toBe(out.oldFingerprint);
        });

        it('deletes the old key only after the grace timer and a clean usage gate', async () => {
            const { world, run } = await runScenario(scenarios.happy!);
            const publishAt = run.attempts.find((a) => a.name === A.publishCredential)?.at ?? '';
            const publish = indexOfAction(run, (a) => a.kind === 'activity' && a.name === A.publishCredential);
            const grace = indexOfAction(run, (a) => a.kind === 'timer' && Date.parse(a.fireAt) > Date.parse(publishAt));
            const gate = indexOfAction(run, (a) => a.kind === 'activity' && a.name === A.readSignInEvidence);
            const del = indexOfAction(run, (a) => a.kind === 'activity' && a.name === A.deleteOldCredential);
            expect(grace).toBeGreaterThan(publish);
            expect(grace).toBeLessThan(gate);
            expect(gate).toBeLessThan(del);
            // After publication: the grace timer, then the sign-in log's latency after the gate's own sign-in.
            const graceAt = (run.actions[grace] as { fireAt: string }).fireAt;
            const after = run.timers.filter((t) => Date.parse(t) > Date.parse(publishAt));
            expect(after).toHaveLength(2);
            // Grace is 7 days from publication: one durable timer, longer than six days.
            expect(Date.parse(graceAt) - Date.parse(publishAt)).toBeGreaterThanOrEqual(7 * 86_400_000 - 1_000);
            expect(Date.parse(after[1]!) - Date.parse(graceAt)).toBeGreaterThanOrEqual(30 * 60_000);
            const deleteAt = run.attempts.find((a) => a.name === A.deleteOldCredential)?.at ?? '';
            expect(Date.parse(deleteAt)).toBeGreaterThan(Date.parse(after[1]!));

            // The gate read old-key sign-ins from one token lifetime after the refresh, not a short window.
            const refreshedAt = run.attempts.filter((a) => a.name === A.refreshConsumer).at(-1)!.at;
            const query = gateQueries(run).at(-1);
            expect(query?.appId).toBe(APP_ID);
            expect(query?.keys[0]?.keyId).toBe(world.oldKeyId);
            const since = Date.parse(query!.keys[0]!.since);
            expect(since - addMinutes(new Date(refreshedAt), 90).getTime()).toBeGreaterThanOrEqual(0);
            expect(since - addMinutes(new Date(refreshedAt), 90).getTime()).toBeLessThanOrEqual(2_000);
        });

        it('honours a grace override of 30 days with a single long timer', async () => {
            const { run } = await runScenario({
                world: { consumers: [webhook('api')], liveTags: { 'grace-days': '30' } },
            });
            expect(run.output.status).toBe('Completed');
            const publishAt = run.attempts.find((a) => a.name === A.publishCredential)?.at ?? '';
            const grace = run.timers.find((t) => Date.parse(t) > Date.parse(publishAt))!;
            expect(Date.parse(grace) - Date.parse(publishAt)).toBeGreaterThanOrEqual(30 * 86_400_000 - 1_000);
        });

        it('tells consumers the new version and fingerprint, in the configured order', async () => {
            const { world, run } = await runScenario(scenarios.happy!);
            expect(world.refresher.calls.map((c) => c.consumer)).toEqual(['api', 'api-health']);
            for (const call of world.refresher.calls) {
                expect(call.request).toMatchObject({
                    secretVersion: run.output.newSecretVersion,
                    fingerprint: run.output.newFingerprint,
                    rotationId: ROTATION_ID,
                });
            }
        });

        it('emits Started, a StepCompleted per step and Completed, with deterministic unique ids', async () => {
            const { world } = await runScenario(scenarios.happy!);
            expect(world.notifier.types()).toEqual([
                'Rotation.Started',
                'Rotation.StepCompleted',
                'Rotation.StepCompleted',
                'Rotation.StepCompleted',
                'Rotation.StepCompleted',
                'Rotation.StepCompleted',
                'Rotation.Completed',
            ]);
            expect(
                world.notifier.events.filter((e) => e.type === 'Rotation.StepCompleted').map((e) => e.data.step),
            ).toEqual(['create', 'verifyNew', 'publish', 'refresh', 'usageGate']);
            expect(world.notifier.events.map((e) => e.id)).toEqual(
                world.notifier.events.map((_e, i) => `${ROTATION_ID}:${i + 1}`),
            );
            expect(world.notifier.events.at(-1)?.data).toMatchObject({
                status: 'Completed',
                newKeyId: expect.any(String),
            });
        });

        it('keeps the step timeline in the custom status, including the wait for grace', async () => {
            const { run } = await runScenario(scenarios.happy!);
            const statuses = run.statusTexts.map((t) => JSON.parse(t) as RotationRecord);
            expect(statuses.length).toBeGreaterThan(5);
            expect(statuses[0]?.steps).toEqual([expect.objectContaining({ name: 'preflight', state: 'running' })]);
            const waiting = statuses.find((s) => step(s, 'grace')?.state === 'waiting');
            expect(waiting?.status).toBe('Running');
            const publishAt = run.attempts.find((a) => a.name === A.publishCredential)?.at ?? '';
            expect(step(waiting!, 'grace')?.detail).toBe(
                `until ${run.timers.find((t) => Date.parse(t) > Date.parse(publishAt))}`,
            );
            expect(lastStatus(run)).toEqual(run.output);
        });
    });

    describe('verification', () => {
        it('waits out propagation (7000215 twice) with durable timers between attempts, then completes', async () => {
            const { world, run } = await runScenario(scenarios.propagation!);
            expect(run.output.status).toBe('Completed');
            const verify = beforePublish(run)
                .map((a, i) => ({ a, i }))
                .filter(({ a }) => a.kind === 'activity' && a.name === A.verifyCredential)
                .map(({ i }) => i);
            // Two failures, then two successes in a row.
            expect(verify).toHaveLength(4);
            // A timer sits between consecutive attempts, and nothing else happens there.
            for (let k = 1; k < verify.length; k++) {
                const between = run.actions.slice(verify[k - 1]! + 1, verify[k]);
                expect(between.map((a) => a.kind)).toEqual(['timer']);
            }
            const [first, second] = run.timers;
            const attempts = run.attempts.filter((a) => a.name === A.verifyCredential);
            expect(Date.parse(first!) - Date.parse(attempts[0]!.at)).toBe(2_000);
            expect(Date.parse(second!) - Date.parse(attempts[1]!.at)).toBe(4_000);
            expect(step(run.output, 'verifyNew')?.detail).toContain('2 times in a row, last on attempt 4');
            // Four before publication, one more for the usage gate's own sign-in.
            expect(world.verifier.calls).toHaveLength(5);
        });

        it('waits out throttling (retryable, not a propagation delay) the same way', async () => {
            const { world, run } = await runScenario({
                world: { consumers: [webhook('api')] },
                arrange: (w) => void w.verifier.failWith(90055, 2),
            });
            expect(run.output.status).toBe('Completed');
            expect(world.verifier.calls).toHaveLength(5);
            expect(work(run).filter((n) => n === A.discardCredential)).toEqual([]);
        });

        it('gives up at the propagation timeout without a timer past the deadline', async () => {
            const { world, run } = await runScenario({
                world: { consumers: [webhook('api')], propagationTimeoutSeconds: 60 },
                arrange: (w) => void w.verifier.failWith(7000215, 1_000),
            });
            expect(run.output.status).toBe('AttentionRequired');
            expect(run.output.reason?.code).toBe('verification_failed');
            const firstVerify = run.attempts.find((a) => a.name === A.verifyCredential)!;
            const deadline = Date.parse(firstVerify.at) - 1_000 + 60_000;
            // The last timer is the end-of-rotation sweep, 15 min after create (Graph's lag); none other past it.
            const sweepAt = run.timers.at(-1)!;
            expect(Date.parse(sweepAt) - Date.parse(firstVerify.at)).toBeGreaterThanOrEqual(14 * 60_000);
            for (const t of run.timers.slice(0, -1)) expect(Date.parse(t)).toBeLessThanOrEqual(deadline);
            // 2+4+8+16+30 s of back-off fit into 60 s, then the deadline: a bounded number of attempts.
            expect(world.verifier.calls.length).toBeGreaterThanOrEqual(5);
            expect(world.verifier.calls.length).toBeLessThanOrEqual(8);
            expect(marked(world)).toEqual([]);
        });

        it('a permanent failure discards the new credential, keeps the old and needs attention', async () => {
            const { world, run } = await runScenario(scenarios.verifyPermanent!);
            expect(work(run)).toEqual([
                A.preflight,
                A.createCredential,
                A.verifyCredential,
                A.discardCredential,
                A.sweepCredentials,
            ]);
            // One wait: until Graph's lag has passed since create, then the sweep.
            expect(run.timers).toHaveLength(1);
            expect(run.output.status).toBe('AttentionRequired');
            expect(run.output.reason).toMatchObject({ code: 'verification_failed' });
            expect(run.output.reason?.message).toContain('AADSTS7000222');
            expect(step(run.output, 'verifyNew')?.state).toBe('failed');
            expect(keys(world)).toEqual([world.oldKeyId]);
            expect(world.vault.peek(VAULT_URL, SECRET_NAME)).toMatchObject({
                versions: 1,
                fingerprint: world.oldFingerprint,
            });
            expect(world.vault.peek(VAULT_URL, pendingSecretName(SECRET_NAME))).toBeUndefined();
            expect(world.notifier.types().at(-1)).toBe('Rotation.AttentionRequired');
        });

        // Regression (defect 10): "not found" from removePassword during Graph's read-after-write lag was taken for
        // "removed", the stash was deleted and the outcome claimed the new credential was gone.
        it('a verification failure during read-after-write lag retries the removal until Graph finds the credential', async () => {
            const { world, run } = await runScenario({
                ...scenarios.verifyPermanent!,
                arrange: (w) => {
                    w.verifier.failWith(7000222, 100);
                    w.directory.lagRemovals(2);
                },
            });
            expect(work(run).filter((n) => n === A.discardCredential)).toHaveLength(3);
            expect(run.output.reason?.message).toContain('it was removed and the old credential kept');
            expect(keys(world)).toEqual([world.oldKeyId]);
            expect(world.vault.peek(VAULT_URL, pendingSecretName(SECRET_NAME))).toBeUndefined();
        });

        it('a removal Graph never confirms is reported as such, and the value is kept', async () => {
            const { world, run } = await runScenario({
                ...scenarios.verifyPermanent!,
                arrange: (w) => {
                    w.verifier.failWith(7000222, 100);
                    w.directory.lagRemovals(100);
                },
            });
            expect(work(run).filter((n) => n === A.discardCredential)).toHaveLength(5);
            expect(run.output.reason?.message).toContain('may still exist');
            expect(run.output.reason?.message).not.toContain('it was removed');
            expect(world.vault.peek(VAULT_URL, pendingSecretName(SECRET_NAME))).toBeDefined();
        });

        it('a vault outage during verification (past retries) is unproven, so the credential is discarded', async () => {
            const { world, run } = await runScenario(scenarios.verifyUnreachable!);
            expect(run.attempts.filter((a) => a.name === A.verifyCredential)).toHaveLength(4);
            expect(work(run)).toEqual([
                A.preflight,
                A.createCredential,
                A.verifyCredential,
                A.discardCredential,
                A.sweepCredentials,
            ]);
            expect(run.output.status).toBe('AttentionRequired');
            expect(run.output.reason?.message).toContain('unavailable');
            expect(keys(world)).toEqual([world.oldKeyId]);
        });
    });

    describe('consumers', () => {
        it('an abort consumer failure stops before any deletion, keeping both credentials', async () => {
            const { world, run } = await runScenario(scenarios.abortConsumer!);
            expect(work(run)).toEqual([
                A.preflight,
                A.createCredential,
                A.verifyCredential,
                A.verifyCredential,
                A.publishCredential,
                A.watchSignIns,
                A.refreshConsumer,
                A.sweepCredentials,
            ]);
            expect(world.refresher.calls.map((c) => c.consumer)).toEqual(['api']);
            expect(run.output.status).toBe('AttentionRequired');
            expect(run.output.reason?.code).toBe('consumer_refresh_failed');
            expect(step(run.output, 'refresh')?.state).toBe('failed');
            expect(keys(world).sort()).toEqual([world.oldKeyId, run.output.newKeyId].sort());
            // The pause between the two verification successes, then the wait for Graph's lag before the sweep.
            expect(run.timers).toHaveLength(2);
        });

        it('retries a retryable webhook failure with timers, up to three attempts', async () => {
            const { world, run } = await runScenario({
                world: { consumers: [webhook('api')] },
                arrange: (w) =>
                    void w.refresher.script('api', [
                        refreshFailed('HTTP 503', true),
                        refreshFailed('HTTP 503', true),
                        { ok: true, detail: 'refreshed' },
                    ]),
            });
            expect(run.output.status).toBe('Completed');
            expect(world.refresher.callsFor('api')).toBe(3);
            const refreshIdx = run.actions
                .map((a, i) => ({ a, i }))
                .filter(({ a }) => a.kind === 'activity' && a.name === A.refreshConsumer)
                .map(({ i }) => i);
            expect(run.actions[refreshIdx[0]! + 1]?.kind).toBe('timer');
            expect(run.actions[refreshIdx[1]! + 1]?.kind).toBe('timer');
        });

        it('gives up on a webhook after three retryable failures and keeps the old credential', async () => {
            const { world, run } = await runScenario({
                world: { consumers: [webhook('api')] },
                arrange: (w) => void w.refresher.script('api', [refreshFailed('HTTP 503', true)]),
            });
            expect(world.refresher.callsFor('api')).toBe(3);
            expect(run.output.status).toBe('AttentionRequired');
            expect(keys(world)).toContain(world.oldKeyId);
            expect(work(run)).not.toContain(A.deleteOldCredential);
        });

        it('polls a probe until it reports the new fingerprint', async () => {
            const { world, run } = await runScenario({
                world: { consumers: [probe('health', { intervalSeconds: 15, maxWaitSeconds: 120 })] },
                arrange: (w) =>
                    void w.refresher.script('health', [
                        refreshFailed('still reports the old fingerprint', true),
                        refreshFailed('still reports the old fingerprint', true),
                        { ok: true, detail: 'reports the new fingerprint' },
                    ]),
            });
            expect(run.output.status).toBe('Completed');
            expect(world.refresher.callsFor('health')).toBe(3);
            expect(step(run.output, 'confirm')?.detail).toContain('probe: health reports the new fingerprint');
        });

        it('stops polling a probe at its maximum wait', async () => {
            const { world, run } = await runScenario({
                world: { consumers: [probe('health', { intervalSeconds: 15, maxWaitSeconds: 60 })] },
                arrange: (w) => void w.refresher.script('health', [refreshFailed('old fingerprint', true)]),
            });
            expect(run.output.status).toBe('AttentionRequired');
            expect(world.refresher.callsFor('health')).toBeGreaterThanOrEqual(4);
            expect(world.refresher.callsFor('health')).toBeLessThanOrEqual(6);
            expect(keys(world)).toContain(world.oldKeyId);
        });

        // Regression: confirm once counted configured probes, so a failed `continue` probe was claimed as evidence.
        it('confirm evidence counts only probes that reported the new fingerprint', async () => {
            const { world, run } = await runScenario({
                world: {
                    consumers: [probe('health', { intervalSeconds: 15, maxWaitSeconds: 30, onFailure: 'continue' })],
                },
                arrange: (w) => void w.refresher.script('health', [refreshFailed('reports the old fingerprint', true)]),
            });
            expect(world.refresher.callsFor('health')).toBeGreaterThan(1);
            // Nothing else shows the new key in use, so the old key stays.
            expect(run.output.status).toBe('AttentionRequired');
            expect(run.output.reason?.code).toBe('no_switch_evidence');
            expect(step(run.output, 'confirm')).toMatchObject({ state: 'failed' });
            expect(run.output.evidence.filter((e) => e.kind === 'newKeyInUse')).toEqual([]);
            expect(keys(world)).toContain(world.oldKeyId);
        });

        it('confirm evidence names the probes that reported the new fingerprint', async () => {
            const { run } = await runScenario(scenarios.happy!);
            expect(step(run.output, 'confirm')?.detail).toContain(
                `probe: api-health reports the new fingerprint ${run.output.newFingerprint}`,
            );
            expect(run.output.evidence).toContainEqual(
                expect.objectContaining({ source: 'probe', kind: 'newKeyInUse' }),
            );
        });

        it('a continue consumer failure is recorded and the rotation completes', async () => {
            const { world, run } = await runScenario(scenarios.continueConsumer!);
            expect(world.refresher.calls.map((c) => c.consumer)).toEqual(['cache', 'api']);
            expect(run.output.status).toBe('Completed');
            expect(step(run.output, 'refresh')?.detail).toContain('cache: failed (HTTP 404)');
            expect(keys(world)).toEqual([run.output.newKeyId]);
        });
    });

    describe('usage gate', () => {
        it('still in use: rechecks maxChecks times with timers, then needs attention and deletes nothing', async () => {
            const { world, run } = await runScenario(scenarios.stillInUse!);
            const checks = run.actions.filter((a) => a.kind === 'activity' && a.name === A.readSignInEvidence);
            expect(checks).toHaveLength(3);
            const reads = run.attempts.filter((a) => a.name === A.readSignInEvidence).map((a) => Date.parse(a.at));
            // A 24 h re-check timer (plus the log latency after the gate's own sign-in) between checks.
            expect(reads[1]! - reads[0]!).toBeGreaterThanOrEqual(24.5 * 3_600_000);
            expect(reads[1]! - reads[0]!).toBeLessThan(24.5 * 3_600_000 + 60_000);
            expect(work(run)).not.toContain(A.deleteOldCredential);
            expect(run.output.status).toBe('AttentionRequired');
            expect(run.output.reason?.code).toBe('still_in_use');
            expect(keys(world)).toContain(world.oldKeyId);
            expect(world.notifier.types().filter((t) => t === 'Rotation.OldCredentialInUse')).toHaveLength(3);
        });

        // Regression (defect 1): each check once looked only at the last (latency + token lifetime) window, so a
        // consumer seen on the old key earlier in the grace period was forgotten by a later check.
        it('old-key use seen anywhere after the switch keeps the key on every later check', async () => {
            const { world, run } = await runScenario(scenarios.inUseThenStops!);
            expect(run.actions.filter((a) => a.kind === 'activity' && a.name === A.readSignInEvidence)).toHaveLength(3);
            expect(run.output.status).toBe('AttentionRequired');
            expect(run.output.reason?.code).toBe('still_in_use');
            expect(keys(world)).toContain(world.oldKeyId);
        });

        it('only counts sign-ins after the switch, never before publication', async () => {
            const { run } = await runScenario({
                world: { consumers: [webhook('api')], policy: { gracePeriodDays: 0 } },
                // Heavy use right up to publication must not hold the gate forever.
                arrange: (w) => w.signIns.useContinuously(APP_ID, w.oldKeyId, addHours(new Date(START), -48), START),
            });
            expect(run.output.status).toBe('Completed');
            const publishAt = run.attempts.find((a) => a.name === A.publishCredential)!.at;
            for (const q of gateQueries(run))
                for (const k of q.keys) expect(Date.parse(k.since)).toBeGreaterThanOrEqual(Date.parse(publishAt));
        });

        it('defect 6: enrolled key not on the app: fails at preflight and creates nothing (no silent "Completed")', async () => {
            const { world, run } = await runScenario(scenarios.oldKeyAbsent!);
            expect(work(run)).not.toContain(A.createCredential);
            expect(run.output.status).toBe('Failed');
            expect(step(run.output, 'preflight')?.state).toBe('failed');
            expect(run.output.findings.map((f) => f.code)).toContain('key_not_on_app');
            expect(world.directory.credentialsOf(APP_ID)).toEqual([]);
        });
    });

    describe('evidence rules (gate and confirm)', () => {
        const PUBLISH_PLUS = (hours: number) => addHours(new Date(START), hours);

        it('defect 1: a consumer that signs in with the old key once, 10 h after publication, keeps its key', async () => {
            const { world, run } = await runScenario({
                world: { consumers: [webhook('api')] },
                arrange: (w) => w.signIns.record(APP_ID, w.oldKeyId, PUBLISH_PLUS(10)),
            });
            expect(run.output.status).toBe('AttentionRequired');
            expect(run.output.reason?.code).toBe('still_in_use');
            expect(work(run)).not.toContain(A.deleteOldCredential);
            expect(keys(world)).toContain(world.oldKeyId);
            expect(run.output.evidence).toContainEqual(expect.objectContaining({ kind: 'oldKeyInUse' }));
        });

        it('old-key sign-ins before consumers were expected to switch (refresh + one token lifetime) do not count', async () => {
            const { run } = await runScenario({
                world: { consumers: [webhook('api')] },
                // 30 minutes after publication: still inside the token lifetime (90 min) after the refresh.
                arrange: (w) => w.signIns.record(APP_ID, w.oldKeyId, addMinutes(new Date(START), 30)),
            });
            expect(run.output.status).toBe('Completed');
        });

        it('defect 2: a failed or throttled read is "not proven": it waits, re-checks and never deletes on it', async () => {
            const { world, run } = await runScenario({
                world: { consumers: [webhook('api')] },
                arrange: (w) => w.signIns.failNext(new Error('throttled: graph read sign-in logs (HTTP 429)'), 3),
            });
            expect(run.output.status).toBe('AttentionRequired');
            expect(run.output.reason?.code).toBe('usage_not_proven');
            expect(run.output.reason?.message).toContain('HTTP 429');
            expect(work(run)).not.toContain(A.deleteOldCredential);
            expect(keys(world)).toContain(world.oldKeyId);
        });

        it('a throttled read waits for Retry-After on a durable timer and reads again, without spending a check', async () => {
            const { world, run } = await runScenario({
                world: { consumers: [webhook('api')] },
                arrange: (w) => w.signIns.failNext(throttledError('graph read sign-in logs (HTTP 429)', 30_000), 2),
            });
            expect(run.output.status).toBe('Completed');
            expect(run.attempts.filter((a) => a.name === A.readSignInEvidence)).toHaveLength(3);
            expect(world.signIns.feedQueries).toHaveLength(3);
            expect(keys(world)).toEqual([run.output.newKeyId]);
        });

        it('a read still throttled after a day of waiting is "not proven" and re-checked, never a failed rotation', async () => {
            const { world, run } = await runScenario({
                world: { consumers: [webhook('api')] },
                arrange: (w) =>
                    w.signIns.failNext(throttledError('graph read sign-in logs (HTTP 429)', 30 * 3_600_000), 1),
            });
            expect(run.output.status).toBe('Completed');
            expect(run.actions.filter((a) => a.kind === 'activity' && a.name === A.readSignInEvidence)).toHaveLength(2);
            expect(keys(world)).toEqual([run.output.newKeyId]);
        });

        it('a read that fails once is re-checked later and the rotation completes', async () => {
            const { world, run } = await runScenario({
                world: { consumers: [webhook('api')] },
                arrange: (w) => w.signIns.failNext(new Error('unavailable: graph read sign-in logs (HTTP 503)'), 1),
            });
            expect(run.actions.filter((a) => a.kind === 'activity' && a.name === A.readSignInEvidence)).toHaveLength(2);
            expect(run.output.status).toBe('Completed');
            expect(keys(world)).toEqual([run.output.newKeyId]);
        });

        it("defect 9: a log that has not ingested the rotator's own sign-in proves nothing; the gate waits for it", async () => {
            const { world, run } = await runScenario({
                world: { consumers: [webhook('api')] },
                arrange: (w) => {
                    w.signIns.ingestionLatencyMs = 4 * 3_600_000;
                    // The pinned consumer signs in hourly on the old key from 8 days on: with a 4 h lag the first
                    // check sees none of it.
                    w.signIns.useContinuously(APP_ID, w.oldKeyId, addDays(new Date(START), 7));
                },
            });
            const details = world.notifier.events.map((e) => e.data.detail).filter(Boolean);
            expect(run.output.status).toBe('AttentionRequired');
            expect(run.output.reason?.code).toBe('still_in_use');
            expect(keys(world)).toContain(world.oldKeyId);
            expect(details.length).toBeGreaterThan(0);
        });

        it('defect 9: with a 4 h lag and nothing using the old key, the gate waits for the log and then completes', async () => {
            const { world, run } = await runScenario({
                world: { consumers: [webhook('api')] },
                arrange: (w) => void (w.signIns.ingestionLatencyMs = 4 * 3_600_000),
            });
            expect(run.actions.filter((a) => a.kind === 'activity' && a.name === A.readSignInEvidence)).toHaveLength(2);
            expect(run.output.status).toBe('Completed');
            expect(keys(world)).toEqual([run.output.newKeyId]);
            const quiet = run.output.evidence.find((e) => e.kind === 'oldKeyQuiet');
            expect(quiet?.detail).toContain("log proven complete to there by the rotator's own sign-in");
        });

        it("defect 4: without a probe or consumer sign-ins with the new key, the old key stays (the rotator's own sign-ins do not count)", async () => {
            const { world, run } = await runScenario({ world: { consumers: [webhook('api')], silentConsumers: true } });
            expect(run.output.status).toBe('AttentionRequired');
            expect(run.output.reason?.code).toBe('no_switch_evidence');
            expect(run.output.reason?.message).toContain('rotation-evidence=none-accepted');
            expect(step(run.output, 'confirm')?.state).toBe('failed');
            expect(keys(world)).toContain(world.oldKeyId);
            expect(world.notifier.types().at(-1)).toBe('Rotation.AttentionRequired');
        });

        it('defect 4: the operator tag rotation-evidence=none-accepted lets the sign-in log decide alone, and is recorded', async () => {
            const { world, run } = await runScenario({
                world: {
                    consumers: [webhook('api')],
                    silentConsumers: true,
                    liveTags: { 'rotation-evidence': 'none-accepted' },
                },
            });
            expect(run.output.status).toBe('Completed');
            expect(keys(world)).toEqual([run.output.newKeyId]);
            expect(run.output.evidence).toContainEqual(
                expect.objectContaining({ source: 'tag', kind: 'noEvidenceAccepted' }),
            );
            expect(step(run.output, 'confirm')).toMatchObject({ state: 'succeeded' });
        });

        it('defect 4: consumer sign-ins with the new key are recorded as the evidence of the switch', async () => {
            const { run } = await runScenario({ world: { consumers: [webhook('api')] } });
            expect(run.output.status).toBe('Completed');
            const proof = run.output.evidence.find((e) => e.kind === 'newKeyInUse');
            expect(proof).toMatchObject({ source: 'signInLog' });
            expect(proof?.detail).toContain(`with the new key ${run.output.newKeyId} by consumers`);
        });

        it('defect 5: an orchestrator that wakes after the propagation deadline still tries again', async () => {
            const { world, run } = await runScenario(
                {
                    world: { consumers: [webhook('api')], propagationTimeoutSeconds: 60 },
                    arrange: (w) => void w.verifier.failWith(7000215, 1),
                },
                // Every activity "takes" 2 minutes: the first failed attempt returns past the 60 s deadline.
                { activityLatencyMs: 120_000 },
            );
            expect(run.output.status).toBe('Completed');
            const verifies = beforePublish(run).filter((a) => a.kind === 'activity' && a.name === A.verifyCredential);
            expect(verifies).toHaveLength(3);
            expect(world.verifier.calls.length).toBeGreaterThanOrEqual(3);
        });

        it('defect 5: one success is not enough; a failure after it resets the count', async () => {
            const { world, run } = await runScenario({
                world: { consumers: [webhook('api')] },
                arrange: (w) => {
                    w.verifier.failWith(7000215, 1);
                },
                hook: () => {
                    let calls = 0;
                    return (name, _input, w) => {
                        if (name !== A.verifyCredential) return;
                        calls += 1;
                        // attempt 1 fails (scripted), 2 succeeds, 3 fails again, then 4 and 5 succeed.
                        if (calls === 3) w.verifier.failWith(7000215, 1);
                    };
                },
            });
            expect(run.output.status).toBe('Completed');
            expect(step(run.output, 'verifyNew')?.detail).toContain('2 times in a row, last on attempt 5');
            expect(world.verifier.calls.length).toBe(6);
        });
    });

    describe('dry run and early failures', () => {
        it('an invalid orchestration input fails before any activity, without echoing the input', async () => {
            const world = createWorld();
            const canary = 'CANARY-IN-REASON-0123456789';
            await expect(
                driveRotation(world, { input: rotationInput({ vaultUrl: 'http://insecure.example', reason: canary }) }),
            ).rejects.toSatisfy((e: unknown) => e instanceof Error && !e.message.includes(canary));
            await expect(driveRotation(world, { input: rotationInput({ secretName: 'bad/name' }) })).rejects.toThrow();
            expect(world.directory.calls).toEqual([]);
            expect(world.vault.calls).toEqual([]);
        });

        it('dry run: only preflight, status DryRun, no events, nothing changed', async () => {
            const { world, run } = await runScenario(scenarios.dryRun!);
            expect(run.activities.filter((n) => n !== A.recordHistory)).toEqual([A.preflight]);
            expect(run.timers).toEqual([]);
            expect(run.output.status).toBe('DryRun');
            expect(run.output.plan?.newCredential.lifetimeDays).toBe(180);
            expect(step(run.output, 'preflight')?.state).toBe('succeeded');
            expect(world.notifier.events).toEqual([]);
            expect(world.vault.writes()).toEqual([]);
            expect(world.directory.calls.map((c) => c.method)).toEqual(['getApplicationByAppId']);
        });

        it('dry run reports what would block, still without events', async () => {
            const { world, run } = await runScenario({
                world: { consumers: [webhook('api')], otherCredentials: 4 },
                input: { dryRun: true },
            });
            expect(run.output.status).toBe('DryRun');
            expect(step(run.output, 'preflight')?.state).toBe('failed');
            expect(run.output.findings.map((f) => f.code)).toContain('credential_limit_reached');
            expect(world.notifier.events).toEqual([]);
        });

        // Regression: a dry run whose preflight activity failed once emitted Rotation.Failed.
        it('a dry run whose preflight cannot run still announces nothing', async () => {
            const { world, run } = await runScenario({
                world: { consumers: [webhook('api')] },
                input: { dryRun: true },
                hook: vaultDownDuring(A.preflight, 'getLatest'),
            });
            expect(run.attempts.filter((a) => a.name === A.preflight)).toHaveLength(4);
            expect(run.activities.filter((n) => n !== A.recordHistory)).toEqual([A.preflight]);
            expect(world.notifier.events).toEqual([]);
        });

        it('a blocking preflight finding fails the rotation before anything changes', async () => {
            const { world, run } = await runScenario({ world: { consumers: [webhook('api')], otherCredentials: 4 } });
            expect(work(run)).toEqual([A.preflight]);
            expect(run.output.status).toBe('Failed');
            expect(run.output.reason?.code).toBe('credential_limit_reached');
            expect(world.notifier.types()).toEqual(['Rotation.Failed']);
            expect(world.directory.calls.map((c) => c.method)).toEqual(['getApplicationByAppId']);
        });

        it('a lifetime-policy rejection fails the rotation at create and leaves no credential', async () => {
            const { world, run } = await runScenario({
                world: { consumers: [webhook('api')] },
                arrange: (w) => void (w.directory.maxLifetimeDays = 90),
            });
            expect(run.output.status).toBe('Failed');
            expect(run.output.reason?.code).toBe('lifetime_policy_violation');
            expect(keys(world)).toEqual([world.oldKeyId]);
        });

        it('a lost addPassword response is retried into exactly one new credential', async () => {
            const { world, run } = await runScenario(scenarios.lostResponse!);
            expect(run.attempts.filter((a) => a.name === A.createCredential).map((a) => a.ok)).toEqual([false, true]);
            expect(run.output.status).toBe('Completed');
            expect(keys(world)).toEqual([run.output.newKeyId]);
            expect(step(run.output, 'create')?.detail).toContain('removed orphan');
        });

        it('an orphan left by a crashed create is removed and the rotation ends with one new credential', async () => {
            const orphan = credentialDisplayName(ROTATION_ID);
            const { world, run } = await runScenario(scenarios.orphanFromCrash!);
            expect(run.output.status).toBe('Completed');
            expect(world.directory.credentialsOf(APP_ID).filter((c) => c.displayName === orphan)).toHaveLength(1);
            expect(keys(world)).toEqual([run.output.newKeyId]);
            expect(step(run.output, 'create')?.detail).toMatch(/removed orphan\(s\) [0-9a-f-]{36}/);
        });

        it('a publish whose stash clean-up failed once is finished by the retry', async () => {
            const { world, run } = await runScenario(scenarios.publishCleanupRetried!);
            expect(run.attempts.filter((a) => a.name === A.publishCredential).map((a) => a.ok)).toEqual([false, true]);
            expect(run.output.status).toBe('Completed');
            expect(world.vault.peek(VAULT_URL, SECRET_NAME)).toMatchObject({
                versions: 2,
                version: run.output.newSecretVersion,
            });
            expect(world.vault.peek(VAULT_URL, pendingSecretName(SECRET_NAME))).toBeUndefined();
        });

        // Regression: every create attempt losing the addPassword response once left the last credential behind.
        it('create failing past its retries leaves no orphan credential behind', async () => {
            const { world, run } = await runScenario({
                world: { consumers: [webhook('api')] },
                arrange: (w) => {
                    for (let i = 0; i < 4; i++) w.directory.loseNextAddPasswordResponse();
                },
            });
            expect(run.attempts.filter((a) => a.name === A.createCredential)).toHaveLength(4);
            expect(run.output.status).not.toBe('Completed');
            expect(marked(world)).toEqual([]);
        });

        it('a stash that never succeeds fails the rotation with no credential left behind', async () => {
            const { world, run } = await runScenario(scenarios.stashFailure!);
            expect(run.attempts.filter((a) => a.name === A.createCredential)).toHaveLength(4);
            expect(run.output.status).toBe('Failed');
            expect(keys(world)).toEqual([world.oldKeyId]);
        });

        it('a publish that never succeeds needs attention and keeps the old credential', async () => {
            const { world, run } = await runScenario(scenarios.publishFailure!);
            expect(run.output.status).toBe('AttentionRequired');
            expect(run.output.reason?.code).toBe('unavailable');
            expect(keys(world)).toContain(world.oldKeyId);
            expect(world.vault.peek(VAULT_URL, SECRET_NAME)?.fingerprint).toBe(world.oldFingerprint);
        });

        it('a dead event topic does not stop a rotation; it becomes a finding', async () => {
            const { run } = await runScenario({
                world: { consumers: [webhook('api')] },
                arrange: (w) => w.notifier.failures.failNext('publish', unavailable('topic unavailable'), 4),
            });
            expect(run.output.status).toBe('Completed');
            expect(run.output.findings).toContainEqual(
                expect.objectContaining({ severity: 'warning', code: 'notification_failed' }),
            );
        });
    });
});
