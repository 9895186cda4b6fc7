import { describe, expect, it } from 'vitest';

import { type AppServicePort } from '../../../shared/appService/ports';
import { Activities } from '../../../shared/rotation/names';
import { refreshFailed } from '../../support/fakes/FakeRefresher';
import { driveRotation } from '../../support/fakes/orchestrationDriver';
import { rotationInput } from '../../support/fakes/inputs';
import { createWorld, SECRET_NAME, VAULT_URL, type World } from '../../support/fakes/world';

const SITE =
    '/subscriptions/5f1c6a3e-0d2b-4c8e-9a71-3b6e2d4f8c10/resourceGroups/rg/providers/Microsoft.Web/sites/payroll';

/** Preflight reads one versionless reference; refresh outcomes are scripted on the world's refresher. */
const versionlessSite: AppServicePort = {
    listSites: () => Promise.resolve([]),
    listReferences: () =>
        Promise.resolve([
            {
                setting: 'GRAPH',
                reference: `@Microsoft.KeyVault(SecretUri=${VAULT_URL}/secrets/${SECRET_NAME}/)`,
                status: 'Resolved',
                details: undefined,
                activeVersion: undefined,
            },
        ]),
    refreshReferences: () => Promise.reject(new Error('scripted on the refresher')),
    rewriteSetting: () => Promise.reject(new Error('scripted on the refresher')),
};

function appServiceWorld(extra: Record<string, unknown> = {}): World {
    const base = createWorld({
        consumers: [
            {
                name: 'payroll',
                type: 'appService',
                resourceId: SITE,
                intervalSeconds: 30,
                maxWaitSeconds: 300,
                ...extra,
            },
        ],
    });
    return { ...base, deps: { ...base.deps, appService: versionlessSite } };
}

describe('rotateCredential with an App Service consumer', () => {
    it('polls the references until they resolve, then counts the app as switched in the confirm evidence', async () => {
        const world = appServiceWorld();
        world.refresher.script('payroll', [
            refreshFailed('references not resolved yet (GRAPH: Initialized)', true),
            { ok: true, detail: 'payroll GRAPH resolve versionless after publish' },
        ]);
        const run = await driveRotation(world, { input: rotationInput() });
        expect(run.output.status).toBe('Completed');
        expect(world.refresher.callsFor('payroll')).toBe(2);
        const confirm = run.output.steps.find((s) => s.name === 'confirm')?.detail ?? '';
        expect(confirm).toContain(
            'appServiceReference: payroll re-resolved its Key Vault reference to the new version',
        );
        expect(run.output.evidence).toContainEqual(
            expect.objectContaining({ source: 'appServiceReference', kind: 'newKeyInUse' }),
        );
        expect(run.output.steps.find((s) => s.name === 'refresh')?.detail).toContain(
            'payroll: ok (payroll GRAPH resolve',
        );
    });

    it('a final failure (a pin found after preflight) stops at once; abort keeps the old credential', async () => {
        const world = appServiceWorld();
        world.refresher.script('payroll', [refreshFailed('pins an old version (GRAPH → abc)', false)]);
        const run = await driveRotation(world, { input: rotationInput() });
        expect(world.refresher.callsFor('payroll')).toBe(1);
        expect(run.output.status).toBe('AttentionRequired');
        expect(run.output.reason?.code).toBe('consumer_refresh_failed');
        expect(run.activities).not.toContain(Activities.deleteOldCredential);
    });

    it('"not yet" for longer than maxWaitSeconds is a failure; onFailure continue goes on', async () => {
        const world = appServiceWorld({ onFailure: 'continue', maxWaitSeconds: 120 });
        world.refresher.script('payroll', [refreshFailed('throttled', true)]);
        const run = await driveRotation(world, { input: rotationInput() });
        // 30 s apart within 120 s: the first call and four more, then the deadline has passed.
        expect(world.refresher.callsFor('payroll')).toBe(5);
        expect(run.output.steps.find((s) => s.name === 'refresh')?.detail).toContain('payroll: failed (throttled)');
        // The rotation goes on, but nothing then shows the new key in use: the old key stays.
        expect(run.output.status).toBe('AttentionRequired');
        expect(run.output.reason?.code).toBe('no_switch_evidence');
    });
});
