import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { delaySeconds, parseDelaySpec, REALISTIC_DELAYS, SeededStream } from './core/delays';
import { type TestEmulator, startTestEmulator } from './support/harness';

let t: TestEmulator;

beforeAll(async () => {
    t = await startTestEmulator();
});
afterAll(async () => {
    await t?.close();
});

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

describe('delay distributions (core/delays.ts)', () => {
    it('a draw maps onto the body or the tail of the distribution', () => {
        const spec = { min: 4, max: 18, tail: { probability: 0.1, max: 120 } };
        expect(delaySeconds(spec, 0)).toBe(4);
        expect(delaySeconds(spec, 0.45)).toBeCloseTo(11, 5);
        expect(delaySeconds(spec, 0.9)).toBeCloseTo(18, 5);
        expect(delaySeconds(spec, 0.95)).toBeCloseTo(69, 5);
        expect(delaySeconds(7, 0.3)).toBe(7);
    });

    it('the same seed gives the same stream; another seed another one', () => {
        const draws = (seed: number) => {
            const stream = new SeededStream(seed);
            return Array.from({ length: 5 }, () => stream.next());
        };
        expect(draws(42)).toEqual(draws(42));
        expect(draws(42)).not.toEqual(draws(43));
        expect(draws(42).every((u) => u >= 0 && u < 1)).toBe(true);
    });

    it('bad knob values are refused with the knob named', () => {
        expect(() => parseDelaySpec(-1, 'propagationDelaySeconds')).toThrow(/propagationDelaySeconds/);
        expect(() => parseDelaySpec({ min: 5, max: 4 }, 'x')).toThrow(/x.max must be at least x.min/);
        expect(() => parseDelaySpec({ min: 1, max: 4, tail: { probability: 1, max: 9 } }, 'x')).toThrow(/probability/);
        expect(parseDelaySpec(REALISTIC_DELAYS.propagationDelaySeconds, 'p')).toEqual(
            REALISTIC_DELAYS.propagationDelaySeconds,
        );
    });
});

/**
 * Adds `count` passwords to one application, then steps the virtual clock one second at a time and records when
 * each new secret first gets a token: the propagation delay each credential drew.
 */
async function measuredPropagation(seed: number, count: number): Promise<number[]> {
    await t.control('/faults', {
        reset: true,
        propagationDelaySeconds: REALISTIC_DELAYS.propagationDelaySeconds,
        delaySeed: seed,
    });
    const seeded = await t.control('/entra/seed', { applications: [{ displayName: `propagating-${seed}` }] });
    const app = seeded.applications[0];
    const admin = await t.adminToken();
    const secrets: string[] = [];
    for (let i = 0; i < count; i++) {
        const added = await t.raw('POST', `/v1.0/applications/${app.id}/addPassword`, {
            headers: auth(admin),
            json: {},
        });
        expect(added.status).toBe(200);
        secrets.push(added.json.secretText);
    }
    const works = async (secret: string) => {
        try {
            await t.token(app.appId, secret);
            return true;
        } catch {
            return false;
        }
    };
    const firstWorked: (number | undefined)[] = secrets.map(() => undefined);
    for (let second = 0; second <= 121 && firstWorked.some((s) => s === undefined); second++) {
        for (const [i, secret] of secrets.entries()) {
            if (firstWorked[i] === undefined && (await works(secret))) firstWorked[i] = second;
        }
        await t.control('/clock', { advanceSeconds: 1 });
    }
    return firstWorked.map((s) => s ?? Number.POSITIVE_INFINITY);
}

describe('realistic delays under a seed (README "Realistic delays")', () => {
    it('each new secret draws its own propagation delay within 4–120 s, and the same seed replays the same delays', async () => {
        const first = await measuredPropagation(1234, 6);
        const replay = await measuredPropagation(1234, 6);
        const other = await measuredPropagation(98765, 6);
        // The emulator's clock also runs in real time, so on a loaded machine a probe may land a second or two late:
        // a replay matches within that, while another seed draws delays that differ by more somewhere.
        const close = (a: number[], b: number[]) => a.every((x, i) => Math.abs(x - b[i]!) <= 2);
        expect(close(replay, first), `${replay.join()} vs ${first.join()}`).toBe(true);
        expect(close(other, first), `${other.join()} vs ${first.join()}`).toBe(false);
        for (const seconds of [...first, ...other]) {
            expect(seconds).toBeGreaterThanOrEqual(4);
            expect(seconds).toBeLessThanOrEqual(121);
        }
        // Random, not one fixed value for every credential.
        expect(new Set(first).size).toBeGreaterThan(1);
    });

    it('Graph read-after-write lag and sign-in ingestion are drawn too; the knobs and the seed read back', async () => {
        const view = await t.control('/faults', { reset: true, ...REALISTIC_DELAYS, delaySeed: 7 });
        expect(view).toMatchObject({ ...REALISTIC_DELAYS, delaySeed: 7 });
        const admin = await t.adminToken();
        const created = await t.raw('POST', '/v1.0/applications', { headers: auth(admin), json: { displayName: 'x' } });
        expect(created.status).toBe(201);
        // Inside its lag (at least 1 s) a new application is 404 (§1.11); 30 s later (the tail's end) it is there.
        expect((await t.raw('GET', `/v1.0/applications/${created.json.id}`, { headers: auth(admin) })).status).toBe(
            404,
        );
        await t.control('/clock', { advanceSeconds: 31 });
        expect((await t.raw('GET', `/v1.0/applications/${created.json.id}`, { headers: auth(admin) })).status).toBe(
            200,
        );
        const bad = await t.raw('POST', '/_emulator/faults', { json: { delaySeed: -1 } });
        expect(bad.status).toBe(400);
        await t.control('/faults', { reset: true });
    });
});
