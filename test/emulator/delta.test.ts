import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type TestEmulator, startTestEmulator } from './support/harness';

let t: TestEmulator;
let admin: string;

beforeAll(async () => {
    t = await startTestEmulator();
    admin = await t.adminToken();
});
afterAll(async () => {
    await t?.close();
});

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const SELECT = 'id,appId,displayName,passwordCredentials';

interface DeltaPage {
    value: { id: string; displayName?: string; '@removed'?: { reason: string } }[];
    '@odata.nextLink'?: string;
    '@odata.deltaLink'?: string;
}

/** Follows links from `path` until a deltaLink; returns every entry and the number of pages. */
async function follow(path: string, headers: Record<string, string> = {}) {
    const entries: DeltaPage['value'] = [];
    let pages = 0;
    let next: string | undefined = path;
    for (;;) {
        const res = await t.raw('GET', next.replace(/^https:\/\/[^/]+/, ''), {
            headers: { ...auth(admin), ...headers },
        });
        expect(res.status, JSON.stringify(res.json)).toBe(200);
        const page = res.json as DeltaPage;
        pages += 1;
        expect(page['@odata.nextLink'] && page['@odata.deltaLink']).toBeFalsy();
        entries.push(...page.value);
        if (page['@odata.deltaLink']) return { entries, pages, deltaLink: page['@odata.deltaLink'] };
        if (!page['@odata.nextLink']) throw new Error('a page with neither link');
        next = page['@odata.nextLink'];
    }
}

describe('GET /applications/delta (§1.4 change tracking)', () => {
    it('a full sync pages at most 200; the deltaLink then returns only changed and removed applications', async () => {
        await t.control('/entra/seed', { count: 450, displayNamePrefix: 'delta-', passwordsPerApp: 1 });
        const first = await follow(`/v1.0/applications/delta?$select=${SELECT}`);
        expect(first.entries.length).toBeGreaterThanOrEqual(450);
        expect(first.pages).toBe(Math.ceil(first.entries.length / 200));

        const nothing = await follow(first.deltaLink);
        expect(nothing.entries).toEqual([]);

        const [a, b] = first.entries.filter((e) => e.displayName?.startsWith('delta-'));
        const added = await t.raw('POST', `/v1.0/applications/${a!.id}/addPassword`, {
            headers: auth(admin),
            json: { passwordCredential: { displayName: 'new' } },
        });
        expect(added.status).toBe(200);
        expect((await t.raw('DELETE', `/v1.0/applications/${b!.id}`, { headers: auth(admin) })).status).toBe(204);
        const created = await t.raw('POST', '/v1.0/applications', {
            headers: auth(admin),
            json: { displayName: 'delta-new' },
        });
        expect(created.status).toBe(201);

        const changes = await follow(nothing.deltaLink);
        expect(changes.pages).toBe(1);
        expect(changes.entries).toHaveLength(3);
        // An update is the id and only what changed ("at least the updated properties"): the client must merge.
        const changed = changes.entries.find((e) => e.id === a!.id) as unknown as Record<string, unknown[]>;
        expect(Object.keys(changed).sort()).toEqual(['id', 'passwordCredentials']);
        expect(changed.passwordCredentials).toHaveLength(2);
        expect(changes.entries.find((e) => e.id === b!.id)).toEqual({ id: b!.id, '@removed': { reason: 'changed' } });
        // A new application comes whole, every selected property.
        const fresh = changes.entries.find((e) => e.id === (created.json as { id: string }).id);
        expect(Object.keys(fresh!).sort()).toEqual(['appId', 'displayName', 'id', 'passwordCredentials']);
    });

    it('$deltatoken=latest gives a deltaLink without data; it expires after 7 days (400 syncStateNotFound)', async () => {
        const latest = await t.raw('GET', `/v1.0/applications/delta?$select=${SELECT}&$deltatoken=latest`, {
            headers: auth(admin),
        });
        expect(latest.status).toBe(200);
        const body = latest.json as DeltaPage;
        expect(body.value).toEqual([]);
        expect(body['@odata.deltaLink']).toMatch(/\/v1\.0\/applications\/delta\?\$deltatoken=/);
        await t.control('/clock', { advanceSeconds: 7 * 86_400 + 60 });
        admin = await t.adminToken();
        const expired = await t.raw('GET', body['@odata.deltaLink']!.replace(/^https:\/\/[^/]+/, ''), {
            headers: auth(admin),
        });
        expect(expired.status).toBe(400);
        expect(expired.json.error).toMatchObject({ code: 'syncStateNotFound' });
        const unknown = await t.raw('GET', '/v1.0/applications/delta?$deltatoken=not-a-token', {
            headers: auth(admin),
        });
        expect(unknown.status).toBe(400);
    });

    it('Prefer: odata.maxpagesize asks for smaller pages, never larger than 200; $top changes nothing', async () => {
        const small = await follow(`/v1.0/applications/delta?$select=id`, { prefer: 'odata.maxpagesize=100' });
        expect(small.pages).toBe(Math.ceil(small.entries.length / 100));
        const large = await follow(`/v1.0/applications/delta?$select=id&$top=999`, { prefer: 'odata.maxpagesize=999' });
        expect(large.entries.length).toBeGreaterThan(400);
        expect(large.pages).toBe(Math.ceil(large.entries.length / 200));
    });
});
