import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type AppHost, startAppHost } from '../sandbox/appHost';
import { enrollSeeded } from '../sandbox/enroll';
import { OPERATOR_API_URI } from '../sandbox/seedTenant';
import { pendingSecretName } from '../../shared/rotation/markers';
import { vaultResourceId } from '../emulator/keyvault/vault';
import { eventually, postToWebhook, rotations, settle } from './support/triggers';
import { claimsOf, expiredCopy, forgedCopy } from './support/tokens';
import { type ApiResult, type RotationView, World } from './support/world';
import { NO_EVIDENCE_SOURCE } from '../sandbox/seedTenant';

const STATUSES = ['Pending', 'Running', 'Completed', 'Failed', 'AttentionRequired', 'Terminated'];
/** What a durable HTTP response would leak: management URLs and their keys. */
const MANAGEMENT = /statusQueryGetUri|sendEventPostUri|terminatePostUri|purgeHistoryDeleteUri|durabletask|code=/i;

type ErrorBody = { error: { code: string; message: string } };

function expectError(res: ApiResult, status: number, code?: string): void {
    expect(res.status, res.text).toBe(status);
    const body = res.body as ErrorBody;
    expect(typeof body.error.message).toBe('string');
    if (code) expect(body.error.code).toBe(code);
    else expect(typeof body.error.code).toBe('string');
}

/** The operator API end to end: Entra bearer tokens from the emulator's STS, validated by the app against JWKS. */
describe('operator API through the local host against the tenant emulator', () => {
    let world: World;
    let readOnly: { clientId: string; clientSecret: string };

    beforeAll(async () => {
        world = await World.start({
            apps: [
                { displayName: 'manual', expiresInDays: 100, secretName: 'manual-secret', tags: NO_EVIDENCE_SOURCE },
                { displayName: 'dry', expiresInDays: 100, secretName: 'dry-secret', tags: NO_EVIDENCE_SOURCE },
                { displayName: 'guarded', expiresInDays: 100, secretName: 'guarded-secret', tags: NO_EVIDENCE_SOURCE },
                { displayName: 'stash', expiresInDays: 100, secretName: 'stash-secret', tags: NO_EVIDENCE_SOURCE },
            ],
        });
        const seeded = await world.emu.expectOk(
            world.emu.call<{ applications: { appId: string; clientSecret: string }[] }>(
                'POST',
                '/_emulator/entra/seed',
                {
                    applications: [
                        {
                            displayName: 'read-only-operator',
                            roles: [{ resource: OPERATOR_API_URI, role: 'Rotation.Read' }],
                        },
                    ],
                },
            ),
            'seeding a read-only operator',
        );
        const [ro] = seeded.applications;
        readOnly = { clientId: ro!.appId, clientSecret: ro!.clientSecret };
        const token = await world.emu.adminToken('https://vault.azure.net/.default');
        await world.emu.expectOk(
            world.emu.call(
                'PUT',
                '/secrets/untagged-secret?api-version=7.5',
                { value: 'an-unmanaged-value' },
                { authorization: `Bearer ${token}` },
            ),
            'storing an unmanaged secret',
        );
    }, 180_000);

    afterAll(async () => {
        await world?.close();
    });

    /** Nothing happened to guarded-secret: no instance, no new credential, same secret version. */
    async function expectGuardedUntouched(version: string): Promise<void> {
        await settle(500);
        expect((await rotations(world)).filter((r) => r.secretName === 'guarded-secret')).toEqual([]);
        const passwords = await world.passwords(world.app('guarded').appId);
        expect(passwords.map((p) => p.keyId)).toEqual([world.app('guarded').keyId]);
        expect((await world.secretValue('guarded-secret'))?.version).toBe(version);
    }

    it('manual rotate: 202 with id and statusUrl, a second start joins it, the status view follows the contract', async () => {
        const first = await world.api<{ id: string; statusUrl: string; alreadyRunning?: boolean }>(
            'POST',
            '/api/rotations',
            { secretName: 'manual-secret', reason: 'operator request' },
        );
        expect(first.status, first.text).toBe(202);
        expect(first.body.statusUrl).toBe(`/api/rotations/${encodeURIComponent(first.body.id)}`);
        expect(first.body.alreadyRunning).toBeUndefined();
        expect(first.text).not.toMatch(MANAGEMENT);

        const again = await world.api<{ id: string; alreadyRunning?: boolean }>('POST', '/api/rotations', {
            secretName: 'manual-secret',
            vaultUrl: world.emu.descriptor.vaultUrl,
        });
        expect(again.status).toBe(202);
        expect(again.body).toMatchObject({ id: first.body.id, alreadyRunning: true });

        const view = await eventually(async () => {
            const res = await world.api<RotationView>('GET', first.body.statusUrl);
            expect(res.status).toBe(200);
            expect(res.text).not.toMatch(MANAGEMENT);
            return res.body.steps.some((s) => s.name === 'grace' && s.state === 'waiting') ? res.body : undefined;
        }, 'the manual rotation to publish');
        const app = world.app('manual');
        expect(view).toMatchObject({ id: first.body.id, secretName: 'manual-secret', appId: app.appId });
        expect(view.oldKeyId).toBe(app.keyId);
        // Who started it: the caller as the verified token names it (here the operator app), never the token.
        const claims = JSON.parse(
            Buffer.from((await world.operatorToken()).split('.')[1]!, 'base64url').toString(),
        ) as { oid: string; appid?: string; azp?: string };
        expect((view as unknown as { startedBy: unknown }).startedBy).toEqual({
            objectId: claims.oid,
            appId: claims.appid ?? claims.azp,
            name: null,
        });
        expect(view.newKeyId).toMatch(/^[0-9a-f-]{36}$/);
        expect(STATUSES).toContain(view.status);
        for (const step of view.steps) {
            expect(Object.keys(step).sort()).toEqual(['at', 'detail', 'name', 'state']);
            expect(Number.isNaN(Date.parse(step.at))).toBe(false);
        }
        const live = await world.secretValue('manual-secret');
        expect(live?.tags['entra-key-id']).toBe(view.newKeyId);
        expect(JSON.stringify(view)).not.toContain(live!.value);
        expect(JSON.stringify(view)).not.toContain(app.clientSecret);

        const list = await world.api<{ items: RotationView[]; total: number }>('GET', '/api/rotations?top=1');
        expect(list.status).toBe(200);
        expect(list.body.items).toHaveLength(1);
        expect(list.body.total).toBeGreaterThanOrEqual(1);
        expect(list.text).not.toMatch(MANAGEMENT);
    });

    it('dry run: the plan is reported and nothing changes (no credential, no new secret version)', async () => {
        const app = world.app('dry');
        const version = (await world.secretValue('dry-secret'))?.version;
        const res = await world.api<{ id: string }>('POST', '/api/rotations', {
            secretName: 'dry-secret',
            dryRun: true,
        });
        expect(res.status, res.text).toBe(202);
        const done = await world.waitForRotation(res.body.id);
        expect(done.status).toBe('Completed');
        expect((await world.api<{ dryRun: boolean }>('GET', `/api/rotations/${res.body.id}`)).body.dryRun).toBe(true);
        expect((await world.passwords(app.appId)).map((p) => p.keyId)).toEqual([app.keyId]);
        const live = await world.secretValue('dry-secret');
        expect(live?.version).toBe(version);
        expect(live?.value).toBe(app.clientSecret);
        expect(await world.secretValue(pendingSecretName('dry-secret'))).toBeUndefined();
        // A dry run is not the rotation: a real one can start right after it.
        const real = await world.api<{ id: string; alreadyRunning?: boolean }>('POST', '/api/rotations', {
            secretName: 'dry-secret',
        });
        expect(real.status).toBe(202);
        expect(real.body.alreadyRunning).toBeUndefined();
        expect(real.body.id).not.toBe(res.body.id);
    });

    it('401 without a valid token (none, not Bearer, forged signature, wrong audience, expired), and nothing starts', async () => {
        const version = (await world.secretValue('guarded-secret'))!.version;
        const good = await world.operatorToken();
        expect(claimsOf(good).roles).toEqual(expect.arrayContaining(['Rotation.Write']));
        const graphToken = await world.emu.token(
            world.tenant.operator.clientId,
            world.tenant.operator.clientSecret,
            'https://graph.microsoft.com/.default',
        );
        const now = await world.emu.now();
        const bad: Record<string, string | null> = {
            none: null,
            forged: forgedCopy(good),
            wrongAudience: graphToken,
            expired: expiredCopy(good, world.emulator.stateDir, now),
            garbage: 'not.a.jwt',
        };
        const body = { secretName: 'guarded-secret' };
        for (const [what, token] of Object.entries(bad)) {
            const post = await world.api('POST', '/api/rotations', body, token);
            expectError(post, 401, 'unauthorized');
            expect(post.text, what).not.toContain(token ?? '\u0000');
            expectError(await world.api('GET', '/api/credentials', undefined, token), 401, 'unauthorized');
            expectError(await world.api('GET', '/api/rotations', undefined, token), 401, 'unauthorized');
        }
        const expiredRes = await world.api('POST', '/api/rotations', body, bad.expired);
        expect((expiredRes.body as ErrorBody).error.message).toMatch(/exp/i);
        const basic = await fetch(`${world.host.baseUrl}/api/rotations`, {
            method: 'POST',
            headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
            body: JSON.stringify(body),
        });
        expect(basic.status).toBe(401);
        // Control: the untampered token is accepted (so the rejections above are about the token).
        expect((await world.api('GET', '/api/rotations', undefined, good)).status).toBe(200);
        await expectGuardedUntouched(version);
    });

    it('accepts the v2.0 tokens the API registration issues, and v1.0 tokens when it is set to issue those', async () => {
        // The sandbox registration asks for v2.0 tokens, as the deployed one does (infra/scripts/operator-api.sh).
        const v2 = claimsOf(await world.operatorToken());
        expect(v2).toMatchObject({ ver: '2.0', aud: world.tenant.api.appId });
        expect(String(v2['iss'])).toMatch(/\/v2\.0$/);
        expect((await world.api('GET', '/api/rotations')).status).toBe(200);

        const graphAdmin = await world.emu.adminToken('https://graph.microsoft.com/.default');
        const setVersion = (version: number | null) =>
            world.emu.call(
                'PATCH',
                `/v1.0/applications(appId='${world.tenant.api.appId}')`,
                {
                    api: { requestedAccessTokenVersion: version },
                },
                { authorization: `Bearer ${graphAdmin}` },
            );
        expect((await setVersion(null)).status).toBe(204);
        try {
            const token = await world.operatorToken();
            const v1 = claimsOf(token);
            expect(v1).toMatchObject({ ver: '1.0', aud: OPERATOR_API_URI });
            expect(String(v1['iss'])).not.toMatch(/v2\.0/);
            expect((await world.api('GET', '/api/rotations', undefined, token)).status).toBe(200);
        } finally {
            expect((await setVersion(2)).status).toBe(204);
        }
    });

    it('403 for a valid token without the role: the rotator itself, and a reader on POST', async () => {
        const version = (await world.secretValue('guarded-secret'))!.version;
        const scope = `${OPERATOR_API_URI}/.default`;
        const rotatorToken = await world.emu.token(
            world.tenant.rotator.clientId,
            world.tenant.rotator.clientSecret,
            scope,
        );
        expect(claimsOf(rotatorToken).roles).toBeUndefined();
        const readerToken = await world.emu.token(readOnly.clientId, readOnly.clientSecret, scope);
        expect(claimsOf(readerToken).roles).toEqual(['Rotation.Read']);

        expectError(
            await world.api('POST', '/api/rotations', { secretName: 'guarded-secret' }, rotatorToken),
            403,
            'forbidden',
        );
        expectError(await world.api('GET', '/api/rotations', undefined, rotatorToken), 403, 'forbidden');
        expectError(await world.api('GET', '/api/credentials', undefined, rotatorToken), 403, 'forbidden');
        expectError(
            await world.api('POST', '/api/rotations', { secretName: 'guarded-secret' }, readerToken),
            403,
            'forbidden',
        );
        // The reader can read.
        expect((await world.api('GET', '/api/rotations', undefined, readerToken)).status).toBe(200);
        expect((await world.api('GET', '/api/credentials', undefined, readerToken)).status).toBe(200);
        await expectGuardedUntouched(version);
    });

    it('400 for bad JSON, bad fields and unknown fields, with the error shape, and nothing starts', async () => {
        const version = (await world.secretValue('guarded-secret'))!.version;
        const bodies: unknown[] = [
            '{"secretName": "guarded-secret"',
            'secretName=guarded-secret',
            '',
            '[]',
            '"guarded-secret"',
            {},
            { secretName: 'guarded secret!' },
            { secretName: 'guarded-secret', dryRun: 'yes' },
            { secretName: 'guarded-secret', reason: 42 },
            { secretName: 'guarded-secret', vaultUrl: 'http://localhost/' },
            { secretName: 'guarded-secret', vaultUrl: 'https://another-vault.vault.azure.net' },
            { secretName: 'guarded-secret', force: true },
            { secretName: 'guarded-secret', dryRun: false, reason: 'x', extra: null },
        ];
        for (const body of bodies) {
            const res = await world.api('POST', '/api/rotations', body);
            expectError(res, 400, 'invalid_request');
        }
        expectError(await world.api('GET', '/api/rotations?top=0'), 400);
        expectError(await world.api('GET', '/api/credentials?top=abc'), 400);
        await expectGuardedUntouched(version);
    });

    it('404 for an unknown secret, an unenrolled secret and an unknown rotation id, and nothing starts', async () => {
        const version = (await world.secretValue('guarded-secret'))!.version;
        expectError(await world.api('POST', '/api/rotations', { secretName: 'no-such-secret' }), 404, 'not_found');
        expectError(
            await world.api('POST', '/api/rotations', { secretName: 'untagged-secret', dryRun: true }),
            404,
            'not_enrolled',
        );
        expectError(await world.api('GET', '/api/rotations/rotate@nothing-here'), 404);
        // A path segment in the id used to reach the Durable management URL and answer 500.
        for (const id of ['rotate@x%2F..', 'rotate@x%5C..', 'rotate@localhost@guarded-secret%2F..', 'rotate@x%3Fa%3Db'])
            expectError(await world.api('GET', `/api/rotations/${id}`), 404, 'not_found');
        expectError(await world.api('GET', '/api/rotations/00000000000000000000000000000000'), 404);
        const names = (await rotations(world)).map((r) => r.secretName);
        expect(names).not.toContain('no-such-secret');
        expect(names).not.toContain('untagged-secret');
        expect((await world.secretValue('untagged-secret'))?.value).toBe('an-unmanaged-value');
        await expectGuardedUntouched(version);
    });

    it('a rotation stash (`<name>--rotation-pending`) is not a managed secret: no API start, no event start', async () => {
        // Hold a rotation between create and publish (its new secret cannot sign in yet): the stash exists then,
        // tagged with the app and key ids like a managed secret.
        await world.emu.expectOk(
            world.emu.call('POST', '/_emulator/faults', { propagationDelaySeconds: 100 * 86_400 }),
            'faults',
        );
        try {
            const id = await world.startRotation('stash-secret');
            const stashName = pendingSecretName('stash-secret');
            const stash = await eventually(async () => world.secretValue(stashName), 'the stash of stash-secret');
            expect(stash.tags['entra-app-id']).toBe(world.app('stash').appId);
            const res = await world.api('POST', '/api/rotations', { secretName: stashName });
            expectError(res, 404, 'not_found');
            const event = {
                id: `stash-${Date.now()}`,
                topic: vaultResourceId(world.emu.descriptor.baseUrl),
                subject: stashName,
                eventType: 'Microsoft.KeyVault.SecretNearExpiry',
                eventTime: new Date().toISOString(),
                dataVersion: '1',
                metadataVersion: '1',
                data: {
                    Id: `${world.emu.descriptor.vaultUrl}/secrets/${stashName}/${stash.version}`,
                    VaultName: 'localhost',
                    ObjectType: 'Secret',
                    ObjectName: stashName,
                    Version: stash.version,
                    NBF: null,
                    EXP: null,
                },
            };
            expect(await postToWebhook(world, [event])).toBe(202);
            await settle(1_500);
            const names = (await rotations(world)).map((r) => r.secretName);
            expect(names.filter((n) => n?.startsWith('stash-secret'))).toEqual(['stash-secret']);
            expect((await world.rotation(id)).status).toBe('Running');
        } finally {
            await world.restoreDelays();
        }
    });

    it('GET /api/rotations pages newest first with a nextLink that walks every rotation', async () => {
        const all = await world.api<{ items: RotationView[]; total: number }>('GET', '/api/rotations?top=100');
        expect(all.body.total).toBeGreaterThanOrEqual(3);
        const ids: string[] = [];
        let next: string | undefined = '/api/rotations?top=1';
        while (next) {
            const res: ApiResult<{ items: RotationView[]; nextLink?: string }> = await world.api<{
                items: RotationView[];
                nextLink?: string;
            }>('GET', next);
            expect(res.status).toBe(200);
            expect(res.body.items).toHaveLength(1);
            ids.push(res.body.items[0]!.id);
            next = res.body.nextLink;
        }
        expect(ids).toEqual(all.body.items.map((r) => r.id));
        const created = all.body.items.map((r) => Date.parse((r as unknown as { createdAt: string }).createdAt));
        expect([...created].sort((a, b) => b - a)).toEqual(created);
    });

    describe('health', () => {
        const extraHosts: AppHost[] = [];
        afterAll(async () => {
            await Promise.all(extraHosts.map((h) => h.close()));
        });

        async function health(baseUrl: string): Promise<{ status: number; body: Record<string, unknown> }> {
            const res = await fetch(`${baseUrl}/api/health`);
            return { status: res.status, body: (await res.json()) as Record<string, unknown> };
        }

        async function hostWith(name: string, settings: Record<string, string>): Promise<AppHost> {
            const host = await startAppHost({
                emulator: world.emu,
                tenant: world.tenant,
                hostStateDir: join(world.root, name),
                settings,
            });
            extraHosts.push(host);
            return host;
        }

        it('answers without a token: ok when the app can authenticate to Graph and Key Vault', async () => {
            const res = await health(world.host.baseUrl);
            expect(res.status).toBe(200);
            expect(res.body).toMatchObject({
                status: 'ok',
                paused: false,
                checks: { graph: { ok: true }, keyVault: { ok: true } },
            });
        });

        it('reports a paused rotator; while paused a real rotation is refused (409) and a dry run still starts', async () => {
            const host = await hostWith('host-paused', { ROTATION_PAUSED: 'true' });
            // A fresh host has its own state store: enrollment is an operator action there too.
            await enrollSeeded(host.baseUrl, await world.operatorToken(), [world.app('guarded')]);
            const res = await health(host.baseUrl);
            expect(res.status).toBe(200);
            expect(res.body).toMatchObject({ status: 'ok', paused: true });
            const post = async (body: object) => {
                const r = await fetch(`${host.baseUrl}/api/rotations`, {
                    method: 'POST',
                    headers: {
                        authorization: `Bearer ${await world.operatorToken()}`,
                        'content-type': 'application/json',
                    },
                    body: JSON.stringify(body),
                });
                return { status: r.status, body: (await r.json()) as ErrorBody & { id?: string } };
            };
            const version = (await world.secretValue('guarded-secret'))!.version;
            const refused = await post({ secretName: 'guarded-secret' });
            expect(refused.status).toBe(409);
            expect(refused.body.error.code).toBe('paused');
            const dry = await post({ secretName: 'guarded-secret', dryRun: true });
            expect(dry.status).toBe(202);
            expect(dry.body.id).toMatch(/@dryrun@/);
            // The paused host's dry run lives in its own task hub; nothing reached the tenant.
            expect((await world.passwords(world.app('guarded').appId)).map((p) => p.keyId)).toEqual([
                world.app('guarded').keyId,
            ]);
            expect((await world.secretValue('guarded-secret'))?.version).toBe(version);
        });

        it('invalid app settings are "misconfigured" too (200 with the finding), never a 5xx that cycles the instance', async () => {
            const host = await hostWith('host-bad-settings', { KEY_VAULT_URL: 'not a url' });
            const res = await health(host.baseUrl);
            expect(res.status, JSON.stringify(res.body)).toBe(200);
            expect(res.body).toMatchObject({ status: 'misconfigured' });
        });

        it('a wrong client secret is "misconfigured" (200, page a human), an unreachable STS is "unavailable" (503)', async () => {
            // The client-secret sign-in path (the sandbox default is the managed identity, which has no secret).
            const secretMode = { ROTATOR_AUTH_MODE: 'client-secret' };
            const [misconfigured, unavailable] = await Promise.all([
                hostWith('host-misconfigured', {
                    ...secretMode,
                    AZURE_CLIENT_SECRET: 'Wr0ng~not-the-rotator-secret-0000000000',
                }),
                // A loopback port nothing listens on: the dependency is down, our configuration is fine.
                hostWith('host-unavailable', {
                    ...secretMode,
                    AZURE_CLIENT_SECRET: world.tenant.rotator.clientSecret,
                    ENTRA_AUTHORITY_HOST: 'https://localhost:9',
                }),
            ]);
            const bad = await health(misconfigured.baseUrl);
            expect(bad.status).toBe(200);
            expect(bad.body).toMatchObject({
                status: 'misconfigured',
                checks: { graph: { ok: false, category: 'auth' } },
            });
            expect(JSON.stringify(bad.body)).toMatch(/invalid_secret/);
            const down = await health(unavailable.baseUrl);
            expect(down.status).toBe(503);
            expect(down.body).toMatchObject({
                status: 'unavailable',
                checks: { graph: { ok: false, category: 'unavailable' } },
            });
        });
    });
});
