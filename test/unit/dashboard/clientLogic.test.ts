import { runInNewContext } from 'node:vm';

import { describe, expect, it } from 'vitest';

import { DASHBOARD_LOGIC_JS } from '../../../shared/dashboard/clientLogic';

interface Logic {
    readFragmentToken(hash: string): { token: string | null; rest: string };
    decodeClaims(token: string): Record<string, unknown> | null;
    describeToken(
        token: string,
        nowMs: number,
    ): { ok: boolean; reason: string; roles: string[]; canWrite: boolean; name: string };
    apiBase(pathname: string): string;
    countCards(counts: unknown): { key: string; label: string; value: number | null; tone: string }[];
    credentialRow(item: unknown): Record<string, unknown>;
    evidenceOf(step: { detail: string }, rotation: unknown): { kind: string; label: string; value: string }[];
    rotationFacts(rotation: unknown): [string, string][];
    latestRotations(rotations: unknown[]): Record<string, { id: string; status: string; tone: string }>;
    signInObservations(rotation: unknown, events: unknown[]): { check: number | null; time: string; detail: string }[];
    notificationLine(event: unknown): {
        type: string;
        headline: string;
        rotationId: string | null;
        facts: [string, string][];
    };
    apiErrorText(status: number, body: unknown): string;
    daysText(days: number): string;
}

/** The script as the browser runs it, in a fresh VM context with only the globals a browser would give it. */
function load(): Logic {
    const module = { exports: {} as Logic };
    runInNewContext(DASHBOARD_LOGIC_JS, { module, URLSearchParams, atob, TextDecoder, Uint8Array });
    return module.exports;
}

function jwt(claims: object): string {
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.c2ln`;
}

const L = load();
const OLD = '11111111-2222-3333-4444-555555555555';
const NEW = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const APP = '99999999-8888-7777-6666-555555555555';
const rotation = {
    appId: APP,
    oldKeyId: OLD,
    newKeyId: NEW,
    oldFingerprint: '0123456789ab',
    newFingerprint: 'ba9876543210',
};

describe('dashboard logic (the browser script, run in a VM)', () => {
    it('reads the token from the fragment and keeps the rest of it', () => {
        expect(L.readFragmentToken('#access_token=abc.def.ghi&token_type=Bearer&expires_in=3599&tab=2')).toEqual({
            token: 'abc.def.ghi',
            rest: '#tab=2',
        });
        expect(L.readFragmentToken('#access_token=x.y.z')).toEqual({ token: 'x.y.z', rest: '' });
        expect(L.readFragmentToken('')).toEqual({ token: null, rest: '' });
        expect(L.readFragmentToken('#tab=2')).toEqual({ token: null, rest: '#tab=2' });
        expect(L.readFragmentToken('#access_token=')).toEqual({ token: null, rest: '' });
    });

    it('describes a token: roles, write permission, expiry (display only)', () => {
        const now = Date.UTC(2026, 0, 1);
        const good = jwt({ appid: 'op-client', roles: ['Rotation.Read', 'Rotation.Write'], exp: now / 1000 + 60 });
        expect(L.describeToken(good, now)).toMatchObject({ ok: true, canWrite: true, name: 'op-client' });
        const reader = jwt({ name: 'Ana', roles: ['Rotation.Read'], exp: now / 1000 + 60 });
        expect(L.describeToken(reader, now)).toMatchObject({ ok: true, canWrite: false, name: 'Ana' });
        const expired = jwt({ roles: ['Rotation.Read'], exp: now / 1000 - 1 });
        expect(L.describeToken(expired, now)).toMatchObject({ ok: false, reason: expect.stringMatching(/expired/) });
        expect(L.describeToken('not-a-token', now).ok).toBe(false);
        expect(L.decodeClaims('a.%%%.c')).toBeNull();
        // Non-ASCII claims survive base64url + UTF-8 decoding.
        expect(L.decodeClaims(jwt({ name: 'Zoë Ñ' }))?.name).toBe('Zoë Ñ');
    });

    it('finds the API next to the page whatever the route prefix', () => {
        expect(L.apiBase('/api/dashboard')).toBe('/api');
        expect(L.apiBase('/api/dashboard/')).toBe('/api');
        expect(L.apiBase('/ops/v1/Dashboard')).toBe('/ops/v1');
        expect(L.apiBase('/dashboard')).toBe('');
    });

    it('shows every count the issue asks for, highlighting only non-zero alert counts', () => {
        const counts = {
            total: 30,
            managed: 12,
            unmanaged: 18,
            expired: 2,
            expiringIn7Days: 0,
            expiringIn30Days: 5,
            expiringIn90Days: 9,
            inGrace: 1,
            rotating: 0,
            attentionRequired: 0,
        };
        const cards = L.countCards(counts);
        const byKey = Object.fromEntries(cards.map((c) => [c.key, c]));
        for (const key of ['expiringIn7Days', 'expiringIn30Days', 'expiringIn90Days', 'inGrace', 'expired']) {
            expect(byKey[key]?.value).toBe(counts[key as keyof typeof counts]);
        }
        expect(byKey.managed?.value).toBe(12);
        expect(byKey.unmanaged?.value).toBe(18);
        expect(byKey.expired?.tone).toBe('alert');
        expect(byKey.expiringIn7Days?.tone).toBe('');
        expect(L.countCards(null).every((c) => c.value === null)).toBe(true);
    });

    it('makes only managed credentials with a secret name rotatable', () => {
        const base = {
            appId: APP,
            appDisplayName: 'orders',
            keyId: OLD,
            kind: 'password',
            displayName: 'prod',
            endDateTime: '2026-02-01T00:00:00Z',
            daysRemaining: 3,
            state: 'ExpiringSoon',
        };
        expect(
            L.credentialRow({ ...base, managed: true, secretName: 'orders-secret', vaultUrl: 'https://v/' }),
        ).toMatchObject({ managed: true, secretName: 'orders-secret', expires: '2026-02-01', days: 'in 3 d' });
        expect(L.credentialRow({ ...base, managed: false, secretName: null, vaultUrl: null }).managed).toBe(false);
        expect(L.daysText(-2)).toBe('expired 2 d ago');
    });

    it('labels the evidence in step details: key ids, fingerprints, versions, sign-ins', () => {
        const create = L.evidenceOf(
            { detail: `key ${NEW}; fingerprint ba9876543210; expires 2026-07-01T00:00:00.000Z` },
            rotation,
        );
        expect(create).toEqual([
            { kind: 'keyId', label: 'new keyId', value: NEW },
            { kind: 'fingerprint', label: 'new fingerprint', value: 'ba9876543210' },
        ]);
        const publish = L.evidenceOf(
            { detail: 'new version 0f1e2d3c4b5a69788796a5b4c3d2e1f0 of s, fingerprint ba9876543210' },
            rotation,
        );
        expect(publish).toContainEqual({
            kind: 'version',
            label: 'secret version',
            value: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
        });
        expect(publish.filter((e) => e.kind === 'fingerprint')).toHaveLength(1);
        const inUse = L.evidenceOf(
            {
                detail: '3 sign-in(s) with the old key since 2026-01-01T00:00:00.000Z, last at 2026-01-01T01:00:00Z; re-checking in 2 h',
            },
            rotation,
        );
        expect(inUse).toContainEqual({
            kind: 'signIns',
            label: 'sign-ins with old key',
            value: '3 sign-in(s) with the old key since 2026-01-01T00:00:00.000Z, last at 2026-01-01T01:00:00Z',
        });
        const clear = L.evidenceOf(
            { detail: `no sign-ins with ${OLD} since 2026-01-01T00:00:00.000Z (check 1)` },
            rotation,
        );
        expect(clear).toEqual([
            { kind: 'keyId', label: 'old keyId', value: OLD },
            { kind: 'signIns', label: 'sign-ins with old key', value: 'none' },
        ]);
        expect(L.evidenceOf({ detail: `app ${APP}; grace 1 d` }, rotation)).toEqual([
            { kind: 'keyId', label: 'appId', value: APP },
        ]);
    });

    it("takes a rotation's sign-in observations from its OldCredentialInUse notifications, in check order", () => {
        const ev = (rotationId: string, type: string, check: number, detail: string) => ({
            id: `${rotationId}:${check}`,
            type,
            subject: 's',
            time: `2026-01-0${check}T00:00:00.000Z`,
            data: { rotationId, check, detail },
        });
        const events = [
            ev('r1', 'Rotation.OldCredentialInUse', 2, '1 sign-in(s) with the old key since b'),
            ev('r2', 'Rotation.OldCredentialInUse', 1, 'another rotation'),
            ev('r1', 'Rotation.StepCompleted', 3, 'not an observation'),
            ev('r1', 'Rotation.OldCredentialInUse', 1, '4 sign-in(s) with the old key since a'),
        ];
        expect(L.signInObservations({ rotationId: 'r1' }, events)).toEqual([
            { check: 1, time: '2026-01-01T00:00:00.000Z', detail: '4 sign-in(s) with the old key since a' },
            { check: 2, time: '2026-01-02T00:00:00.000Z', detail: '1 sign-in(s) with the old key since b' },
        ]);
        expect(L.signInObservations({ rotationId: null }, events)).toEqual([]);
    });

    it('keeps the newest real rotation per secret (dry runs do not count)', () => {
        const latest = L.latestRotations([
            { id: 'd', secretName: 'a', status: 'Completed', dryRun: true },
            { id: 'c', secretName: 'a', status: 'AttentionRequired', dryRun: false },
            { id: 'b', secretName: 'b', status: 'Running', dryRun: false },
            { id: 'a', secretName: 'a', status: 'Completed', dryRun: false },
        ]);
        expect(latest).toEqual({
            a: { id: 'c', status: 'AttentionRequired', tone: 's-bad' },
            b: { id: 'b', status: 'Running', tone: 's-warn' },
        });
    });

    it('lists rotation facts and notification facts as plain strings', () => {
        const facts = L.rotationFacts({
            ...rotation,
            newSecretVersion: 'v2',
            trigger: 'api',
            reason: 'dashboard',
            outcome: { code: 'still_in_use', message: 'old key still used' },
            findings: [{ severity: 'warning', code: 'near_limit', message: 'close to the limit' }],
        });
        expect(facts).toContainEqual(['outcome', 'still_in_use: old key still used']);
        expect(facts).toContainEqual(['finding', 'warning near_limit: close to the limit']);
        expect(facts).toContainEqual(['old fingerprint', '0123456789ab']);
        const line = L.notificationLine({
            id: '1',
            time: 't',
            type: 'Rotation.StepCompleted',
            subject: 's',
            data: {
                secretName: 's',
                step: 'publish',
                status: 'Running',
                rotationId: 'r1',
                consumers: ['a', 'b'],
                appId: null,
            },
        });
        expect(line.headline).toBe('s \u00b7 publish \u00b7 Running');
        expect(line.rotationId).toBe('r1');
        expect(line.facts).toEqual([
            ['consumers', 'a, b'],
            ['rotationId', 'r1'],
        ]);
        expect(L.apiErrorText(403, { error: { code: 'forbidden', message: 'needs Rotation.Write' } })).toBe(
            '403 forbidden: needs Rotation.Write',
        );
        expect(L.apiErrorText(502, 'bad gateway')).toBe('HTTP 502');
    });
});
