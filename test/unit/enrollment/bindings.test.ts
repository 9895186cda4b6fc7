import { describe, expect, it } from 'vitest';

import { type Actor, BindingStore, tagDisagreement } from '../../../shared/enrollment/bindings';
import { checkBinding } from '../../../shared/enrollment/gate';
import { MemoryStateStore } from '../../support/fakes/MemoryStateStore';

const VAULT = 'https://kv.vault.azure.net';
const APP = 'aaaaaaaa-0000-4000-8000-000000000001';
const K1 = 'bbbbbbbb-0000-4000-8000-000000000001';
const K2 = 'bbbbbbbb-0000-4000-8000-000000000002';
const ALICE: Actor = { kind: 'operator', objectId: 'alice-oid', appId: null, name: 'Alice' };
const NOW = new Date('2026-06-01T00:00:00.000Z');

const secret = (tags: { appId?: string; keyId?: string }) => ({
    vaultUrl: VAULT,
    secretName: 'payroll-secret',
    version: 'v1',
    enabled: true,
    tags,
});

describe('BindingStore', () => {
    it('one secret holds one credential and one credential one secret, even when enrolled concurrently', async () => {
        const store = new BindingStore(new MemoryStateStore());
        const outcomes = await Promise.all(
            ['region-a', 'region-b', 'region-c'].map((name) =>
                store.enroll({ vaultUrl: VAULT, secretName: name, appId: APP, keyId: K1 }, ALICE, 'why', NOW),
            ),
        );
        expect(outcomes.filter((o) => o.outcome === 'enrolled')).toHaveLength(1);
        expect(outcomes.filter((o) => o.outcome === 'conflict')).toHaveLength(2);
        expect(await store.list()).toHaveLength(1);
        expect((await store.history()).map((h) => h.action)).toEqual(['enrolled']);
    });

    it('re-enrolling the same binding changes nothing; another credential for the same secret is a conflict', async () => {
        const store = new BindingStore(new MemoryStateStore());
        const target = { vaultUrl: VAULT, secretName: 'payroll-secret', appId: APP, keyId: K1 };
        expect((await store.enroll(target, ALICE, 'first', NOW)).outcome).toBe('enrolled');
        expect((await store.enroll({ ...target, secretName: 'PAYROLL-secret' }, ALICE, 'again', NOW)).outcome).toBe(
            'unchanged',
        );
        expect((await store.enroll({ ...target, keyId: K2 }, ALICE, 'other key', NOW)).outcome).toBe('conflict');
        expect(await store.history()).toHaveLength(1);
    });

    it('a rotation announces, then completes, the move; the history is appended with the rotator as actor', async () => {
        const store = new BindingStore(new MemoryStateStore());
        await store.enroll({ vaultUrl: VAULT, secretName: 'payroll-secret', appId: APP, keyId: K1 }, ALICE, 'x', NOW);
        const target = { vaultUrl: VAULT, secretName: 'payroll-secret', appId: APP, keyId: K2, previousKeyId: K1 };
        await store.prepareMove(target);
        const during = await store.find(VAULT, 'payroll-secret');
        // The new version's tags are not tampering while the publish completes; a third key is.
        expect(checkBinding(during, secret({ appId: APP, keyId: K2 })).kind).toBe('enrolled');
        expect(checkBinding(during, secret({ appId: APP, keyId: K1 })).kind).toBe('enrolled');
        expect(checkBinding(during, secret({ appId: APP, keyId: APP })).kind).toBe('mismatch');
        expect(await store.moveKey(target, 'rot-1', NOW)).toBe('moved');
        expect(await store.moveKey(target, 'rot-1', NOW)).toBe('alreadyMoved');
        const after = await store.find(VAULT, 'payroll-secret');
        expect(after).toMatchObject({ keyId: K2, lastRotationId: 'rot-1' });
        expect(after?.nextKeyId).toBeUndefined();
        expect(checkBinding(after, secret({ appId: APP, keyId: K1 })).kind).toBe('mismatch');
        const history = await store.history();
        expect(history.map((h) => [h.seq, h.action])).toEqual([
            [1, 'enrolled'],
            [2, 'rotated'],
        ]);
        expect(history[1]).toMatchObject({ previousKeyId: K1, keyId: K2, actor: { kind: 'rotator' } });
    });

    it('does not move a binding an operator changed meanwhile', async () => {
        const store = new BindingStore(new MemoryStateStore());
        await store.enroll({ vaultUrl: VAULT, secretName: 'payroll-secret', appId: APP, keyId: K2 }, ALICE, 'x', NOW);
        const stale = { vaultUrl: VAULT, secretName: 'payroll-secret', appId: APP, keyId: 'cc', previousKeyId: K1 };
        expect(await store.moveKey(stale, 'rot-1', NOW)).toBe('boundToOtherKey');
        expect((await store.find(VAULT, 'payroll-secret'))?.keyId).toBe(K2);
    });
});

describe('tagDisagreement', () => {
    const binding = { appId: APP, keyId: K1 };
    it.each([
        [{}, undefined],
        [{ appId: APP.toUpperCase(), keyId: K1 }, undefined],
        [{ keyId: K2 }, 'entra-key-id'],
        [{ appId: 'dddddddd-0000-4000-8000-000000000009' }, 'entra-app-id'],
    ])('tags %j → %s', (tags, expected) => {
        const found = tagDisagreement(binding, tags);
        if (expected === undefined) expect(found).toBeUndefined();
        else expect(found).toContain(expected);
    });
});
