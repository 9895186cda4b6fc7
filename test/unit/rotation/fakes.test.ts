import { describe, expect, it } from 'vitest';

import { ErrorCodes } from '../../../shared/errors/errorCodes';
import { fingerprintOf } from '../../../shared/security/fingerprint';
import { Secret } from '../../../shared/security/Secret';
import { FakeDirectory } from '../../support/fakes/FakeDirectory';
import { FakeSignIns } from '../../support/fakes/FakeSignIns';
import { FakeVault } from '../../support/fakes/FakeVault';
import { FakeVerifier } from '../../support/fakes/FakeVerifier';

/** The fakes stand in for Graph, Key Vault and Entra in every rotation test, so their contracts are pinned here. */
describe('fakes', () => {
    const app = { appId: 'app-1', objectId: 'obj-1' };

    it('FakeDirectory: a lost addPassword response still created the credential', async () => {
        const directory = new FakeDirectory(7);
        directory.addApp(app);
        directory.loseNextAddPasswordResponse();
        const request = {
            displayName: 'x',
            startDateTime: '2026-01-01T00:00:00Z',
            endDateTime: '2026-02-01T00:00:00Z',
        };
        await expect(directory.addPassword('obj-1', request)).rejects.toMatchObject({
            code: ErrorCodes.unavailable,
            retryable: true,
        });
        expect(directory.credentialsOf('app-1')).toHaveLength(1);
        const { credential, secret } = await directory.addPassword('obj-1', request);
        expect(directory.credentialsOf('app-1')).toHaveLength(2);
        expect(directory.keyIdFor('app-1', secret)).toBe(credential.keyId);
        expect(directory.issuedSecretTexts()).toHaveLength(2);
        expect(JSON.stringify(credential)).not.toContain(secret.reveal());
    });

    it('FakeDirectory: removePassword is idempotent and failNext is one-shot', async () => {
        const directory = new FakeDirectory();
        directory.addApp(app);
        const { keyId } = directory.seedCredential('app-1');
        directory.failures.failNext('removePassword', new Error('boom'));
        await expect(directory.removePassword('obj-1', keyId)).rejects.toThrow('boom');
        expect(await directory.removePassword('obj-1', keyId)).toBe('removed');
        expect(await directory.removePassword('obj-1', keyId)).toBe('notFound');
    });

    it('FakeDirectory: enforces a tenant lifetime maximum', async () => {
        const directory = new FakeDirectory();
        directory.addApp(app);
        directory.maxLifetimeDays = 30;
        const request = {
            displayName: 'x',
            startDateTime: '2026-01-01T00:00:00Z',
            endDateTime: '2026-03-01T00:00:00Z',
        };
        await expect(directory.addPassword('obj-1', request)).rejects.toMatchObject({
            code: ErrorCodes.lifetimePolicyViolation,
            retryable: false,
        });
        expect(directory.credentialsOf('app-1')).toEqual([]);
    });

    it('FakeVault: latest version only, case-insensitive names and hosts, delete frees the name', async () => {
        const vault = new FakeVault();
        const url = 'https://kv.vault.azure.net';
        vault.seed(url, 'Name', 'one');
        await vault.setSecret('https://KV.vault.azure.net/', 'name', new Secret('two'), {
            tags: { a: 'b' },
            contentType: 'text/plain',
            expiresOn: undefined,
        });
        const latest = await vault.getLatest(url, 'NAME');
        expect(latest && fingerprintOf(latest.value)).toBe(fingerprintOf(new Secret('two')));
        expect(vault.peek(url, 'name')?.versions).toBe(2);
        await vault.deleteSecret(url, 'name');
        expect(await vault.getLatest(url, 'name')).toBeUndefined();
        await expect(vault.deleteSecret(url, 'name')).resolves.toBeUndefined();
    });

    it('FakeVerifier: scripted failures first, then the directory decides', async () => {
        const directory = new FakeDirectory();
        directory.addApp(app);
        const { secret } = directory.seedCredential('app-1');
        const verifier = new FakeVerifier(directory).failWith(7000215, 2);
        const results = [];
        for (let i = 0; i < 3; i++) results.push(await verifier.checkSecret('app-1', secret));
        expect(results.map((r) => r.ok)).toEqual([false, false, true]);
        const unknown = await verifier.checkSecret('app-1', new Secret('never-issued'));
        expect(unknown).toMatchObject({ ok: false, classification: { code: 7000215, mayBePropagationDelay: true } });
    });

    it('FakeSignIns: sees nothing after now, and counts continuous use per minute', async () => {
        let now = new Date('2026-01-01T01:00:00Z');
        const signIns = new FakeSignIns(() => now);
        const read = async (keyId: string, since: string) =>
            (await signIns.successfulSignIns({ appId: 'app-1', keys: [{ keyId, since }], ownCorrelationIds: [] }))
                .keys[0];
        signIns.record('app-1', 'k', '2026-01-01T02:00:00Z');
        signIns.useContinuously('app-1', 'k', '2026-01-01T00:00:00Z', '2026-01-01T00:09:00Z');
        expect(await read('k', '2026-01-01T00:05:00Z')).toMatchObject({ count: 5, last: '2026-01-01T00:09:00.000Z' });
        now = new Date('2026-01-01T03:00:00Z');
        expect(await read('k', '2026-01-01T01:30:00Z')).toMatchObject({ count: 1, last: '2026-01-01T02:00:00.000Z' });
        expect(await read('other', '2026-01-01T00:00:00Z')).toMatchObject({ count: 0, last: null });
        // Not ingested yet: invisible until now passes its time plus the latency.
        signIns.ingestionLatencyMs = 3_600_000;
        signIns.record('app-1', 'k', '2026-01-01T02:30:00Z');
        expect(await read('k', '2026-01-01T02:15:00Z')).toMatchObject({ count: 0 });
    });
});
