import { describe, expect, it } from 'vitest';

import { NOTIFICATIONS_KEY } from '../../../shared/adapters/recordingNotifier';
import { listNotificationsRoute } from '../../../shared/api/notificationsApi';
import { type AuthResult, type OperatorRole } from '../../../shared/api/operatorAuth';
import { type ApiRequest } from '../../../shared/api/rotationsApi';
import { type StateStorePort } from '../../../shared/scan/ports';

const events = Array.from({ length: 5 }, (_, i) => ({
    id: `evt-${i}`,
    type: i === 4 ? 'Rotation.Completed' : 'Rotation.StepCompleted',
    subject: `/secrets/s${i % 2}`,
    time: new Date(Date.UTC(2026, 0, 1, i)).toISOString(),
    data: { secretName: `s${i % 2}`, step: 'x' },
}));

function deps(stored: unknown, roles: OperatorRole[] = ['Rotation.Read']) {
    const asked: OperatorRole[] = [];
    const state: StateStorePort = {
        read: <T>(key: string) => Promise.resolve((key === NOTIFICATIONS_KEY ? stored : undefined) as T | undefined),
        write: () => Promise.reject(new Error('read-only')),
        update: () => Promise.reject(new Error('read-only')),
    };
    const authorize = (authorization: string | null, role: OperatorRole): Promise<AuthResult> => {
        asked.push(role);
        if (authorization !== 'Bearer good') {
            return Promise.resolve({ ok: false, status: 401, code: 'unauthorized', message: 'no token' } as AuthResult);
        }
        if (!roles.includes(role)) {
            return Promise.resolve({ ok: false, status: 403, code: 'forbidden', message: 'role' } as AuthResult);
        }
        return Promise.resolve({ ok: true } as AuthResult);
    };
    return { deps: { authorize, state }, asked };
}

function request(query = '', authorization: string | null = 'Bearer good'): ApiRequest {
    return { authorization, params: {}, query: new URLSearchParams(query), json: () => Promise.resolve(null) };
}

describe('GET /api/notifications', () => {
    it('needs a token with Rotation.Read', async () => {
        const { deps: d, asked } = deps({ updatedAt: 'x', events });
        expect((await listNotificationsRoute(d, request('', null))).status).toBe(401);
        expect(asked).toEqual(['Rotation.Read']);
        const { deps: noRole } = deps({ updatedAt: 'x', events }, []);
        expect((await listNotificationsRoute(noRole, request())).status).toBe(403);
    });

    it('lists newest first, bounded by top, filtered by secret name', async () => {
        const { deps: d } = deps({ updatedAt: '2026-01-01T05:00:00.000Z', events });
        const all = await listNotificationsRoute(d, request());
        const body = all.jsonBody as { items: { id: string }[]; total: number; updatedAt: string };
        expect(all.status).toBe(200);
        expect(body.items.map((e) => e.id)).toEqual(['evt-4', 'evt-3', 'evt-2', 'evt-1', 'evt-0']);
        expect(body.updatedAt).toBe('2026-01-01T05:00:00.000Z');
        const top = (await listNotificationsRoute(d, request('top=2'))).jsonBody as { items: { id: string }[] };
        expect(top.items.map((e) => e.id)).toEqual(['evt-4', 'evt-3']);
        const s1 = (await listNotificationsRoute(d, request('secretName=s1'))).jsonBody as {
            items: { id: string }[];
            total: number;
        };
        expect(s1.items.map((e) => e.id)).toEqual(['evt-3', 'evt-1']);
        expect(s1.total).toBe(2);
    });

    it('answers an empty feed before anything was published', async () => {
        const { deps: d } = deps(undefined);
        const res = await listNotificationsRoute(d, request());
        expect(res).toEqual({ status: 200, jsonBody: { items: [], total: 0, updatedAt: null } });
    });

    it.each(['top=0', 'top=201', 'top=abc', 'top=1.5', 'secretName=bad name', 'secretName=a/b'])(
        'rejects %s',
        async (q) => {
            const { deps: d } = deps({ updatedAt: 'x', events });
            expect((await listNotificationsRoute(d, request(q))).status).toBe(400);
        },
    );
});
