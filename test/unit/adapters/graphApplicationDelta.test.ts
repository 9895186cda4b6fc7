import { Client, type Context, type Middleware } from '@microsoft/microsoft-graph-client';
import { describe, expect, it } from 'vitest';

import { APP_SNAPSHOT_KEY, DeltaApplicationScanner } from '../../../shared/adapters/graphApplicationDelta';
import { GraphApplicationScanner } from '../../../shared/adapters/graphApplicationScanner';
import { type ScannedApplication } from '../../../shared/scan/ports';
import { MemoryStateStore } from '../../support/fakes/MemoryStateStore';

const ORIGIN = 'https://graph.microsoft.com';
const cred = (keyId: string, endDateTime = '2027-01-01T00:00:00Z') => ({
    keyId,
    displayName: keyId,
    hint: null,
    startDateTime: '2026-01-01T00:00:00Z',
    endDateTime,
});

/**
 * The HTTP boundary, answering like Graph: the full list, `$deltatoken=latest`, and each deltaLink with the
 * changes queued for it. Updated applications come as their id and the changed properties only, which is all
 * the delta overview promises ("at least the updated properties").
 */
class FakeGraph implements Middleware {
    readonly urls: string[] = [];
    apps: Record<string, unknown>[] = [
        {
            id: 'obj-a',
            appId: 'app-a',
            displayName: 'A',
            passwordCredentials: [cred('s1')],
            keyCredentials: [cred('c1')],
        },
        { id: 'obj-b', appId: 'app-b', displayName: 'B', passwordCredentials: [], keyCredentials: [] },
        { id: 'obj-c', appId: 'app-c', displayName: 'C', passwordCredentials: [cred('s3')], keyCredentials: [] },
    ];
    /** deltatoken → the entries that link answers with, and the next token. */
    readonly changes = new Map<string, { value: Record<string, unknown>[]; next: string }>();
    private tokens = 0;

    execute(context: Context): Promise<void> {
        const url = decodeURIComponent(typeof context.request === 'string' ? context.request : '');
        this.urls.push(url);
        let body: unknown;
        const token = /\$deltatoken=([^&]+)/.exec(url)?.[1];
        if (token === 'latest') body = { value: [], '@odata.deltaLink': this.link(`t${++this.tokens}`) };
        else if (token) {
            const change = this.changes.get(token) ?? { value: [], next: `t${++this.tokens}` };
            body = { value: change.value, '@odata.deltaLink': this.link(change.next) };
        } else body = { value: this.apps };
        context.response = new Response(JSON.stringify(body), {
            status: 200,
            headers: { 'content-type': 'application/json' },
        });
        return Promise.resolve();
    }

    private link(token: string): string {
        return `${ORIGIN}/v1.0/applications/delta?$deltatoken=${token}`;
    }
}

async function scan(graph: FakeGraph, state: MemoryStateStore) {
    const client = Client.initWithMiddleware({ middleware: [graph] });
    const scanner = new DeltaApplicationScanner(client, state, new GraphApplicationScanner(client));
    const apps = new Map<string, ScannedApplication>();
    for await (const page of scanner.pages()) for (const app of page) apps.set(app.objectId, app);
    return { apps, run: scanner.lastRun };
}

const keys = (app: ScannedApplication | undefined) => app?.credentials.map((c) => `${c.kind}:${c.keyId}`).sort();

describe('DeltaApplicationScanner', () => {
    it('merges each change onto the kept application: what the entry carries replaces, what it omits stays', async () => {
        const graph = new FakeGraph();
        const state = new MemoryStateStore();
        expect((await scan(graph, state)).run).toMatchObject({ mode: 'full', reason: 'first run' });

        graph.changes.set('t1', {
            value: [
                { id: 'obj-a', displayName: 'A renamed' },
                // B had no credential at the full sync: it must still be known by its appId.
                { id: 'obj-b', passwordCredentials: [cred('s2')] },
                { id: 'obj-c', keyCredentials: [cred('c3')] },
            ],
            next: 't2',
        });
        const { apps, run } = await scan(graph, state);
        expect(run).toMatchObject({ mode: 'delta', graphPages: 1, changed: 3 });
        const [a, b, c] = ['obj-a', 'obj-b', 'obj-c'].map((id) => apps.get(id));
        expect(a).toMatchObject({ appId: 'app-a', displayName: 'A renamed' });
        expect(keys(a)).toEqual(['certificate:c1', 'secret:s1']);
        expect(a!.credentials.every((x) => x.appId === 'app-a' && x.appDisplayName === 'A renamed')).toBe(true);
        expect(b).toMatchObject({ appId: 'app-b', displayName: 'B' });
        expect(keys(b)).toEqual(['secret:s2']);
        expect(b!.credentials[0]).toMatchObject({ appId: 'app-b', appObjectId: 'obj-b' });
        expect(keys(c)).toEqual(['certificate:c3', 'secret:s3']);

        // Removing every secret is a change too: the application stays, without credentials.
        graph.changes.set('t2', { value: [{ id: 'obj-a', passwordCredentials: [], keyCredentials: [] }], next: 't3' });
        const after = await scan(graph, state);
        expect(after.apps.get('obj-a')).toMatchObject({ appId: 'app-a', displayName: 'A renamed', credentials: [] });
    });

    it('a change to an application the snapshot does not know, without its appId, means a full sync', async () => {
        const graph = new FakeGraph();
        const state = new MemoryStateStore();
        await scan(graph, state);
        graph.changes.set('t1', { value: [{ id: 'obj-x', passwordCredentials: [cred('sx')] }], next: 't2' });
        graph.apps.push({ id: 'obj-x', appId: 'app-x', displayName: 'X', passwordCredentials: [cred('sx')] });
        const { apps, run } = await scan(graph, state);
        expect(run).toMatchObject({ mode: 'full', reason: expect.stringContaining('obj-x') as unknown });
        expect(apps.get('obj-x')).toMatchObject({ appId: 'app-x' });
        expect(keys(apps.get('obj-x'))).toEqual(['secret:sx']);
    });

    it('a snapshot of the earlier format (applications with credentials only) means a full sync', async () => {
        const graph = new FakeGraph();
        const state = new MemoryStateStore();
        await state.write(APP_SNAPSHOT_KEY, {
            deltaLink: `${ORIGIN}/v1.0/applications/delta?$deltatoken=old`,
            syncedAt: '2026-12-01T00:00:00Z',
            apps: {},
        });
        const { apps, run } = await scan(graph, state);
        expect(run).toMatchObject({ mode: 'full', reason: 'the snapshot predates the current format' });
        expect(graph.urls.some((u) => u.includes('deltatoken=old'))).toBe(false);
        expect(apps.size).toBe(3);
    });
});
