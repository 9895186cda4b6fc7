import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { NO_EVIDENCE_SOURCE } from '../sandbox/seedTenant';
import { type RotationView, World } from './support/world';

const HOUR = 3_600;

interface RecordView {
    id: string;
    rotationId: string;
    status: string;
    final: boolean;
    trigger: string;
    reason: string;
    startedBy: { objectId: string | null; appId: string | null; name: string | null } | null;
    outcome: { code: string; message: string } | null;
    newKeyId: string | null;
    oldKeyId: string | null;
    steps: { name: string; state: string }[];
    evidence: { source: string; kind: string; detail: string }[];
    waiver: {
        by: { objectId: string | null; appId: string | null; name: string | null };
        at: string;
        reason: string;
    } | null;
    awaiting: unknown;
}

type Waiting = RotationView & { awaiting?: { action: string; until: string } | null };

/**
 * Polls a rotation until `done`. The virtual clock moves an hour while the rotation sleeps on a durable timer
 * (grace, log latency, re-checks), never while it waits for its turn at the shared sign-in read: that read runs on
 * real time, and jumping the clock over it would exhaust the quota wait, which Azure's clock never does.
 */
async function follow(world: World, id: string, done: (view: Waiting) => boolean): Promise<Waiting> {
    const deadline = Date.now() + 180_000;
    let view = (await world.rotation(id)) as Waiting;
    while (!done(view)) {
        if (Date.now() > deadline) throw new Error(`rotation ${id} did not settle: ${JSON.stringify(view.steps)}`);
        // `confirm` shows "waiting" for evidence the whole time: it is no timer.
        const sleeping = view.steps.some(
            (s) => s.state === 'waiting' && s.name !== 'confirm' && !/^waiting for quota/.test(s.detail),
        );
        if (sleeping && !view.awaiting) await world.emu.advanceClock(HOUR);
        await new Promise((r) => setTimeout(r, 250));
        view = await world.rotation(id);
    }
    return view;
}

/**
 * Issue 12 defects 4 and 7 from outside: every rotation keeps its own immutable record, listable per secret and
 * readable after the Durable instance is purged; an operator's "accept no evidence" through the API takes a
 * no_switch_evidence rotation to the delete, and the record says who, when and why.
 */
describe('rotation history and the operator waiver through the local host against the tenant emulator', () => {
    let world: World;

    beforeAll(async () => {
        world = await World.start({
            apps: [
                { displayName: 'twice', expiresInDays: 10, secretName: 'twice-secret', tags: NO_EVIDENCE_SOURCE },
                // No consumer and no waiver tag: nothing can show the new key in use.
                { displayName: 'quiet', expiresInDays: 10, secretName: 'quiet-secret' },
            ],
            settings: { GRACE_PERIOD_DAYS: '1', USAGE_GATE_RECHECK_HOURS: '2' },
        });
    }, 180_000);

    afterAll(async () => {
        await world?.close();
    });

    it('two consecutive rotations of one secret: both records are listed with their outcomes, and outlive a purge of the Durable instance', async () => {
        const first = await world.startRotation('twice-secret', { reason: 'first of two' });
        const one = await world.waitForRotation(first, { advanceSeconds: HOUR, timeoutMs: 120_000 });
        expect(one.status).toBe('Completed');
        const second = await world.startRotation('twice-secret', { reason: 'second of two' });
        expect(second).not.toBe(first);
        const two = await world.waitForRotation(second, { advanceSeconds: HOUR, timeoutMs: 120_000 });
        expect(two.status).toBe('Completed');

        const list = await world.api<{ items: RecordView[]; total: number }>(
            'GET',
            '/api/secrets/twice-secret/rotations',
        );
        expect(list.status).toBe(200);
        expect(list.body.total).toBe(2);
        expect(list.body.items.map((r) => [r.id, r.status, r.final, r.reason])).toEqual([
            [second, 'Completed', true, 'second of two'],
            [first, 'Completed', true, 'first of two'],
        ]);
        const [latest, earlier] = list.body.items as [RecordView, RecordView];
        expect(latest.oldKeyId).toBe(earlier.newKeyId);
        expect(earlier.startedBy?.appId).toBe(world.tenant.operator.clientId);
        expect(latest.steps.find((s) => s.name === 'deleteOld')?.state).toBe('succeeded');

        // Operators purge instance history; the record stays.
        const purge = await fetch(
            `${world.host.baseUrl}/runtime/webhooks/durabletask/instances/${encodeURIComponent(first)}`,
            { method: 'DELETE', headers: { 'x-functions-key': world.host.keys.systemKeys.durabletask_extension } },
        );
        expect(purge.status).toBe(200);
        expect((await world.api('GET', `/api/rotations/${encodeURIComponent(first)}`)).status).toBe(404);
        const kept = await world.api<RecordView>(
            'GET',
            `/api/secrets/twice-secret/rotations/${encodeURIComponent(earlier.rotationId)}`,
        );
        expect(kept.status).toBe(200);
        expect(kept.body).toMatchObject({ id: first, status: 'Completed', final: true, reason: 'first of two' });
        const all = await world.api<{ items: RecordView[] }>('GET', '/api/rotations/history?top=10');
        expect(all.body.items.map((r) => r.id)).toEqual(expect.arrayContaining([first, second]));

        // References only: neither the old nor the current value appears in any record.
        const current = await world.secretValue('twice-secret');
        expect(current).toBeDefined();
        for (const text of [list.text, kept.text, all.text]) {
            expect(text).not.toContain(current!.value);
            expect(text).not.toContain(world.app('twice').clientSecret);
        }
    }, 300_000);

    it('accepting "no evidence" through the API takes an AttentionRequired no_switch_evidence rotation to the delete, with the waiver in the record', async () => {
        const app = world.app('quiet');
        const id = await world.startRotation('quiet-secret', { reason: 'waiver path' });
        const waiting = await follow(world, id, (v) => v.status !== 'Running' && v.status !== 'Pending');
        expect(waiting.status).toBe('AttentionRequired');
        expect(waiting.outcome?.code, JSON.stringify({ outcome: waiting.outcome, steps: waiting.steps })).toBe(
            'no_switch_evidence',
        );
        expect(waiting.awaiting).toMatchObject({ action: 'acceptNoEvidence' });
        expect((await world.passwords(app.appId)).map((p) => p.keyId)).toContain(app.keyId);
        const offered = (await world.events()).find(
            (e) => e.type === 'Rotation.AttentionRequired' && e.data.rotationId === id.split('@').pop(),
        );
        expect(offered?.data.awaitingOperatorUntil).toBe(waiting.awaiting?.until);

        // Bad input and a missing role change nothing.
        const path = `/api/rotations/${encodeURIComponent(id)}/accept-no-evidence`;
        const noReason = await world.api<{ error: { code: string } }>('POST', path, {});
        expect([noReason.status, noReason.body.error.code]).toEqual([400, 'invalid_request']);
        expect((await world.api('POST', path, { reason: 'x' }, null)).status).toBe(401);
        const unknown = await world.api<{ error: { code: string } }>(
            'POST',
            `/api/rotations/${encodeURIComponent(`${id.slice(0, -4)}0000`)}/accept-no-evidence`,
            { reason: 'x' },
        );
        expect(unknown.status).toBe(404);
        const still = (await world.rotation(id)) as Waiting;
        expect(still.status).toBe('AttentionRequired');
        expect(still.awaiting).toMatchObject({ action: 'acceptNoEvidence' });

        const accepted = await world.api<{ accepted: boolean }>('POST', path, {
            reason: 'the batch consumer has no probe; CHG-4711',
        });
        expect(accepted.status).toBe(202);

        // The rotation continues: one more usage check (advancing the virtual clock while it waits), then the delete.
        const view = await follow(world, id, (v) => v.status !== 'Running' && v.status !== 'Pending' && !v.awaiting);
        expect(view.status, JSON.stringify({ outcome: view.outcome, steps: view.steps })).toBe('Completed');
        expect((await world.passwords(app.appId)).map((p) => p.keyId)).toEqual([view.newKeyId]);

        const again = await world.api<{ error: { code: string } }>('POST', path, { reason: 'twice' });
        expect([again.status, again.body.error.code]).toEqual([409, 'not_awaiting_waiver']);

        const records = await world.api<{ items: RecordView[] }>('GET', '/api/secrets/quiet-secret/rotations');
        const record = records.body.items.find((r) => r.id === id);
        expect(record).toMatchObject({
            status: 'Completed',
            final: true,
            awaiting: null,
            waiver: {
                by: { appId: world.tenant.operator.clientId },
                reason: 'the batch consumer has no probe; CHG-4711',
            },
        });
        expect(record?.evidence).toContainEqual(
            expect.objectContaining({ source: 'operator', kind: 'noEvidenceAccepted' }),
        );
        expect(record?.steps.find((s) => s.name === 'deleteOld')?.state).toBe('succeeded');
    }, 300_000);
});
