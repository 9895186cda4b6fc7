import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type TestEmulator, startTestEmulator } from './support/harness';

let t: TestEmulator;
let adminToken: string;

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
    t = await startTestEmulator();
    adminToken = await t.adminToken();
});
afterAll(async () => {
    await t?.close();
});

async function createApp(displayName: string) {
    const response = await t.raw('POST', '/v1.0/applications', { headers: auth(adminToken), json: { displayName } });
    expect(response.status).toBe(201);
    return response.json as { id: string; appId: string };
}

describe('Graph applications over raw HTTP (api-fidelity §1)', () => {
    it('§1.5 missing token → 401 InvalidAuthenticationToken with innerError (capital E), date without zone', async () => {
        const response = await t.raw('GET', '/v1.0/applications', { headers: { 'client-request-id': 'abc-123' } });
        expect(response.status).toBe(401);
        expect(response.headers['content-type']).toMatch(/^application\/json;/);
        expect(response.json.error.code).toBe('InvalidAuthenticationToken');
        expect(response.json.error.innerError['client-request-id']).toBe('abc-123');
        expect(response.json.error.innerError['request-id']).toMatch(/^[0-9a-f-]{36}$/);
        expect(response.json.error.innerError.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    });

    it('§1.5 token for another audience → 401 Invalid audience', async () => {
        const vaultToken = await t.adminToken('https://vault.azure.net/.default');
        const response = await t.raw('GET', '/v1.0/applications', { headers: auth(vaultToken) });
        expect(response.status).toBe(401);
        expect(response.json.error.message).toMatch(/Invalid audience/);
    });

    it('§1.5 expired token (emulator clock moved past exp) → 401 naming the expiry', async () => {
        const token = await t.adminToken();
        await t.control('/clock', { advanceSeconds: 3600 });
        const response = await t.raw('GET', '/v1.0/applications', { headers: auth(token) });
        expect(response.status).toBe(401);
        expect(response.json.error).toMatchObject({
            code: 'InvalidAuthenticationToken',
            message: 'Access token has expired.',
        });
        adminToken = await t.adminToken();
    });

    it('§1.1 get by id and by (appId=…); secretText null after addPassword, hint = first 3 chars', async () => {
        const app = await createApp('fidelity-get');
        const added = await t.raw('POST', `/v1.0/applications(appId='${app.appId}')/addPassword`, {
            headers: auth(adminToken),
            json: { passwordCredential: { displayName: 'rotation-1' } },
        });
        expect(added.status).toBe(200);
        expect(added.json.secretText).toEqual(expect.any(String));
        expect(added.json.hint).toBe(added.json.secretText.slice(0, 3));
        expect(Date.parse(added.json.endDateTime) - Date.parse(added.json.startDateTime)).toBeGreaterThan(
            729 * 86400_000,
        );
        const byId = await t.raw('GET', `/v1.0/applications/${app.id}`, { headers: auth(adminToken) });
        const byAppId = await t.raw('GET', `/v1.0/applications(appId='${app.appId}')`, { headers: auth(adminToken) });
        expect(byAppId.json.id).toBe(app.id);
        expect(byId.json.passwordCredentials).toEqual([
            expect.objectContaining({
                keyId: added.json.keyId,
                secretText: null,
                hint: added.json.hint,
                displayName: 'rotation-1',
                customKeyIdentifier: null,
            }),
        ]);
        const state = await t.control('/state');
        expect(JSON.stringify(state)).not.toContain(added.json.secretText);
    });

    it('§1.4 $select, $filter eq/startswith, $top and nextLink paging on the emulator origin with %24-encoded names', async () => {
        for (let i = 0; i < 5; i++) await createApp(`paging-${i}`);
        const first = await t.raw(
            'GET',
            `/v1.0/applications?%24filter=${encodeURIComponent("startswith(displayName,'paging-')")}&%24select=id%2CdisplayName&%24top=2`,
            { headers: auth(adminToken) },
        );
        expect(first.status).toBe(200);
        expect(first.json['@odata.context']).toMatch(/\$metadata#applications\(id,displayName\)$/);
        expect(first.json.value).toHaveLength(2);
        expect(Object.keys(first.json.value[0]).sort()).toEqual(['displayName', 'id']);
        const next = new URL(first.json['@odata.nextLink']);
        expect(next.origin).toBe(t.emulator.baseUrl);
        expect(next.searchParams.get('$top')).toBe('2');
        const names: string[] = first.json.value.map((a: { displayName: string }) => a.displayName);
        let link: string | undefined = first.json['@odata.nextLink'];
        while (link) {
            const url = new URL(link);
            const pageResponse = await t.raw('GET', url.pathname + url.search, { headers: auth(adminToken) });
            names.push(...pageResponse.json.value.map((a: { displayName: string }) => a.displayName));
            link = pageResponse.json['@odata.nextLink'];
        }
        expect(names.sort()).toEqual(['paging-0', 'paging-1', 'paging-2', 'paging-3', 'paging-4']);
        const one = await t.raw(
            'GET',
            `/v1.0/applications?$filter=${encodeURIComponent("displayName eq 'paging-3'")}`,
            { headers: auth(adminToken) },
        );
        expect(one.json.value.map((a: { displayName: string }) => a.displayName)).toEqual(['paging-3']);
        const tooBig = await t.raw('GET', '/v1.0/applications?$top=1000', { headers: auth(adminToken) });
        expect(tooBig.status).toBe(400);
        const badSelect = await t.raw('GET', '/v1.0/applications?$select=nope', { headers: auth(adminToken) });
        expect(badSelect.status).toBe(400);
    });

    it('§1.4 /applications/$count is text/plain and needs ConsistencyLevel: eventual', async () => {
        const without = await t.raw('GET', '/v1.0/applications/$count', { headers: auth(adminToken) });
        expect(without.status).toBe(400);
        const counted = await t.raw('GET', '/v1.0/applications/$count', {
            headers: { ...auth(adminToken), consistencylevel: 'eventual' },
        });
        expect(counted.status).toBe(200);
        expect(counted.headers['content-type']).toMatch(/^text\/plain/);
        const listed = await t.raw('GET', '/v1.0/applications?$select=id&$top=999', { headers: auth(adminToken) });
        expect(Number(counted.text)).toBe(listed.json.value.length);
    });

    it('§1.3 removePassword → 204, unknown keyId → 400 "No password credential found with keyId"', async () => {
        const app = await createApp('remove-password');
        const added = await t.raw('POST', `/v1.0/applications/${app.id}/addPassword`, {
            headers: auth(adminToken),
            json: {},
        });
        const removed = await t.raw('POST', `/v1.0/applications/${app.id}/removePassword`, {
            headers: auth(adminToken),
            json: { keyId: added.json.keyId },
        });
        expect(removed.status).toBe(204);
        expect(removed.text).toBe('');
        const again = await t.raw('POST', `/v1.0/applications/${app.id}/removePassword`, {
            headers: auth(adminToken),
            json: { keyId: added.json.keyId },
        });
        expect(again.status).toBe(400);
        expect(again.json.error.message).toContain(`No password credential found with keyId ${added.json.keyId}`);
    });

    it('§1.2 app-management policy max password lifetime → 400 CredentialInvalidLifetimeAsPerAppPolicy', async () => {
        const app = await createApp('policy');
        await t.control('/faults', { appManagementPolicy: { maxPasswordLifetime: 'P90D' } });
        try {
            const tooLong = await t.raw('POST', `/v1.0/applications/${app.id}/addPassword`, {
                headers: auth(adminToken),
                json: {},
            });
            expect(tooLong.status).toBe(400);
            expect(tooLong.json.error.code).toBe('CredentialInvalidLifetimeAsPerAppPolicy');
            expect(tooLong.json.error.message).toMatch(
                /^Credential lifetime exceeds the max value allowed as per assigned policy /,
            );
            const end = new Date(Date.now() + 30 * 86400_000).toISOString();
            const fine = await t.raw('POST', `/v1.0/applications/${app.id}/addPassword`, {
                headers: auth(adminToken),
                json: { passwordCredential: { endDateTime: end } },
            });
            expect(fine.status).toBe(200);
        } finally {
            await t.control('/faults', { appManagementPolicy: null });
        }
    });

    it('§1.5 unknown id → 404 Request_ResourceNotFound with the real message', async () => {
        const response = await t.raw('GET', '/v1.0/applications/5d9ad3c2-0000-4000-8000-000000000001', {
            headers: auth(adminToken),
        });
        expect(response.status).toBe(404);
        expect(response.json.error).toMatchObject({
            code: 'Request_ResourceNotFound',
            message:
                "Resource '5d9ad3c2-0000-4000-8000-000000000001' does not exist or one of its queried reference-property objects are not present.",
        });
    });

    it('bad input: malformed JSON, wrong content type and unknown segment get Graph error shapes', async () => {
        const malformed = await t.raw('POST', '/v1.0/applications', {
            headers: { ...auth(adminToken), 'content-type': 'application/json' },
            body: '{"displayName":',
        });
        expect(malformed.status).toBe(400);
        expect(malformed.json.error.code).toBe('Request_BadRequest');
        const textBody = await t.raw('POST', '/v1.0/applications', {
            headers: { ...auth(adminToken), 'content-type': 'text/plain' },
            body: 'hello',
        });
        expect(textBody.status).toBe(400);
        const unknown = await t.raw('GET', '/v1.0/frobnicate', { headers: auth(adminToken) });
        expect(unknown.status).toBe(400);
        expect(unknown.json.error.message).toBe("Resource not found for the segment 'frobnicate'.");
        const huge = await t.raw('POST', '/v1.0/applications', {
            headers: { ...auth(adminToken), 'content-type': 'application/json' },
            body: Buffer.alloc(5 * 1024 * 1024, 32),
        });
        expect(huge.status).toBe(413);
        expect(huge.json.error.innerError).toBeDefined();
        const still = await t.raw('GET', '/v1.0/applications?$top=1', { headers: auth(adminToken) });
        expect(still.status).toBe(200);
    });

    it('§1.7 $batch runs up to 20 requests with per-item statuses and 424 for failed dependencies', async () => {
        const app = await createApp('batch-target');
        const batch = await t.raw('POST', '/v1.0/$batch', {
            headers: auth(adminToken),
            json: {
                requests: [
                    { id: '1', method: 'GET', url: `/applications/${app.id}?$select=id,displayName` },
                    { id: '2', method: 'GET', url: '/applications/00000000-0000-4000-8000-00000000dead' },
                    { id: '3', method: 'GET', url: `/applications/${app.id}`, dependsOn: ['2'] },
                ],
            },
        });
        expect(batch.status).toBe(200);
        const byId = Object.fromEntries(batch.json.responses.map((r: { id: string }) => [r.id, r]));
        expect(byId['1']).toMatchObject({ status: 200, body: { id: app.id, displayName: 'batch-target' } });
        expect(byId['2'].status).toBe(404);
        expect(byId['3'].status).toBe(424);
        const tooMany = await t.raw('POST', '/v1.0/$batch', {
            headers: auth(adminToken),
            json: {
                requests: Array.from({ length: 21 }, (_, i) => ({
                    id: String(i),
                    method: 'GET',
                    url: '/applications',
                })),
            },
        });
        expect(tooMany.status).toBe(400);
    });
});

describe('Service principals and app role assignments (api-fidelity §1.10)', () => {
    it('create SP for an app, grant a Graph app role, and the next token carries it; 409 on a duplicate SP', async () => {
        const app = await createApp('sp-target');
        const sp = await t.raw('POST', '/v1.0/servicePrincipals', {
            headers: auth(adminToken),
            json: { appId: app.appId },
        });
        expect(sp.status).toBe(201);
        expect(sp.json).toMatchObject({ appId: app.appId, accountEnabled: true, servicePrincipalType: 'Application' });
        const duplicate = await t.raw('POST', '/v1.0/servicePrincipals', {
            headers: auth(adminToken),
            json: { appId: app.appId },
        });
        expect(duplicate.status).toBe(409);
        const graphSp = await t.raw(
            'GET',
            `/v1.0/servicePrincipals?$filter=${encodeURIComponent("appId eq '00000003-0000-0000-c000-000000000000'")}`,
            { headers: auth(adminToken) },
        );
        const graph = graphSp.json.value[0];
        const readAll = graph.appRoles.find((role: { value: string }) => role.value === 'Application.Read.All');
        expect(readAll.id).toBe('9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30');
        const grant = await t.raw('POST', `/v1.0/servicePrincipals/${sp.json.id}/appRoleAssignments`, {
            headers: auth(adminToken),
            json: { principalId: sp.json.id, resourceId: graph.id, appRoleId: readAll.id },
        });
        expect(grant.status).toBe(201);
        expect(grant.json).toMatchObject({
            principalId: sp.json.id,
            resourceId: graph.id,
            resourceDisplayName: 'Microsoft Graph',
        });
        const listed = await t.raw('GET', `/v1.0/servicePrincipals(appId='${app.appId}')/appRoleAssignments`, {
            headers: auth(adminToken),
        });
        expect(listed.json.value.map((a: { appRoleId: string }) => a.appRoleId)).toEqual([readAll.id]);
        const secret = await t.raw('POST', `/v1.0/applications/${app.id}/addPassword`, {
            headers: auth(adminToken),
            json: {},
        });
        const token = await t.token(app.appId, secret.json.secretText);
        const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
        expect(claims.roles).toEqual(['Application.Read.All']);
        expect((await t.raw('GET', '/v1.0/applications?$top=1', { headers: auth(token) })).status).toBe(200);
        expect(
            (await t.raw('POST', '/v1.0/applications', { headers: auth(token), json: { displayName: 'nope' } })).status,
        ).toBe(403);
    });
});

describe('Replication lag (api-fidelity §1.11)', () => {
    it('§1.11 with graphReplicationLagSeconds a new app is 404 and a new password is invisible to GET and removePassword until the lag passes', async () => {
        await t.control('/faults', { graphReplicationLagSeconds: 10 });
        try {
            const app = await createApp('lagging');
            expect((await t.raw('GET', `/v1.0/applications/${app.id}`, { headers: auth(adminToken) })).status).toBe(
                404,
            );
            const listed = await t.raw(
                'GET',
                `/v1.0/applications?$filter=${encodeURIComponent(`appId eq '${app.appId}'`)}`,
                { headers: auth(adminToken) },
            );
            expect(listed.json.value).toEqual([]);
            await t.control('/clock', { advanceSeconds: 11 });
            const token = await t.adminToken();
            const added = await t.raw('POST', `/v1.0/applications/${app.id}/addPassword`, {
                headers: auth(token),
                json: {},
            });
            expect(added.status).toBe(200);
            const stale = await t.raw('GET', `/v1.0/applications/${app.id}`, { headers: auth(token) });
            expect(stale.json.passwordCredentials).toEqual([]);
            const early = await t.raw('POST', `/v1.0/applications/${app.id}/removePassword`, {
                headers: auth(token),
                json: { keyId: added.json.keyId },
            });
            expect(early.status).toBe(400);
            expect(early.json.error.message).toContain('No password credential found with keyId');
            await t.control('/clock', { advanceSeconds: 11 });
            const later = await t.raw('POST', `/v1.0/applications/${app.id}/removePassword`, {
                headers: auth(await t.adminToken()),
                json: { keyId: added.json.keyId },
            });
            expect(later.status).toBe(204);
        } finally {
            await t.control('/faults', { graphReplicationLagSeconds: 0 });
        }
    });
});

describe('Permissions from token roles (api-fidelity §1.2, issue 3)', () => {
    it('an OwnedBy caller manages its own app but gets 403 Authorization_RequestDenied on one it does not own', async () => {
        const seeded = await t.control('/entra/seed', {
            applications: [
                {
                    displayName: 'rotator',
                    roles: [{ resource: 'https://graph.microsoft.com', role: 'Application.ReadWrite.OwnedBy' }],
                },
            ],
        });
        const rotator = seeded.applications[0];
        const owned = await createApp('owned-target');
        const foreign = await createApp('foreign-target');
        const ref = await t.raw('POST', `/v1.0/applications/${owned.id}/owners/$ref`, {
            headers: auth(adminToken),
            json: { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${rotator.servicePrincipalId}` },
        });
        expect(ref.status).toBe(204);
        const token = await t.token(rotator.appId, rotator.clientSecret);
        const mine = await t.raw('POST', `/v1.0/applications/${owned.id}/addPassword`, {
            headers: auth(token),
            json: {},
        });
        expect(mine.status).toBe(200);
        const theirs = await t.raw('POST', `/v1.0/applications/${foreign.id}/addPassword`, {
            headers: auth(token),
            json: {},
        });
        expect(theirs.status).toBe(403);
        expect(theirs.json.error).toMatchObject({
            code: 'Authorization_RequestDenied',
            message: 'Insufficient privileges to complete the operation.',
        });
        // Reads are not limited to owned apps (observed behaviour, see graph/auth.ts); writes are.
        const read = await t.raw('GET', `/v1.0/applications/${foreign.id}?$select=id`, { headers: auth(token) });
        expect(read.status).toBe(200);
        const patch = await t.raw('PATCH', `/v1.0/applications/${foreign.id}`, {
            headers: auth(token),
            json: { notes: 'x' },
        });
        expect(patch.status).toBe(403);
        const owners = await t.raw('GET', `/v1.0/applications/${owned.id}/owners`, { headers: auth(token) });
        expect(owners.json.value[0]).toMatchObject({
            '@odata.type': '#microsoft.graph.servicePrincipal',
            id: rotator.servicePrincipalId,
        });
    });

    it('$expand=owners($select=id) returns at most 20 owners like Graph; /owners lists them all; other $expand → 400', async () => {
        const seeded = await t.control('/entra/seed', {
            applications: Array.from({ length: 25 }, (_, i) => ({ displayName: `owner-${i}` })),
        });
        const target = await createApp('many-owners');
        for (const owner of seeded.applications) {
            const ref = await t.raw('POST', `/v1.0/applications/${target.id}/owners/$ref`, {
                headers: auth(adminToken),
                json: { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${owner.servicePrincipalId}` },
            });
            expect(ref.status).toBe(204);
        }
        const expanded = await t.raw(
            'GET',
            `/v1.0/applications(appId='${target.appId}')?$select=id,passwordCredentials&$expand=owners($select=id)`,
            { headers: auth(adminToken) },
        );
        expect(expanded.status).toBe(200);
        expect(expanded.json.owners).toHaveLength(20);
        expect(expanded.json.owners[0]).toEqual({
            '@odata.type': '#microsoft.graph.servicePrincipal',
            id: seeded.applications[0].servicePrincipalId,
        });
        const all = await t.raw('GET', `/v1.0/applications/${target.id}/owners`, { headers: auth(adminToken) });
        expect(all.json.value).toHaveLength(25);
        const bad = await t.raw('GET', `/v1.0/applications/${target.id}?$expand=notAProperty`, {
            headers: auth(adminToken),
        });
        expect(bad.status).toBe(400);
        const plain = await t.raw('GET', `/v1.0/applications/${target.id}?$select=id`, { headers: auth(adminToken) });
        expect(plain.json.owners).toBeUndefined();
    });

    it('sign-ins need Directory.Read.All besides AuditLog.Read.All (the documented known issue), as in Azure', async () => {
        const filter = encodeURIComponent("signInEventTypes/any(t: t eq 'servicePrincipal')");
        const seeded = await t.control('/entra/seed', {
            applications: [
                {
                    displayName: 'audit-only',
                    roles: [{ resource: 'https://graph.microsoft.com', role: 'AuditLog.Read.All' }],
                },
                {
                    displayName: 'audit-and-directory',
                    roles: [
                        { resource: 'https://graph.microsoft.com', role: 'AuditLog.Read.All' },
                        { resource: 'https://graph.microsoft.com', role: 'Directory.Read.All' },
                    ],
                },
            ],
        });
        const [auditOnly, both] = seeded.applications;
        const read = async (app: { appId: string; clientSecret: string }) =>
            (
                await t.raw('GET', `/beta/auditLogs/signIns?$filter=${filter}`, {
                    headers: auth(await t.token(app.appId, app.clientSecret)),
                })
            ).status;
        expect(await read(auditOnly)).toBe(403);
        expect(await read(both)).toBe(200);
    });

    it('a caller without Graph roles gets 403 on lists and sign-ins', async () => {
        const seeded = await t.control('/entra/seed', { applications: [{ displayName: 'no-roles' }] });
        const token = await t.token(seeded.applications[0].appId, seeded.applications[0].clientSecret);
        expect((await t.raw('GET', '/v1.0/applications', { headers: auth(token) })).status).toBe(403);
        const filter = encodeURIComponent("signInEventTypes/any(t: t eq 'servicePrincipal')");
        expect((await t.raw('GET', `/beta/auditLogs/signIns?$filter=${filter}`, { headers: auth(token) })).status).toBe(
            403,
        );
    });
});

describe('Graph with the real graph-client (api-fidelity §6)', () => {
    it('§6 graph-client with customHosts: create, addPassword, (appId=…) removePassword → undefined, GraphError fields on 404', async () => {
        const { emulator } = t;
        const principal = { tenantId: emulator.tenantId, ...emulator.principals.admin };
        const results = await t.sdk({
            kind: 'graph',
            authorityHost: emulator.authorityHost,
            graphBaseUrl: emulator.graphBaseUrl,
            principal,
            steps: [
                { method: 'post', path: '/applications', body: { displayName: 'sdk-app' } },
                {
                    method: 'post',
                    path: '/applications/{{0.body.id}}/addPassword',
                    body: { passwordCredential: { displayName: 'sdk' } },
                },
                {
                    method: 'get',
                    path: '/applications',
                    query: { $filter: "appId eq '{{0.body.appId}}'", $select: 'id,passwordCredentials' },
                },
                { method: 'get', path: '/applications/11111111-0000-4000-8000-000000000000' },
                {
                    method: 'post',
                    path: "/applications(appId='{{0.body.appId}}')/removePassword",
                    body: { keyId: '{{1.body.keyId}}' },
                },
                { method: 'get', path: '/applications/{{0.body.id}}', query: { $select: 'passwordCredentials' } },
            ],
        });
        const app = results[0].body;
        expect(app).toMatchObject({ displayName: 'sdk-app', passwordCredentials: [] });
        expect(results[1]).toMatchObject({ ok: true, body: { displayName: 'sdk', secretText: expect.any(String) } });
        expect(results[2].body.value).toEqual([
            {
                id: app.id,
                passwordCredentials: [expect.objectContaining({ keyId: results[1].body.keyId, secretText: null })],
            },
        ]);
        expect(results[3]).toMatchObject({
            ok: false,
            statusCode: 404,
            code: 'Request_ResourceNotFound',
            requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        });
        expect(results[3].date).toEqual(expect.any(String));
        expect(results[4]).toEqual({ ok: true, body: null });
        expect(results[5].body.passwordCredentials).toEqual([]);
    });
});
