import { runInNewContext } from 'node:vm';

import { describe, expect, it } from 'vitest';

import { DASHBOARD_LOGIC_JS } from '../../../shared/dashboard/clientLogic';

/* eslint-disable @typescript-eslint/no-explicit-any -- the browser script is untyped JavaScript */
function load(): any {
    const module = { exports: {} };
    runInNewContext(DASHBOARD_LOGIC_JS, { module, URLSearchParams, atob, TextDecoder, Uint8Array });
    return module.exports;
}
const L = load();

function jwt(claims: Record<string, unknown>): string {
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    return `${b64({ alg: 'RS256' })}.${b64(claims)}.sig`;
}

describe('dashboard enrollment logic', () => {
    it('only a token with Rotation.Admin may enroll', () => {
        const exp = Math.floor(Date.now() / 1000) + 3600;
        expect(L.describeToken(jwt({ roles: ['Rotation.Read', 'Rotation.Admin'], exp }), Date.now()).canAdmin).toBe(true);
        expect(L.describeToken(jwt({ roles: ['Rotation.Read', 'Rotation.Write'], exp }), Date.now()).canAdmin).toBe(false);
        expect(L.describeToken('not-a-jwt', Date.now()).canAdmin).toBe(false);
    });

    it('builds the enroll request only when secret, app, key and reason are all given (trimmed; vault optional)', () => {
        const ok = L.enrollRequest({ secretName: ' s1 ', appId: 'a', keyId: 'k', reason: ' why ', vaultUrl: '' });
        expect(ok).toEqual({ ok: true, body: { secretName: 's1', appId: 'a', keyId: 'k', reason: 'why' } });
        expect(L.enrollRequest({ secretName: 's', appId: 'a', keyId: 'k', reason: 'r', vaultUrl: 'https://v/' }).body.vaultUrl).toBe(
            'https://v/',
        );
        const missing = L.enrollRequest({ secretName: 's', appId: '  ', keyId: null, reason: '' });
        expect(missing).toEqual({ ok: false, error: 'Missing application id, key id, a reason.' });
        expect(L.enrollRequest(undefined).ok).toBe(false);
    });

    it('unenroll path encodes the name, reason and vault, and refuses without a reason', () => {
        expect(L.unenrollPath('a b/c', 'no longer used & gone', 'https://v.vault.azure.net/')).toBe(
            '/bindings/a%20b%2Fc?reason=no%20longer%20used%20%26%20gone&vaultUrl=https%3A%2F%2Fv.vault.azure.net%2F',
        );
        expect(L.unenrollPath('s', 'r', null)).toBe('/bindings/s?reason=r');
        expect(L.unenrollPath('s', '   ', null)).toBeNull();
        expect(L.unenrollPath('', 'r', null)).toBeNull();
    });

    it('offers unmanaged secrets (not managed ones, old keys being retired, or certificates), soonest first', () => {
        const items = [
            { appId: 'a1', keyId: 'k1', kind: 'password', managed: false, state: 'Healthy', endDateTime: '2027-03-01T00:00:00Z', appDisplayName: 'late' },
            { appId: 'a2', keyId: 'k2', kind: 'password', managed: false, state: 'ExpiringSoon', endDateTime: '2026-12-10T00:00:00Z', displayName: 'prod' },
            { appId: 'a3', keyId: 'k3', kind: 'password', managed: true, secretName: 's3', state: 'Healthy', endDateTime: '2026-12-01T00:00:00Z' },
            { appId: 'a4', keyId: 'k4', kind: 'password', managed: false, state: 'GracePeriod', endDateTime: '2026-12-01T00:00:00Z' },
            { appId: 'a5', keyId: 'k5', kind: 'certificate', managed: false, state: 'Healthy', endDateTime: '2026-12-01T00:00:00Z' },
        ];
        const c = L.enrollCandidates(items);
        expect(c.map((x: any) => x.value)).toEqual(['a2/k2', 'a1/k1']);
        expect(c[0].label).toBe('a2 \u00b7 "prod" \u00b7 expires 2026-12-10');
        expect(c[1]).toMatchObject({ appId: 'a1', keyId: 'k1', label: 'late \u00b7 expires 2027-03-01' });
    });

    it('describes history lines with who and why', () => {
        const line = L.bindingHistoryLine({
            seq: 3, at: '2026-12-01T00:00:00Z', action: 'rotated', secretName: 's', appId: 'a', keyId: 'k2', previousKeyId: 'k1',
            actor: { kind: 'rotator', objectId: null, appId: null, name: null }, reason: 'rotation r1',
        });
        expect(line.text).toBe('s moved to the new key after rotation by the rotator (app a, key k2, was k1) \u2014 \u201crotation r1\u201d');
        const op = L.bindingHistoryLine({
            action: 'unenrolled', secretName: 's', appId: 'a', keyId: 'k', previousKeyId: null,
            actor: { kind: 'operator', objectId: 'oid', appId: null, name: 'Ann' }, reason: 'retired',
        });
        expect(op.text).toBe('s unenrolled by Ann (app a, key k) \u2014 \u201cretired\u201d');
        expect(op.action).toBe('unenrolled');
    });
});
