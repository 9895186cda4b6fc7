import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { EmulatorClient } from '../sandbox/emulatorClient';
import { startEmulator } from './core/server';

describe('access-token lifetime clock (tokenLifetimeClock knob)', () => {
    let emulator: Awaited<ReturnType<typeof startEmulator>>;
    let emu: EmulatorClient;

    beforeAll(async () => {
        emulator = await startEmulator({});
        emu = new EmulatorClient(emulator, emulator.caCertPem);
    });
    afterAll(async () => {
        await emulator.close();
    });

    const listApps = async (token: string): Promise<number> =>
        (await emu.call('GET', '/v1.0/applications?$top=1', undefined, { authorization: `Bearer ${token}` })).status;

    it('by default a token expires on the virtual clock: a two-day jump makes it 401', async () => {
        const token = await emu.adminToken('https://graph.microsoft.com/.default');
        expect(await listApps(token)).toBe(200);
        await emu.advanceClock(2 * 86_400);
        expect(await listApps(token)).toBe(401);
    });

    it('with "wall" a token lives expires_in real seconds, whatever the virtual clock does', async () => {
        await emu.expectOk(emu.call('POST', '/_emulator/faults', { tokenLifetimeClock: 'wall' }), 'setting the knob');
        const token = await emu.adminToken('https://graph.microsoft.com/.default');
        await emu.advanceClock(30 * 86_400);
        expect(await listApps(token)).toBe(200);
        const faults = await emu.call<{ tokenLifetimeClock: string }>('GET', '/_emulator/faults');
        expect(faults.body.tokenLifetimeClock).toBe('wall');
    });

    it('rejects an unknown value and keeps the current one', async () => {
        const res = await emu.call('POST', '/_emulator/faults', { tokenLifetimeClock: 'sometimes' });
        expect(res.status).toBe(400);
        const faults = await emu.call<{ tokenLifetimeClock: string }>('GET', '/_emulator/faults');
        expect(faults.body.tokenLifetimeClock).toBe('wall');
    });

    it('a forged token is still refused in wall mode (signature is checked)', async () => {
        const token = await emu.adminToken('https://graph.microsoft.com/.default');
        const [header, payload] = token.split('.');
        expect(await listApps(`${header}.${payload}.AAAA`)).toBe(401);
    });
});
