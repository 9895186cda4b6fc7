import { describe, expect, it } from 'vitest';

import { addDays } from '../../../shared/domain/time';
import { preflight } from '../../../shared/rotation/activities/preflight';
import { type Finding } from '../../../shared/rotation/contracts';
import { ManagedTags } from '../../../shared/rotation/markers';
import { leakedSecrets, preflightInput } from '../../support/fakes/inputs';
import { APP_ID, APP_OBJECT_ID, createWorld, SECRET_NAME, START, VAULT_URL } from '../../support/fakes/world';

const codes = (findings: readonly Finding[], severity?: Finding['severity']): string[] =>
    findings.filter((f) => severity === undefined || f.severity === severity).map((f) => f.code);

const webhook = { name: 'api', type: 'webhook', url: 'https://api.example/refresh' };
const probe = { name: 'api-health', type: 'probe', url: 'https://api.example/health', onFailure: 'continue' };

describe('preflight', () => {
    it('plans a rotation of a managed secret from the live tags, the app and the policy', async () => {
        const world = createWorld({ consumers: [webhook, probe] });
        const plan = await preflight(world.deps, preflightInput());

        expect(plan.ok).toBe(true);
        expect(plan.findings).toEqual([]);
        expect(plan).toMatchObject({
            appId: APP_ID,
            appObjectId: APP_OBJECT_ID,
            appDisplayName: 'orders-api',
            oldKeyId: world.oldKeyId,
            oldKeyPresent: true,
            oldEndDateTime: '2026-03-20T09:00:00.000Z',
            oldFingerprint: world.oldFingerprint,
            gracePeriodDays: 7,
            propagationTimeoutSeconds: 300,
            usageGate: { windowMinutes: 30 + 90, recheckHours: 24, maxChecks: 3 },
        });
        expect(plan.newCredential).toEqual({
            startDateTime: START,
            endDateTime: addDays(new Date(START), 180).toISOString(),
            lifetimeDays: 180,
            clamped: false,
        });
        expect(plan.consumers.map((c) => [c.name, c.type, c.onFailure])).toEqual([
            ['api', 'webhook', 'abort'],
            ['api-health', 'probe', 'continue'],
        ]);
        expect(leakedSecrets(world.secretTexts(), plan)).toEqual([]);
    });

    it('warns when no consumers are configured but does not block', async () => {
        const world = createWorld();
        const plan = await preflight(world.deps, preflightInput());
        expect(plan.ok).toBe(true);
        expect(codes(plan.findings)).toEqual(['no_consumers']);
    });

    it('refuses a vault the rotator does not manage, before reading anything', async () => {
        const world = createWorld();
        const plan = await preflight(world.deps, preflightInput({ vaultUrl: 'https://other-vault.vault.azure.net' }));
        expect(plan.ok).toBe(false);
        expect(codes(plan.findings, 'error')).toEqual(['vault_not_configured']);
        expect(world.vault.calls).toEqual([]);
        expect(world.directory.calls).toEqual([]);
    });

    it('matches configured vaults after normalising case and a trailing slash', async () => {
        const world = createWorld({ vaultUrls: ['https://KV-Rotator-Test.vault.azure.net/'] });
        const plan = await preflight(world.deps, preflightInput());
        expect(codes(plan.findings, 'error')).toEqual([]);
        expect(plan.ok).toBe(true);
    });

    it('reports a secret that does not exist', async () => {
        const world = createWorld();
        const plan = await preflight(world.deps, preflightInput({ secretName: 'no-such-secret' }));
        expect(plan.ok).toBe(false);
        expect(codes(plan.findings, 'error')).toEqual(['not_found']);
        expect(world.directory.calls).toEqual([]);
    });

    it.each([
        ['no tags', {}],
        ['only the app id', { [ManagedTags.appId]: APP_ID }],
        ['only the key id', { [ManagedTags.keyId]: 'some-key' }],
        // The confused-deputy attack: a vault writer tags its own secret with an app the rotator owns.
        ['both tags, naming an app the rotator owns', { [ManagedTags.appId]: APP_ID, [ManagedTags.keyId]: 'made-up' }],
    ])('refuses a secret that is not enrolled, whatever its tags (%s)', async (_label, tags) => {
        const world = createWorld();
        world.vault.seed(VAULT_URL, 'plain-secret', 'not-a-client-secret', { tags });
        const plan = await preflight(world.deps, preflightInput({ secretName: 'plain-secret' }));
        expect(plan.ok).toBe(false);
        expect(codes(plan.findings, 'error')).toEqual(['not_enrolled']);
        expect(plan.appId).toBe('');
        expect(world.directory.calls).toEqual([]);
    });

    it.each([
        ['key id', { [ManagedTags.keyId]: '33333333-3333-4333-8333-333333333333' }],
        ['app id', { [ManagedTags.appId]: '99999999-9999-4999-8999-999999999999' }],
    ])('refuses an enrolled secret whose %s tag was changed to another credential', async (_label, changed) => {
        const world = createWorld();
        world.vault.seed(VAULT_URL, SECRET_NAME, 'value-of-the-secret', {
            tags: { [ManagedTags.appId]: APP_ID, [ManagedTags.keyId]: world.oldKeyId, ...changed },
        });
        const plan = await preflight(world.deps, preflightInput());
        expect(plan.ok).toBe(false);
        expect(codes(plan.findings, 'error')).toEqual(['binding_mismatch']);
        expect(world.directory.calls).toEqual([]);
    });

    it('takes the credential from the enrollment when the secret carries no tags at all', async () => {
        const world = createWorld({ consumers: [webhook] });
        world.vault.seed(VAULT_URL, SECRET_NAME, 'value-of-the-secret', { tags: {} });
        const plan = await preflight(world.deps, preflightInput());
        expect(plan.ok).toBe(true);
        expect(plan.appId).toBe(APP_ID);
        expect(plan.oldKeyId).toBe(world.oldKeyId);
    });

    it('reports an application that is missing or not visible to the rotator', async () => {
        const world = createWorld();
        const ghost = { appId: '99999999-9999-4999-8999-999999999999', keyId: '44444444-4444-4444-8444-444444444444' };
        world.vault.seed(VAULT_URL, 'orphaned', 'value-of-orphaned', {
            tags: { [ManagedTags.appId]: ghost.appId, [ManagedTags.keyId]: ghost.keyId },
        });
        await world.bindings.enroll(
            { vaultUrl: VAULT_URL, secretName: 'orphaned', ...ghost },
            { kind: 'operator', objectId: null, appId: null, name: 'test' },
            'test',
            new Date(START),
        );
        const plan = await preflight(world.deps, preflightInput({ secretName: 'orphaned' }));
        expect(plan.ok).toBe(false);
        expect(codes(plan.findings, 'error')).toEqual(['app_not_found']);
    });

    it('defect 6: blocks when the enrolled key id is not on the application (it would delete nothing)', async () => {
        const world = createWorld({ oldKeyPresent: false, consumers: [webhook] });
        const plan = await preflight(world.deps, preflightInput());
        expect(plan.ok).toBe(false);
        expect(plan.oldKeyPresent).toBe(false);
        expect(codes(plan.findings, 'error')).toEqual(['key_not_on_app']);
        expect(plan.findings[0]!.message).toContain(world.oldKeyId);
        expect(plan.findings[0]!.message).toMatch(/re-enroll/);
    });

    it('defect 6: blocks when the rotator is not an owner of the application, and says how to fix it', async () => {
        const world = createWorld({ consumers: [webhook] });
        world.directory.setOwnedByRotator(APP_ID, false);
        const plan = await preflight(world.deps, preflightInput());
        expect(plan.ok).toBe(false);
        expect(codes(plan.findings, 'error')).toEqual(['not_owner']);
        expect(plan.findings.find((f) => f.code === 'not_owner')!.message).toMatch(
            /add the rotator's service principal as an owner/,
        );
    });

    it('defect 6: blocks when the application has no service principal in the tenant', async () => {
        const world = createWorld({ consumers: [webhook] });
        world.directory.setServicePrincipal(APP_ID, false);
        const plan = await preflight(world.deps, preflightInput());
        expect(plan.ok).toBe(false);
        expect(codes(plan.findings, 'error')).toEqual(['no_service_principal']);
        expect(plan.findings.find((f) => f.code === 'no_service_principal')!.message).toContain(
            `POST /servicePrincipals {"appId":"${APP_ID}"}`,
        );
    });

    it('defect 6: reports every blocking problem at once (missing key, not owner, no service principal)', async () => {
        const world = createWorld({ oldKeyPresent: false, consumers: [webhook] });
        world.directory.setOwnedByRotator(APP_ID, false);
        world.directory.setServicePrincipal(APP_ID, false);
        const plan = await preflight(world.deps, preflightInput());
        expect(codes(plan.findings, 'error')).toEqual(['key_not_on_app', 'not_owner', 'no_service_principal']);
    });

    it('defect 6: a failed ownership or service principal read fails the preflight, never passes it', async () => {
        const world = createWorld({ consumers: [webhook] });
        const failing = {
            ownedByRotator: () => Promise.reject(new Error('owners read: 503')),
            hasServicePrincipal: () => Promise.resolve(true),
        };
        await expect(preflight({ ...world.deps, ownership: failing }, preflightInput())).rejects.toThrow('503');
    });

    it('warns when the live version is disabled or its value no longer matches its fingerprint tag', async () => {
        const world = createWorld({ consumers: [webhook] });
        world.vault.seed(VAULT_URL, SECRET_NAME, 'changed-by-hand-value', {
            enabled: false,
            tags: {
                [ManagedTags.appId]: APP_ID,
                [ManagedTags.keyId]: world.oldKeyId,
                [ManagedTags.fingerprint]: world.oldFingerprint,
            },
        });
        const plan = await preflight(world.deps, preflightInput());
        expect(plan.ok).toBe(true);
        expect(codes(plan.findings, 'warning').sort()).toEqual(['fingerprint_mismatch', 'secret_disabled']);
    });

    describe('credential limit', () => {
        it('blocks when the app has no free slot for the new credential', async () => {
            // 1 old + 4 others = 5 = the default limit.
            const world = createWorld({ otherCredentials: 4, consumers: [webhook] });
            const plan = await preflight(world.deps, preflightInput());
            expect(plan.ok).toBe(false);
            expect(codes(plan.findings, 'error')).toEqual(['credential_limit_reached']);
            expect(plan.findings.find((f) => f.code === 'credential_limit_reached')?.message).toContain('limit 5');
        });

        it('passes with exactly one free slot', async () => {
            const world = createWorld({ otherCredentials: 3, consumers: [webhook] });
            const plan = await preflight(world.deps, preflightInput());
            expect(plan.ok).toBe(true);
        });

        it("does not count this rotation's own leftover (it is removed before adding)", async () => {
            const world = createWorld({ otherCredentials: 3, consumers: [webhook] });
            world.directory.seedCredential(APP_ID, { displayName: 'rotator:rot-0001' });
            const plan = await preflight(world.deps, preflightInput());
            expect(codes(plan.findings, 'error')).toEqual([]);
            expect(plan.ok).toBe(true);
        });

        it("counts another rotation's credential", async () => {
            const world = createWorld({ otherCredentials: 3, consumers: [webhook] });
            world.directory.seedCredential(APP_ID, { displayName: 'rotator:rot-0999' });
            const plan = await preflight(world.deps, preflightInput());
            expect(codes(plan.findings, 'error')).toEqual(['credential_limit_reached']);
        });

        it('uses the configured per-app limit', async () => {
            const world = createWorld({
                otherCredentials: 4,
                policy: { maxCredentialsPerApp: 6 },
                consumers: [webhook],
            });
            const plan = await preflight(world.deps, preflightInput());
            expect(plan.ok).toBe(true);
        });
    });

    describe('lifetime and tag overrides', () => {
        it('clamps the new lifetime to the tenant maximum and says so', async () => {
            const world = createWorld({ policy: { maxCredentialLifetimeDays: 90 }, consumers: [webhook] });
            const plan = await preflight(world.deps, preflightInput());
            expect(plan.ok).toBe(true);
            expect(plan.newCredential).toEqual({
                startDateTime: START,
                endDateTime: addDays(new Date(START), 90).toISOString(),
                lifetimeDays: 90,
                clamped: true,
            });
            expect(plan.findings).toEqual([expect.objectContaining({ severity: 'info', code: 'lifetime_clamped' })]);
        });

        it('applies lifetime and grace overrides from the live secret tags', async () => {
            const world = createWorld({
                liveTags: { 'lifetime-days': '60', 'grace-days': '14' },
                consumers: [webhook],
            });
            const plan = await preflight(world.deps, preflightInput());
            expect(plan.findings).toEqual([]);
            expect(plan.newCredential.lifetimeDays).toBe(60);
            expect(plan.newCredential.endDateTime).toBe(addDays(new Date(START), 60).toISOString());
            expect(plan.gracePeriodDays).toBe(14);
        });

        it('still clamps an overridden lifetime to the tenant maximum', async () => {
            const world = createWorld({
                policy: { maxCredentialLifetimeDays: 90 },
                liveTags: { 'lifetime-days': '365' },
                consumers: [webhook],
            });
            const plan = await preflight(world.deps, preflightInput());
            expect(plan.newCredential).toMatchObject({ lifetimeDays: 90, clamped: true });
        });

        it.each([
            ['a non-number', { 'grace-days': 'two weeks' }],
            ['a lifetime inside the rotate window', { 'lifetime-days': '10' }],
        ])('ignores %s with a warning and keeps the defaults', async (_label, tags) => {
            const world = createWorld({ liveTags: tags, consumers: [webhook] });
            const plan = await preflight(world.deps, preflightInput());
            expect(plan.ok).toBe(true);
            expect(codes(plan.findings)).toContain('policy_override_ignored');
            expect(codes(plan.findings, 'error')).toEqual([]);
            expect(plan.gracePeriodDays).toBe(7);
            expect(plan.newCredential.lifetimeDays).toBe(180);
        });
    });

    it('is read-only, so a dry run changes nothing and announces nothing', async () => {
        const world = createWorld({ consumers: [webhook] });
        const before = world.directory.credentialsOf(APP_ID);
        const plan = await preflight(world.deps, preflightInput({ dryRun: true }));
        expect(plan.ok).toBe(true);
        expect(world.vault.writes()).toEqual([]);
        expect(world.directory.calls.map((c) => c.method)).toEqual(['getApplicationByAppId']);
        expect(world.directory.credentialsOf(APP_ID)).toEqual(before);
        expect(world.notifier.events).toEqual([]);
        expect(world.refresher.calls).toEqual([]);
        expect(world.verifier.calls).toEqual([]);
    });

    it('takes time only from its input (asOf), never from a clock', async () => {
        const world = createWorld({ consumers: [webhook] });
        const asOf = '2030-06-15T12:00:00.000Z';
        const plan = await preflight(world.deps, preflightInput({ asOf }));
        expect(plan.newCredential.startDateTime).toBe(asOf);
        expect(plan.newCredential.endDateTime).toBe(addDays(new Date(asOf), 180).toISOString());
    });
});
