import { pendingSecretName } from '../../shared/rotation/markers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { NO_EVIDENCE_SOURCE } from '../sandbox/seedTenant';
import { World } from './support/world';

/**
 * Preflight refuses what would fail or silently do nothing (issue 12, defect 6): an app the rotator does not own,
 * an app without a service principal, and an enrolled key id that is not on the app. Each is broken out of band
 * after enrollment (as an admin would), through the emulator's Graph.
 */
describe('preflight refusals through the operator API', () => {
    let world: World;

    beforeAll(async () => {
        world = await World.start({
            apps: [
                { displayName: 'unowned', expiresInDays: 100, secretName: 'unowned-secret', tags: NO_EVIDENCE_SOURCE },
                { displayName: 'no-sp', expiresInDays: 100, secretName: 'no-sp-secret', tags: NO_EVIDENCE_SOURCE },
                {
                    displayName: 'wrong-key',
                    expiresInDays: 100,
                    secretName: 'wrong-key-secret',
                    tags: NO_EVIDENCE_SOURCE,
                },
            ],
        });
        const graph = async (method: string, path: string, body?: unknown): Promise<void> => {
            const token = await world.emu.adminToken('https://graph.microsoft.com/.default');
            const res = await world.emu.call(method, `/v1.0${path}`, body, { authorization: `Bearer ${token}` });
            if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
        };
        const unowned = world.app('unowned');
        await graph(
            'DELETE',
            `/applications/${unowned.objectId}/owners/${world.tenant.rotator.servicePrincipalId}/$ref`,
        );
        await graph('DELETE', `/servicePrincipals/${world.app('no-sp').servicePrincipalId}`);
        // The enrolled key is replaced by another one: the binding now names a key the app does not have.
        const wrong = world.app('wrong-key');
        await graph('POST', `/applications/${wrong.objectId}/addPassword`, { passwordCredential: {} });
        await graph('POST', `/applications/${wrong.objectId}/removePassword`, { keyId: wrong.keyId });
    }, 180_000);

    afterAll(async () => {
        await world?.close();
    });

    const cases = [
        ['unowned', 'not_owner', /add the rotator's service principal as an owner/],
        ['no-sp', 'no_service_principal', /has no service principal in this tenant; create one/],
        ['wrong-key', 'key_not_on_app', /has no password credential .*re-enroll/],
    ] as const;

    it.each(cases)('%s: the dry run shows the blocking finding %s and the fix', async (name, code, fix) => {
        const id = await world.startRotation(`${name}-secret`, { dryRun: true });
        const done = await world.waitForRotation(id);
        const errors = done.findings.filter((f) => f.severity === 'error');
        expect(errors.map((f) => f.code)).toEqual([code]);
        expect(errors[0]!.message).toMatch(fix);
        expect(done.steps.find((s) => s.name === 'preflight')?.state).toBe('failed');
    });

    it.each(cases)('%s: a real rotation fails at preflight and creates nothing', async (name, code) => {
        const app = world.app(name);
        const before = (await world.passwords(app.appId)).map((p) => p.keyId);
        const version = (await world.secretValue(`${name}-secret`))?.version;
        const id = await world.startRotation(`${name}-secret`);
        const done = await world.waitForRotation(id);
        expect(done.status).toBe('Failed');
        expect(done.outcome?.code).toBe(code);
        expect(done.steps.map((s) => s.name)).not.toContain('create');
        expect((await world.passwords(app.appId)).map((p) => p.keyId)).toEqual(before);
        expect((await world.secretValue(`${name}-secret`))?.version).toBe(version);
        expect(await world.secretValue(pendingSecretName(`${name}-secret`))).toBeUndefined();
        expect(
            (await world.events()).filter(
                (e) => e.type === 'Rotation.Started' && e.data['secretName'] === `${name}-secret`,
            ),
        ).toEqual([]);
    });
});
