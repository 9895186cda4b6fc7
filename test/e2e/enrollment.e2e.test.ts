import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { vaultResourceId } from '../emulator/keyvault/vault';
import { NO_EVIDENCE_SOURCE, OPERATOR_API_URI } from '../sandbox/seedTenant';
import { postToWebhook, rotations, settle } from './support/triggers';
import { World } from './support/world';

const MADE_UP_KEY = '11111111-2222-3333-4444-555555555555';

interface BindingView {
    vaultUrl: string;
    secretName: string;
    appId: string;
    keyId: string;
    reason: string;
    enrolledBy: { kind: string; objectId: string | null; appId: string | null };
    lastRotationId: string | null;
}

interface HistoryView {
    seq: number;
    action: string;
    secretName: string;
    keyId: string;
    previousKeyId: string | null;
    reason: string;
    actor: { kind: string; objectId: string | null };
}

type ErrorBody = { error: { code: string; message: string } };

/**
 * Who may rotate what, end to end: enrollment through the operator API is the only way a secret becomes managed.
 * The confused-deputy attack (a vault writer tags its own secret with an application the rotator owns) creates
 * nothing, and is announced.
 */
describe('enrollment through the local host against the tenant emulator', () => {
    let world: World;
    let writer: { clientId: string; clientSecret: string };
    let topic: string;

    beforeAll(async () => {
        world = await World.start({
            apps: [
                { displayName: 'payroll', expiresInDays: 100, secretName: 'payroll-secret', tags: NO_EVIDENCE_SOURCE },
                { displayName: 'tampered', expiresInDays: 100, secretName: 'tampered-secret' },
                { displayName: 'legacy', expiresInDays: 100, secretName: 'legacy-secret' },
                { displayName: 'foreign', expiresInDays: 100 },
            ],
            // legacy-secret is tagged like before enrollment existed: only the import may enroll it.
            enroll: (app) => app.displayName !== 'legacy',
        });
        topic = vaultResourceId(world.emu.descriptor.baseUrl);
        const seeded = await world.emu.expectOk(
            world.emu.call<{ applications: { appId: string; clientSecret: string }[] }>(
                'POST',
                '/_emulator/entra/seed',
                {
                    applications: [
                        {
                            displayName: 'rotation-writer',
                            roles: [
                                { resource: OPERATOR_API_URI, role: 'Rotation.Read' },
                                { resource: OPERATOR_API_URI, role: 'Rotation.Write' },
                            ],
                        },
                    ],
                },
            ),
            'seeding an operator without Rotation.Admin',
        );
        writer = { clientId: seeded.applications[0]!.appId, clientSecret: seeded.applications[0]!.clientSecret };
    }, 180_000);

    afterAll(async () => {
        await world?.close();
    });

    async function putSecret(name: string, value: string, tags: Record<string, string>, expDays = 5): Promise<string> {
        const token = await world.emu.adminToken('https://vault.azure.net/.default');
        const res = await world.emu.expectOk(
            world.emu.call<{ id: string }>(
                'PUT',
                `/secrets/${name}?api-version=7.5`,
                { value, attributes: { exp: Math.floor(Date.now() / 1000) + expDays * 86_400 }, tags },
                { authorization: `Bearer ${token}` },
            ),
            `writing ${name}`,
        );
        return res.id.split('/').pop() ?? '';
    }

    function nearExpiry(secretName: string, version: string): object {
        return {
            id: randomUUID(),
            topic,
            subject: secretName,
            eventType: 'Microsoft.KeyVault.SecretNearExpiry',
            eventTime: new Date().toISOString(),
            dataVersion: '1',
            metadataVersion: '1',
            data: {
                Id: `${world.emu.descriptor.vaultUrl}/secrets/${secretName}/${version}`,
                VaultName: 'localhost',
                ObjectType: 'Secret',
                ObjectName: secretName,
                Version: version,
                NBF: null,
                EXP: null,
            },
        };
    }

    const bindings = async () => (await world.api<{ items: BindingView[] }>('GET', '/api/bindings?top=100')).body.items;
    const mismatches = async (secretName: string) =>
        (await world.events()).filter(
            (e) => e.type === 'Credential.BindingMismatch' && e.data.secretName === secretName,
        );

    it('the attack: a tagged but unenrolled secret gets no credential from an event, and the mismatch is announced', async () => {
        const payroll = world.app('payroll');
        const version = await putSecret('team-b-secret', 'junk', {
            'entra-app-id': payroll.appId,
            'entra-key-id': MADE_UP_KEY,
        });
        expect(await postToWebhook(world, [nearExpiry('team-b-secret', version)])).toBe(202);
        await settle(1_500);

        expect((await rotations(world)).filter((r) => r.secretName === 'team-b-secret')).toEqual([]);
        expect((await world.passwords(payroll.appId)).map((p) => p.keyId)).toEqual([payroll.keyId]);
        expect((await world.secretValue('team-b-secret'))?.value).toBe('junk');
        const [announced] = await mismatches('team-b-secret');
        expect(announced?.data).toMatchObject({
            enrolled: false,
            taggedAppId: payroll.appId,
            taggedKeyId: MADE_UP_KEY,
            source: 'keyVaultEvent',
        });
        // Nor may the API start it.
        const res = await world.api<ErrorBody>('POST', '/api/rotations', { secretName: 'team-b-secret' });
        expect([res.status, res.body.error.code]).toEqual([404, 'not_enrolled']);
    });

    it('an enrolled secret whose tags were changed to another credential is refused and announced', async () => {
        const app = world.app('tampered');
        const live = await world.secretValue('tampered-secret');
        const version = await putSecret('tampered-secret', live!.value, {
            'entra-app-id': app.appId,
            'entra-key-id': MADE_UP_KEY,
        });
        expect(await postToWebhook(world, [nearExpiry('tampered-secret', version)])).toBe(202);
        await settle(1_500);
        expect((await rotations(world)).filter((r) => r.secretName === 'tampered-secret')).toEqual([]);
        const res = await world.api<ErrorBody>('POST', '/api/rotations', { secretName: 'tampered-secret' });
        expect([res.status, res.body.error.code]).toEqual([409, 'binding_mismatch']);
        expect((await world.passwords(app.appId)).map((p) => p.keyId)).toEqual([app.keyId]);
        const announced = await mismatches('tampered-secret');
        expect(announced.map((e) => e.data.source).sort()).toEqual(['api', 'keyVaultEvent']);
        expect(announced[0]?.data).toMatchObject({
            enrolled: true,
            enrolledKeyId: app.keyId,
            taggedKeyId: MADE_UP_KEY,
        });
        // The binding itself did not move.
        expect((await bindings()).find((b) => b.secretName === 'tampered-secret')?.keyId).toBe(app.keyId);
    });

    it('enrolling checks the key, the ownership and the role, and changes nothing when refused', async () => {
        const payroll = world.app('payroll');
        const before = await bindings();
        const enroll = (body: object, token?: string | null) =>
            world.api<ErrorBody>('POST', '/api/bindings', { reason: 'test', ...body }, token);
        const teamB = { secretName: 'team-b-secret', appId: payroll.appId };
        // Its tags (written by the attacker above) contradict an enrollment for payroll's real key.
        expect((await enroll({ ...teamB, keyId: payroll.keyId })).body.error.code).toBe('binding_mismatch');
        await putSecret('team-b-secret', 'junk', {});
        const refused = [
            [await enroll({ ...teamB, keyId: MADE_UP_KEY }), 422, 'key_not_found'],
            // The rotator does not own this app: it could never rotate it.
            [
                await enroll({ ...teamB, appId: world.app('foreign').appId, keyId: world.app('foreign').keyId }),
                422,
                'not_owner',
            ],
            // payroll's credential is already held by payroll-secret.
            [await enroll({ ...teamB, keyId: payroll.keyId }), 409, 'already_enrolled'],
            [
                await enroll({ secretName: 'no-such-secret', appId: payroll.appId, keyId: payroll.keyId }),
                404,
                'not_found',
            ],
            [await enroll({ ...teamB, keyId: payroll.keyId, reason: '' }), 400, 'invalid_request'],
            [
                await enroll(
                    { ...teamB, keyId: payroll.keyId },
                    await world.emu.token(writer.clientId, writer.clientSecret, `${OPERATOR_API_URI}/.default`),
                ),
                403,
                'forbidden',
            ],
            [await enroll({ ...teamB, keyId: payroll.keyId }, null), 401, 'unauthorized'],
        ] as const;
        for (const [res, status, code] of refused) expect([res.status, res.body.error.code]).toEqual([status, code]);
        expect(await bindings()).toEqual(before);
    });

    it('import: a dry run lists what would be enrolled and changes nothing; the real run enrolls with the history', async () => {
        const before = await bindings();
        const dry = await world.api<{ dryRun: boolean; items: { secretName: string; outcome: string }[] }>(
            'POST',
            '/api/bindings/import',
            { reason: 'move to enrollment' },
        );
        expect(dry.status).toBe(200);
        expect(dry.body.dryRun).toBe(true);
        const outcome = (name: string) => dry.body.items.find((i) => i.secretName === name)?.outcome;
        expect(outcome('legacy-secret')).toBe('wouldEnroll');
        expect(outcome('payroll-secret')).toBe('alreadyEnrolled');
        expect(outcome('tampered-secret')).toBe('refused');
        expect(await bindings()).toEqual(before);

        const real = await world.api<{ items: { secretName: string; outcome: string }[] }>(
            'POST',
            '/api/bindings/import',
            {
                reason: 'move to enrollment',
                dryRun: false,
            },
        );
        expect(real.body.items.find((i) => i.secretName === 'legacy-secret')?.outcome).toBe('enrolled');
        const legacy = (await bindings()).find((b) => b.secretName === 'legacy-secret');
        expect(legacy).toMatchObject({ appId: world.app('legacy').appId, keyId: world.app('legacy').keyId });
        expect(legacy?.enrolledBy).toMatchObject({ kind: 'operator', appId: world.tenant.operator.clientId });
        expect(legacy?.reason).toBe('import: move to enrollment');
    });

    it('a rotation moves the binding to the new key; unenrolling stops the next one; the history keeps every step', async () => {
        const app = world.app('payroll');
        const id = await world.startRotation('payroll-secret');
        const done = await world.waitForRotation(id, { advanceSeconds: 86_400 });
        expect(done.status).toBe('Completed');
        const moved = (await bindings()).find((b) => b.secretName === 'payroll-secret');
        expect(moved).toMatchObject({ keyId: done.newKeyId, lastRotationId: expect.any(String) });

        const bad = await world.api<ErrorBody>('DELETE', '/api/bindings/payroll-secret');
        expect([bad.status, bad.body.error.code]).toEqual([400, 'invalid_request']);
        const gone = await world.api('DELETE', '/api/bindings/payroll-secret?reason=decommissioned');
        expect(gone.status).toBe(200);
        const again = await world.api<ErrorBody>('DELETE', '/api/bindings/payroll-secret?reason=twice');
        expect([again.status, again.body.error.code]).toEqual([404, 'not_enrolled']);
        const res = await world.api<ErrorBody>('POST', '/api/rotations', { secretName: 'payroll-secret' });
        expect([res.status, res.body.error.code]).toEqual([404, 'not_enrolled']);

        const history = (await world.api<{ items: HistoryView[] }>('GET', '/api/bindings/history?top=100')).body.items;
        const payroll = history.filter((h) => h.secretName === 'payroll-secret').reverse();
        expect(payroll.map((h) => h.action)).toEqual(['enrolled', 'rotated', 'unenrolled']);
        expect(payroll[1]).toMatchObject({
            keyId: done.newKeyId,
            previousKeyId: app.keyId,
            actor: { kind: 'rotator' },
        });
        expect(payroll[2]).toMatchObject({ reason: 'decommissioned', actor: { kind: 'operator' } });
        const seqs = history.map((h) => h.seq);
        expect([...seqs].sort((a, b) => b - a)).toEqual(seqs);
    });

    it('the CLI (npm run enroll) lists through the API with an operator token, and refuses bad usage with 2', async () => {
        const run = (args: string[], env: Record<string, string> = {}) =>
            promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/enroll.ts', ...args], {
                env: { ...process.env, ...env },
            }).then(
                (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
                (e: { code: number; stdout: string; stderr: string }) => e,
            );
        const listed = await run(['list', '--api', world.host.baseUrl], {
            ROTATOR_TOKEN: await world.operatorToken(),
        });
        expect(listed.code).toBe(0);
        const names = (JSON.parse(listed.stdout) as { items: BindingView[] }).items.map((b) => b.secretName);
        expect(names).toContain('legacy-secret');
        const usage = await run(['add', '--api', world.host.baseUrl, '--secret', 'x']);
        expect(usage.code).toBe(2);
        expect(usage.stderr).toMatch(/add needs --app-id/);
        expect((await run(['--help'])).stdout).toMatch(/usage: npm run enroll/);
    });
});
