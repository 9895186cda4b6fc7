import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type TestEmulator, startTestEmulator } from './support/harness';

let t: TestEmulator;

beforeAll(async () => {
    t = await startTestEmulator();
});
afterAll(async () => {
    await t?.close();
});

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

describe('Scenario: secret lifecycle against the real msal-node (api-fidelity §1.11, §2.4, §1.8)', () => {
    it('a new secret fails with 7000215 during the propagation delay, works after it, and stops working after removePassword', async () => {
        const { emulator } = t;
        const seeded = await t.control('/entra/seed', { applications: [{ displayName: 'rotated-app' }] });
        const target = seeded.applications[0];
        await t.control('/faults', { propagationDelaySeconds: 30 });
        const adminToken = await t.adminToken();
        const added = await t.raw('POST', `/v1.0/applications/${target.id}/addPassword`, {
            headers: auth(adminToken),
            json: { passwordCredential: { displayName: 'rotation' } },
        });
        expect(added.status).toBe(200);
        const msal = (clientSecret: string) => ({
            kind: 'msal',
            authorityHost: emulator.authorityHost,
            principal: { tenantId: emulator.tenantId, clientId: target.appId, clientSecret },
            scope: 'https://graph.microsoft.com/.default',
            skipCache: true,
        });
        const steps = await t.sdk([
            msal(added.json.secretText),
            { kind: 'http', method: 'POST', url: `${emulator.baseUrl}/_emulator/clock`, body: { advanceSeconds: 31 } },
            msal(added.json.secretText),
            msal(target.clientSecret),
            {
                kind: 'graph',
                authorityHost: emulator.authorityHost,
                graphBaseUrl: emulator.graphBaseUrl,
                principal: { tenantId: emulator.tenantId, ...emulator.principals.admin },
                steps: [
                    {
                        method: 'post',
                        path: `/applications/${target.id}/removePassword`,
                        body: { keyId: added.json.keyId },
                    },
                ],
            },
            msal(added.json.secretText),
        ]);
        expect(steps[0][0]).toMatchObject({ ok: false, errorCode: 'invalid_client', errorNo: 7000215 });
        expect(steps[1].status).toBe(200);
        expect(steps[2][0]).toMatchObject({ ok: true, fromCache: false });
        expect(steps[2][0].claims.appid).toBe(target.appId);
        expect(steps[3][0]).toMatchObject({ ok: true });
        expect(steps[4][0]).toEqual({ ok: true, body: null });
        expect(steps[5][0]).toMatchObject({ ok: false, errorNo: 7000215 });

        // Every attempt is in the sign-in log with the credential's keyId (§1.8).
        const filter = encodeURIComponent(
            `signInEventTypes/any(t: t eq 'servicePrincipal') and appId eq '${target.appId}'`,
        );
        const signIns = await t.raw('GET', `/beta/auditLogs/signIns?$filter=${filter}`, {
            headers: auth(await t.adminToken()),
        });
        expect(signIns.status).toBe(200);
        const log = signIns.json.value as {
            status: { errorCode: number };
            servicePrincipalCredentialKeyId: string | null;
            createdDateTime: string;
        }[];
        const forNewKey = log
            .filter((entry) => entry.servicePrincipalCredentialKeyId === added.json.keyId)
            .map((entry) => entry.status.errorCode);
        // Newest first: success after propagation, failure during it. The attempt after removal matches no key.
        expect(forNewKey).toEqual([0, 7000215]);
        expect(log[0]).toMatchObject({ status: { errorCode: 7000215 }, servicePrincipalCredentialKeyId: null });
        expect(log.map((entry) => entry.createdDateTime)).toEqual(
            [...log.map((entry) => entry.createdDateTime)].sort().reverse(),
        );
        await t.control('/faults', { reset: true });
    });
});

describe('Sign-in logs (api-fidelity §1.8)', () => {
    it('§1.8 only explicit servicePrincipal filters return SP sign-ins; appId/createdDateTime filters; ingestion latency hides recent entries', async () => {
        const seeded = await t.control('/entra/seed', { applications: [{ displayName: 'log-app' }] });
        const app = seeded.applications[0];
        const admin = await t.adminToken();
        const since = new Date(Date.now() - 1000 + (await t.control('/clock')).offsetSeconds * 1000).toISOString();
        await t.token(app.appId, app.clientSecret);
        const spFilter = "signInEventTypes/any(t: t eq 'servicePrincipal')";
        const query = (filter: string) =>
            t.raw('GET', `/beta/auditLogs/signIns?$filter=${encodeURIComponent(filter)}`, { headers: auth(admin) });
        const unfiltered = await t.raw('GET', '/beta/auditLogs/signIns', { headers: auth(admin) });
        expect(unfiltered.json.value).toEqual([]);
        const byApp = await query(`${spFilter} and appId eq '${app.appId}' and createdDateTime ge ${since}`);
        expect(byApp.json.value).toHaveLength(1);
        expect(byApp.json.value[0]).toMatchObject({
            appId: app.appId,
            servicePrincipalId: app.servicePrincipalId,
            resourceId: '00000003-0000-0000-c000-000000000000',
            clientCredentialType: 'clientSecret',
            servicePrincipalCredentialKeyId: app.keyId,
            status: { errorCode: 0 },
            signInEventTypes: ['servicePrincipal'],
        });
        const future = await query(`${spFilter} and createdDateTime ge 2999-01-01T00:00:00Z`);
        expect(future.json.value).toEqual([]);

        await t.control('/faults', { signInIngestionLatencySeconds: 300 });
        await t.token(app.appId, app.clientSecret);
        expect((await query(`${spFilter} and appId eq '${app.appId}'`)).json.value).toHaveLength(1);
        await t.control('/clock', { advanceSeconds: 301 });
        expect((await query(`${spFilter} and appId eq '${app.appId}'`)).json.value).toHaveLength(2);
        await t.control('/faults', { reset: true });
    });

    it('§1.8 filters only on documented terms: status/errorCode and correlationId work, the credential keyId is refused', async () => {
        const seeded = await t.control('/entra/seed', { applications: [{ displayName: 'filter-app' }] });
        const app = seeded.applications[0];
        const admin = await t.adminToken();
        const spFilter = `signInEventTypes/any(t: t eq 'servicePrincipal') and appId eq '${app.appId}'`;
        const query = (filter: string) =>
            t.raw('GET', `/beta/auditLogs/signIns?$filter=${encodeURIComponent(filter)}`, { headers: auth(admin) });
        await t.token(app.appId, app.clientSecret);
        const failed = await t.raw('POST', `/${t.emulator.tenantId}/oauth2/v2.0/token`, {
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({
                client_id: app.appId,
                client_secret: 'wrong-secret',
                scope: 'https://graph.microsoft.com/.default',
                grant_type: 'client_credentials',
                'client-request-id': '0f8fad5b-d9cb-469f-a165-70867728950e',
            }).toString(),
        });
        expect(failed.status).toBe(401);

        const successes = await query(`${spFilter} and status/errorCode eq 0`);
        expect(successes.status).toBe(200);
        expect(successes.json.value).toHaveLength(1);
        expect(successes.json.value[0]).toMatchObject({
            status: { errorCode: 0 },
            servicePrincipalCredentialKeyId: app.keyId,
        });
        const byCorrelation = await query(`${spFilter} and correlationId eq '0f8fad5b-d9cb-469f-a165-70867728950e'`);
        expect(byCorrelation.json.value).toHaveLength(1);
        expect(byCorrelation.json.value[0].status.errorCode).toBe(7000215);

        // Not documented as filterable on the signIn resource: answered like any unsupported filter.
        const byKey = await query(`${spFilter} and servicePrincipalCredentialKeyId eq '${app.keyId}'`);
        expect(byKey.status).toBe(400);
        expect(byKey.json.error.code).toBe('Request_UnsupportedQuery');
    });
});
