import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { EmulatorClient } from '../sandbox/emulatorClient';
import { startEmulator } from './core/server';

describe('fault method filter (methods knob)', () => {
    let emulator: Awaited<ReturnType<typeof startEmulator>>;
    let emu: EmulatorClient;
    let vaultToken: string;

    beforeAll(async () => {
        emulator = await startEmulator({});
        emu = new EmulatorClient(emulator, emulator.caCertPem);
        vaultToken = await emu.adminToken('https://vault.azure.net/.default');
    });
    afterAll(async () => {
        await emulator.close();
    });

    const put = (name: string) =>
        emu.call('PUT', `/secrets/${name}?api-version=7.5`, { value: 'v' }, { authorization: `Bearer ${vaultToken}` });
    const get = (name: string) =>
        emu.call('GET', `/secrets/${name}?api-version=7.5`, undefined, { authorization: `Bearer ${vaultToken}` });

    it('limits a service fault to the listed methods: reads pass, the write gets the injected error', async () => {
        expect((await put('filtered')).status).toBe(200);
        await emu.expectOk(
            emu.call('POST', '/_emulator/faults', {
                keyVault: { serverErrors: { status: 503, count: 1 }, methods: ['put'] },
            }),
            'faults',
        );
        expect((await get('filtered')).status).toBe(200);
        expect((await put('filtered')).status).toBe(503);
        expect((await put('filtered')).status).toBe(200);
    });

    it('null removes the filter, and a malformed filter is refused', async () => {
        await emu.expectOk(
            emu.call('POST', '/_emulator/faults', {
                keyVault: { serverErrors: { status: 503, count: 1 }, methods: null },
            }),
            'faults',
        );
        expect((await get('filtered')).status).toBe(503);
        expect((await emu.call('POST', '/_emulator/faults', { keyVault: { methods: 'PUT' } })).status).toBe(400);
    });

    it('responseTimeMs is a floor on the response time that overlaps the handling', async () => {
        await emu.expectOk(
            emu.call('POST', '/_emulator/faults', { keyVault: { serverErrors: null, responseTimeMs: 300 } }),
            'faults',
        );
        const started = Date.now();
        expect((await put('timed')).status).toBe(200);
        expect(Date.now() - started).toBeGreaterThanOrEqual(290);
        expect((await emu.call('POST', '/_emulator/faults', { keyVault: { responseTimeMs: -1 } })).status).toBe(400);
        await emu.expectOk(emu.call('POST', '/_emulator/faults', { keyVault: { responseTimeMs: 0 } }), 'faults');
    });
});
