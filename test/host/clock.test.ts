import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClock, ManualClock } from './src/clock/clock';
import { Scheduler } from './src/clock/scheduler';
import { ensureTlsMaterial } from '../emulator/core/certs';
import { startFixtureHost, until } from './helpers';

/** A stand-in for the emulator's `GET /_emulator/clock`. */
let server: Server;
let emulatorNow = Date.parse('2026-05-01T00:00:00Z');
let emulatorDown = false;
let clockUrl = '';

beforeAll(async () => {
    server = createServer((req, res) => {
        if (emulatorDown) {
            res.writeHead(503).end();
        } else if (req.url === '/_emulator/clock') {
            res.writeHead(200, { 'Content-Type': 'application/json' });
            res.end(JSON.stringify({ now: new Date(emulatorNow).toISOString() }));
        } else {
            res.writeHead(404).end();
        }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    clockUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/_emulator/clock`;
});

afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
});

describe('clock sources', () => {
    it('manual clock drives the scheduler and only moves forward', async () => {
        const clock = new ManualClock(0);
        const scheduler = new Scheduler(clock);
        const fired: number[] = [];
        scheduler.at(1000, () => fired.push(1000));
        scheduler.at(500, () => fired.push(500));
        clock.advance(499);
        await new Promise((r) => setTimeout(r, 20));
        expect(fired).toEqual([]);
        clock.advance(600);
        await until(() => fired.length === 2);
        expect(fired).toEqual([500, 1000]);
        expect(() => clock.advance(-1)).toThrow(RangeError);
        scheduler.close();
    });

    it('http clock follows the emulator clock', async () => {
        const clock = new HttpClock(clockUrl, 20);
        expect(await clock.now()).toBe(emulatorNow);
        const scheduler = new Scheduler(clock);
        let fired = false;
        scheduler.at(emulatorNow + 30 * 24 * 3600_000, () => (fired = true));
        await new Promise((r) => setTimeout(r, 60));
        expect(fired).toBe(false);
        emulatorNow += 30 * 24 * 3600_000;
        await until(() => fired, 2000);
        scheduler.close();
        clock.close();
    });

    it('http clock reads an https source with the emulator CA', async () => {
        const dir = mkdtempSync(path.join(os.tmpdir(), 'host-tls-'));
        const tls = await ensureTlsMaterial(dir);
        const secure = createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, (_req, res) => {
            res.writeHead(200, { 'Content-Type': 'application/json' });
            res.end(JSON.stringify({ now: '2030-01-02T03:04:05.000Z' }));
        });
        await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', resolve));
        const url = `https://localhost:${(secure.address() as AddressInfo).port}/_emulator/clock`;
        try {
            const trusted = new HttpClock(url, 1000, tls.caCertPem);
            expect(await trusted.now()).toBe(Date.parse('2030-01-02T03:04:05.000Z'));
            trusted.close();
            const untrusted = new HttpClock(url, 1000);
            await expect(untrusted.now()).rejects.toThrow();
            untrusted.close();
        } finally {
            await new Promise((resolve) => secure.close(resolve));
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it('a host on the emulator clock fires a 30-day durable timer in milliseconds', async () => {
        const f = await startFixtureHost({ timerTriggers: false, clock: { url: clockUrl, pollMs: 20 } });
        try {
            const clockInfo = (await (
                await fetch(`${f.host.baseUrl}/admin/host/clock?code=fixture-master-key`)
            ).json()) as {
                kind: string;
                now: string;
            };
            expect(clockInfo).toEqual({ kind: 'http', now: new Date(emulatorNow).toISOString() });
            const started = emulatorNow;
            await f.host.runtime.startNew('longTimer', 'lt-http', null);
            await f.host.waitForStatus('lt-http', ['Running']);
            await f.host.idle();
            emulatorNow += 30 * 24 * 3600_000;
            const done = await f.host.waitForStatus('lt-http', ['Completed'], 5000);
            expect(JSON.parse(done.output ?? 'null')).toMatchObject({
                firedAt: new Date(started + 30 * 24 * 3600_000).toISOString(),
            });

            // A clock source that is briefly down delays work instead of losing it.
            emulatorDown = true;
            const starting = f.host.runtime.startNew('sequence', 'while-down', JSON.stringify(['Bern']));
            await new Promise((r) => setTimeout(r, 300));
            expect(f.host.runtime.store.get('while-down')).toBeUndefined();
            emulatorDown = false;
            await starting;
            const resumed = await f.host.waitForStatus('while-down', ['Completed'], 5000);
            expect(JSON.parse(resumed.output ?? 'null')).toEqual(['Hello Bern']);
            expect(f.host.logs.some((l) => l.message.includes('clock source unavailable'))).toBe(true);
        } finally {
            await f.dispose();
        }
    });
});
