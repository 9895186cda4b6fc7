import { ClientSecretCredential } from '@azure/identity';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { ArmAppService } from '../../shared/adapters/armAppService';
import { discoverReferences } from '../../shared/appService/discovery';
import { preflight } from '../../shared/rotation/activities/preflight';
import { Activities } from '../../shared/rotation/names';
import { AppServiceRefresher, RoutingRefresher, appServiceFindings } from '../../shared/rotation/appServiceConsumers';
import { parseConsumersConfig } from '../../shared/rotation/consumers';
import { SUBSCRIPTION_ID } from '../emulator/arm';
import { type LiveEmulator, startLiveEmulator } from '../emulator/keyvault/liveEmulator';
import { driveRotation } from '../support/fakes/orchestrationDriver';
import { preflightInput, rotationInput } from '../support/fakes/inputs';
import { APP_ID, createWorld, SECRET_NAME, VAULT_URL, type World } from '../support/fakes/world';

/**
 * App Service consumers against the emulator's Resource Manager, through the real @azure/arm-appservice adapter:
 * the pin is found before anything changes, the refresh re-resolves, the confirm reads the references.
 */
describe('App Service consumers (real ARM client against the emulator)', () => {
    let live: LiveEmulator;
    let vaultToken = '';
    const rg = 'rg-agents';
    const siteId = (name: string, slot?: string) =>
        `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${rg}/providers/Microsoft.Web/sites/${name}${slot ? `/slots/${slot}` : ''}`;
    const adapter = (clientId?: string, clientSecret?: string) =>
        new ArmAppService(
            new ClientSecretCredential(
                live.emulator.tenantId,
                clientId ?? live.emulator.principals.admin.clientId,
                clientSecret ?? live.emulator.principals.admin.clientSecret,
                { authorityHost: live.emulator.authorityHost, disableInstanceDiscovery: true, ...live.clientOptions },
            ),
            {
                endpoint: live.emulator.baseUrl,
                scope: 'https://management.azure.com/.default',
                additionalPolicies: live.clientOptions.additionalPolicies,
            },
        );
    const setSecret = async (name: string, value: string): Promise<string> => {
        const response = await live.raw('PUT', `/secrets/${name}?api-version=7.4`, {
            headers: { authorization: `Bearer ${vaultToken}` },
            body: { value },
        });
        return (
            String((response.json as { id: string }).id)
                .split('/')
                .pop() ?? ''
        );
    };
    const site = (name: string, appSettings: Record<string, string>, slots?: Record<string, Record<string, string>>) =>
        live.control('/resourceManager/sites', { name, resourceGroup: rg, appSettings, slots });
    const worldRef = (version = '') => `@Microsoft.KeyVault(SecretUri=${VAULT_URL}/secrets/${SECRET_NAME}/${version})`;
    const consumersFor = (vaultUrl: string, secretName: string, refresh: object[], unpinOnRotate = false) =>
        parseConsumersConfig({ consumers: [{ vaultUrl, secretName, refresh, unpinOnRotate }] });

    beforeAll(async () => {
        live = await startLiveEmulator();
        vaultToken = await live.adminToken('https://vault.azure.net/.default');
    });
    afterAll(async () => {
        await live?.close();
    });
    beforeEach(async () => {
        await live.control('/faults', { reset: true });
    });

    describe('preflight', () => {
        it('a reference that pins a version is blocking and names the site, the setting, the version and the fix', async () => {
            await site('teams-agent', { GRAPH_CLIENT_SECRET: worldRef('9c4f00e2a1'), OTHER: 'x' });
            const config = consumersFor(VAULT_URL, SECRET_NAME, [
                { name: 'teams', type: 'appService', resourceId: siteId('teams-agent') },
            ]);
            const findings = await appServiceFindings(adapter(), config, VAULT_URL, SECRET_NAME, []);
            expect(findings).toHaveLength(1);
            expect(findings[0]).toMatchObject({ severity: 'error', code: 'pinned_reference' });
            const message = findings[0]?.message ?? '';
            expect(message).toContain('teams-agent (resource group rg-agents)');
            expect(message).toContain('setting GRAPH_CLIENT_SECRET');
            expect(message).toContain('pins version 9c4f00e2a1');
            expect(message).toContain(`@Microsoft.KeyVault(SecretUri=${VAULT_URL}/secrets/${SECRET_NAME}/)`);
        });

        it('a versionless reference passes; with unpinOnRotate a pin is a warning that announces the rewrite', async () => {
            await site('payroll-agent', { GRAPH_CLIENT_SECRET: worldRef() });
            await site('teams-agent', { GRAPH_CLIENT_SECRET: worldRef('9c4f00e2a1') });
            const refresh = [
                { name: 'payroll', type: 'appService', resourceId: siteId('payroll-agent') },
                { name: 'teams', type: 'appService', resourceId: siteId('teams-agent') },
            ];
            const optedIn = await appServiceFindings(
                adapter(),
                consumersFor(VAULT_URL, SECRET_NAME, refresh, true),
                VAULT_URL,
                SECRET_NAME,
                [],
            );
            // The world's vault is not the emulator's, so the versionless reference is also reported as unresolved.
            expect(optedIn.map((f) => [f.severity, f.code])).toEqual([
                ['warning', 'reference_unresolved'],
                ['warning', 'pinned_reference_unpin'],
            ]);
            expect(optedIn[0]?.message).toContain('payroll-agent');
            expect(optedIn[0]?.message).toContain('VaultNotFound');
            expect(optedIn[1]?.message).toContain('will be rewritten');
        });

        it('a site the rotator may not read is blocking (a pin is not ruled out); throttling is rethrown, not judged', async () => {
            await site('teams-agent', { GRAPH_CLIENT_SECRET: worldRef() });
            const seeded = await live.control<{ applications: { appId: string; clientSecret: string }[] }>(
                '/entra/seed',
                { applications: [{ displayName: 'no-role' }] },
            );
            const outsider = seeded.applications[0]!;
            const config = consumersFor(VAULT_URL, SECRET_NAME, [
                { name: 'teams', type: 'appService', resourceId: siteId('teams-agent') },
            ]);
            const denied = await appServiceFindings(
                adapter(outsider.appId, outsider.clientSecret),
                config,
                VAULT_URL,
                SECRET_NAME,
                [],
            );
            expect(denied.map((f) => [f.severity, f.code])).toEqual([['error', 'consumer_unreadable']]);
            expect(denied[0]?.message).toContain('forbidden');

            await live.control('/faults', { resourceManager: { throttle: { count: 50, retryAfterSeconds: 0 } } });
            await expect(appServiceFindings(adapter(), config, VAULT_URL, SECRET_NAME, [])).rejects.toMatchObject({
                code: 'throttled',
                retryable: true,
            });
        });

        it('discovery finds undeclared pins in the scope and reports what it cost in ARM calls', async () => {
            await site('teams-agent', { GRAPH_CLIENT_SECRET: worldRef('abc123') });
            await site('payroll-agent', { GRAPH_CLIENT_SECRET: worldRef() }, { staging: { S: worldRef('def456') } });
            const scope = `/subscriptions/${SUBSCRIPTION_ID}`;
            const discovery = await discoverReferences(adapter(), [scope], { includeSlots: true });
            expect(discovery.failures).toEqual([]);
            expect(discovery.sites).toBe(3);
            // 1 site list + 2 slot lists + 3 reference reads.
            expect(discovery.armCalls).toBe(6);
            const findings = await appServiceFindings(
                adapter(),
                consumersFor(VAULT_URL, SECRET_NAME, []),
                VAULT_URL,
                SECRET_NAME,
                [scope],
            );
            expect(findings.map((f) => f.code).sort()).toEqual([
                'pinned_reference',
                'pinned_reference',
                'reference_unresolved',
            ]);
            expect(findings.map((f) => f.message).join('\n')).toMatch(
                /discovered: App Service payroll-agent\/slots\/staging/,
            );
        });

        it('dry run names the pin; the real rotation fails at preflight and creates nothing', async () => {
            await site('teams-agent', { GRAPH_CLIENT_SECRET: worldRef('9c4f00e2a1') });
            const base = createWorld();
            const world: World = {
                ...base,
                deps: {
                    ...base.deps,
                    appService: adapter(),
                    consumers: consumersFor(VAULT_URL, SECRET_NAME, [
                        { name: 'teams', type: 'appService', resourceId: siteId('teams-agent') },
                    ]),
                },
            };
            const keysBefore = world.directory.credentialsOf(APP_ID).map((c) => c.keyId);
            const plan = await preflight(world.deps, preflightInput({ dryRun: true }));
            expect(plan.ok).toBe(false);
            const dry = await driveRotation(world, { input: rotationInput({ dryRun: true }) });
            expect(dry.output.status).toBe('DryRun');
            expect(dry.output.steps.find((s) => s.name === 'preflight')?.detail).toContain('pins version 9c4f00e2a1');
            const real = await driveRotation(world, { input: rotationInput() });
            expect(real.output.status).toBe('Failed');
            expect(real.output.reason?.code).toBe('pinned_reference');
            // Announcing and keeping the history record change nothing in the tenant; everything else must not run.
            const bookkeeping: string[] = [Activities.notify, Activities.recordHistory];
            expect(real.activities.filter((a) => !bookkeeping.includes(a))).toEqual([Activities.preflight]);
            expect(world.directory.credentialsOf(APP_ID).map((c) => c.keyId)).toEqual(keysBefore);
        });
    });

    describe('refresh and confirm', () => {
        const vaultRef = (version = '') =>
            `@Microsoft.KeyVault(SecretUri=${live.emulator.vaultUrl}/secrets/app-secret/${version})`;
        const request = (secretVersion: string) => ({
            vaultUrl: live.emulator.vaultUrl,
            secretName: 'app-secret',
            secretVersion,
            fingerprint: '0123456789ab',
            rotationId: 'r1',
            requestedAt: new Date().toISOString(),
        });
        const state = async () =>
            live.control<{
                sites: { id: string; slots: Record<string, { restarts: number; refreshes: number }> }[];
            }>('/resourceManager/sites');

        it('a versionless reference is re-resolved by the refresh (no restart) and then confirmed', async () => {
            const old = await setSecret('app-secret', 'old');
            await site('payroll-agent', { SECRET: vaultRef() });
            const fresh = await setSecret('app-secret', 'new');
            expect(fresh).not.toBe(old);
            const config = consumersFor(live.emulator.vaultUrl, 'app-secret', [
                { name: 'payroll', type: 'appService', resourceId: siteId('payroll-agent') },
            ]);
            const consumer = config.consumersFor(live.emulator.vaultUrl, 'app-secret')[0]!;
            const refresher = new RoutingRefresher(
                { refresh: () => Promise.reject(new Error('not http')) },
                new AppServiceRefresher(adapter(), config),
            );
            const outcome = await refresher.refresh(consumer, request(fresh));
            expect(outcome).toMatchObject({ ok: true });
            expect(outcome.detail).toContain('SECRET resolve versionless after publish');
            const payroll = (await state()).sites.find((s) => s.id === siteId('payroll-agent'));
            expect(payroll?.slots['production']).toMatchObject({ refreshes: 1, restarts: 0 });

            // Where the service reports the version, a stale one is "not yet" (retryable), the new one is proof.
            await live.control('/resourceManager/settings', { reportActiveVersion: true });
            await site('payroll-agent', { SECRET: vaultRef() });
            const newer = await setSecret('app-secret', 'newer');
            const proven = await refresher.refresh(consumer, request(newer));
            expect(proven).toMatchObject({ ok: true });
            expect(proven.detail).toContain(`resolve to version ${newer}`);
            await live.control('/resourceManager/settings', { reportActiveVersion: false });
        });

        it('a pin found at refresh time is final; with unpinOnRotate the setting is rewritten versionless (history says so)', async () => {
            const old = await setSecret('app-secret', 'one');
            await site('teams-agent', { SECRET: vaultRef(old), KEEP: 'me' });
            const fresh = await setSecret('app-secret', 'two');
            const refresh = [{ name: 'teams', type: 'appService', resourceId: siteId('teams-agent') }];
            const strict = consumersFor(live.emulator.vaultUrl, 'app-secret', refresh);
            const consumer = strict.consumersFor(live.emulator.vaultUrl, 'app-secret')[0]!;
            const refused = await new AppServiceRefresher(adapter(), strict).refresh(consumer, request(fresh));
            expect(refused).toMatchObject({ ok: false, retryable: false });
            expect(refused.detail).toContain(`SECRET → ${old}`);

            const optedIn = consumersFor(live.emulator.vaultUrl, 'app-secret', refresh, true);
            const unpinned = await new AppServiceRefresher(adapter(), optedIn).refresh(consumer, request(fresh));
            expect(unpinned).toMatchObject({ ok: true });
            expect(unpinned.detail).toContain(`unpinned SECRET (was version ${old}; unpinOnRotate)`);
            const settings = await adapter().listReferences({
                subscriptionId: SUBSCRIPTION_ID,
                resourceGroup: rg,
                name: 'teams-agent',
                slot: undefined,
            });
            expect(settings.map((r) => r.reference)).toEqual([vaultRef()]);
            const teams = (await state()).sites.find((s) => s.id === siteId('teams-agent'));
            expect(teams?.slots['production']?.restarts).toBe(1);
        });

        it('a slot is refreshed on its own; a reference that does not resolve is "not yet"; throttling is "not yet"', async () => {
            await setSecret('app-secret', 'x');
            await site('payroll-agent', {}, { staging: { SECRET: vaultRef('0000') } });
            const refresh = [{ name: 'staging', type: 'appService', resourceId: siteId('payroll-agent', 'staging') }];
            const config = consumersFor(live.emulator.vaultUrl, 'app-secret', refresh, true);
            const consumer = config.consumersFor(live.emulator.vaultUrl, 'app-secret')[0]!;
            const refresher = new AppServiceRefresher(adapter(), config);
            // Unpinned to the versionless form, it resolves.
            expect(await refresher.refresh(consumer, request('whatever'))).toMatchObject({ ok: true });
            await site(
                'payroll-agent',
                {},
                { staging: { SECRET: `@Microsoft.KeyVault(VaultName=localhost;SecretName=app-secret)` } },
            );
            await live.control('/faults', { resourceManager: { throttle: { count: 50, retryAfterSeconds: 0 } } });
            const throttled = await refresher.refresh(consumer, request('v'));
            expect(throttled).toMatchObject({ ok: false, retryable: true });
            expect(throttled.detail).toContain('throttled');
        });
    });
});
