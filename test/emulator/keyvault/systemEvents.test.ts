import { beforeEach, describe, expect, it } from 'vitest';

import { type EmuResponse, type ServiceModule } from '../core/contract';
import { createKeyVaultModule } from './index';
import { ADMIN, emuRequest, fakeContext, ORIGIN, type FakeContext } from './testing';

const API = 'api-version=2026-04-01';
const DAY = 86_400;

interface SystemEvent {
    id: string;
    topic: string;
    subject: string;
    eventType: string;
    eventTime: string;
    data: {
        Id: string;
        VaultName: string;
        ObjectType: string;
        ObjectName: string;
        Version: string;
        NBF: number | null;
        EXP: number | null;
    };
    dataVersion: string;
    metadataVersion: string;
}

describe('Key Vault system-topic events (§5.1, §5.2)', () => {
    let kv: ServiceModule;
    let ctx: FakeContext;
    const events: SystemEvent[] = [];

    const nowSeconds = () => Math.floor(ctx.clock.now().getTime() / 1000);
    /** Each call gets a fresh token: the emulator clock may have passed the previous one's expiry. */
    const call = (method: string, path: string, body?: unknown): Promise<EmuResponse> =>
        kv.handle(emuRequest(method, path, { token: ctx.issueToken({ oid: ADMIN.servicePrincipalId }), body }), ctx);
    const setSecret = async (name: string, attributes: Record<string, unknown> = {}) => {
        const response = await call('PUT', `/secrets/${name}?${API}`, { value: 'v', attributes });
        return (response.body as { id: string }).id.split('/').pop()!;
    };
    const ofType = (type: string) => events.filter((e) => e.eventType === `Microsoft.KeyVault.${type}`);

    beforeEach(() => {
        events.length = 0;
        kv = createKeyVaultModule({ publishSystemEvent: (event) => events.push(event as SystemEvent) });
        ctx = fakeContext();
        kv.reset(ctx);
    });

    it('§5.2 set → SecretNewVersionCreated in EventGrid schema with topic and PascalCase data', async () => {
        const exp = nowSeconds() + 90 * DAY;
        const version = await setSecret('app-secret', { exp });
        expect(events).toHaveLength(1);
        const [event] = events;
        expect(event).toEqual({
            id: expect.stringMatching(/^[0-9a-f-]{36}$/),
            topic: expect.stringMatching(
                /^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/[^/]+\/providers\/Microsoft\.KeyVault\/vaults\/localhost$/,
            ),
            subject: 'app-secret',
            eventType: 'Microsoft.KeyVault.SecretNewVersionCreated',
            eventTime: ctx.clock.now().toISOString(),
            data: {
                Id: `${ORIGIN}/secrets/app-secret/${version}`,
                VaultName: 'localhost',
                ObjectType: 'Secret',
                ObjectName: 'app-secret',
                Version: version,
                NBF: null,
                EXP: exp,
            },
            dataVersion: '1',
            metadataVersion: '1',
        });
    });

    it('§5.1 NearExpiry fires when the clock reaches exp − 30 days, once per version; Expired at exp', async () => {
        const exp = nowSeconds() + 40 * DAY;
        const version = await setSecret('s', { exp });
        await ctx.clock.advance(10 * DAY - 1);
        expect(ofType('SecretNearExpiry')).toHaveLength(0);
        await ctx.clock.advance(1);
        expect(ofType('SecretNearExpiry').map((e) => e.data.Version)).toEqual([version]);
        expect(ofType('SecretNearExpiry')[0]?.eventTime).toBe(new Date((exp - 30 * DAY) * 1000).toISOString());
        await ctx.clock.advance(29 * DAY);
        expect(ofType('SecretNearExpiry')).toHaveLength(1);
        expect(ofType('SecretExpired')).toHaveLength(0);
        await ctx.clock.advance(DAY);
        expect(ofType('SecretExpired').map((e) => e.data.Version)).toEqual([version]);
        await ctx.clock.advance(DAY);
        expect(ofType('SecretExpired')).toHaveLength(1);
    });

    it('§5.1 only the current version counts: a new version with a later exp silences the old one', async () => {
        await setSecret('s', { exp: nowSeconds() + 40 * DAY });
        const v2 = await setSecret('s', { exp: nowSeconds() + 100 * DAY });
        await ctx.clock.advance(20 * DAY);
        expect(ofType('SecretNearExpiry')).toHaveLength(0);
        await ctx.clock.advance(50 * DAY);
        expect(ofType('SecretNearExpiry').map((e) => e.data.Version)).toEqual([v2]);
    });

    it('§5.1 a disabled current version, a secret without exp and a deleted secret raise nothing', async () => {
        const exp = nowSeconds() + 10 * DAY;
        await setSecret('disabled', { exp, enabled: false });
        await setSecret('no-exp');
        await setSecret('deleted', { exp });
        await call('DELETE', `/secrets/deleted?${API}`);
        await ctx.clock.advance(20 * DAY);
        expect(ofType('SecretNearExpiry')).toEqual([]);
        expect(ofType('SecretExpired')).toEqual([]);
    });

    it('a secret set inside its 30-day window raises NearExpiry at the next scan, even a zero-second advance', async () => {
        const version = await setSecret('s', { exp: nowSeconds() + 10 * DAY });
        expect(ofType('SecretNearExpiry')).toHaveLength(0);
        await ctx.clock.advance(0);
        expect(ofType('SecretNearExpiry').map((e) => e.data.Version)).toEqual([version]);
    });

    it('a clock jump past both thresholds raises NearExpiry, then Expired', async () => {
        await setSecret('s', { exp: nowSeconds() + 5 * DAY });
        await ctx.clock.advance(365 * DAY);
        expect(events.slice(1).map((e) => e.eventType)).toEqual([
            'Microsoft.KeyVault.SecretNearExpiry',
            'Microsoft.KeyVault.SecretExpired',
        ]);
    });

    it('"once per version" survives snapshot/restore (no repeat after an emulator restart)', async () => {
        await setSecret('s', { exp: nowSeconds() + 40 * DAY });
        await ctx.clock.advance(11 * DAY);
        expect(ofType('SecretNearExpiry')).toHaveLength(1);
        const restored = createKeyVaultModule({ publishSystemEvent: (event) => events.push(event as SystemEvent) });
        const ctx2 = fakeContext();
        await ctx2.clock.advance(11 * DAY);
        restored.restore(JSON.parse(JSON.stringify(kv.snapshot())), ctx2);
        await ctx2.clock.advance(DAY);
        expect(ofType('SecretNearExpiry')).toHaveLength(1);
    });
});
