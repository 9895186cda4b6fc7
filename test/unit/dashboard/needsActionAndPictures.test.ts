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

const T0 = Date.UTC(2026, 11, 1, 0, 0, 0);
const iso = (offsetMs: number): string => new Date(T0 + offsetMs).toISOString();
const H = 3_600_000;
const D = 24 * H;

function rotation(over: Record<string, unknown>): Record<string, unknown> {
    return { id: 'r', status: 'Completed', dryRun: false, secretName: 's', createdAt: iso(0), steps: [], ...over };
}

const failedScan = (n: number) =>
    rotation({
        id: `crowded-${n}`,
        secretName: 'crowded-app-secret',
        status: 'Failed',
        trigger: 'scan',
        createdAt: iso(n * 6 * H),
        outcome: { code: 'credential_limit_reached', message: 'the app already has 5 secrets' },
    });

describe('needs action: what a human must do, grouped and most urgent first', () => {
    it('a secret that failed on every scan is ONE card with the count and since when, not 32', () => {
        const rotations = Array.from({ length: 32 }, (_, i) => failedScan(i)).reverse();
        const cards = L.needsAction({ items: [], paused: false }, rotations);
        expect(cards).toHaveLength(1);
        expect(cards[0]).toMatchObject({
            kind: 'rotation',
            secretName: 'crowded-app-secret',
            count: 32,
            since: iso(0),
            rotationId: 'crowded-31',
            detail: 'credential_limit_reached: the app already has 5 secrets',
        });
    });

    it('counts endings from the notification record too, when the rotations list keeps only the latest', () => {
        const events = [5, 4, 3, 2].map((n) => ({
            type: 'Rotation.Failed',
            time: iso(n * 6 * H),
            data: { secretName: 'crowded-app-secret', code: 'credential_limit_reached' },
        }));
        events.push({
            type: 'Rotation.Failed',
            time: iso(0),
            data: { secretName: 'other', code: 'credential_limit_reached' },
        });
        const cards = L.needsAction({ items: [] }, [failedScan(5)], { events });
        expect(cards[0]).toMatchObject({ count: 4, since: iso(2 * 6 * H) });
    });

    it('a later success clears the card; a different outcome starts a new count; dry runs never raise one', () => {
        const fixed = [
            rotation({ id: 'ok', secretName: 'crowded-app-secret', createdAt: iso(40 * 6 * H) }),
            failedScan(1),
        ];
        expect(L.needsAction({ items: [] }, fixed)).toEqual([]);
        const changed = [
            rotation({
                id: 'x',
                secretName: 'crowded-app-secret',
                status: 'Failed',
                createdAt: iso(9 * D),
                outcome: { code: 'forbidden', message: 'm' },
            }),
            failedScan(2),
            failedScan(1),
        ];
        expect(L.needsAction({ items: [] }, changed)[0]).toMatchObject({ count: 1, detail: 'forbidden: m' });
        const dry = [rotation({ id: 'd', dryRun: true, status: 'Failed', outcome: { code: 'c', message: 'm' } })];
        expect(L.needsAction({ items: [] }, dry)).toEqual([]);
    });

    it('orders AttentionRequired and expired managed credentials before failures, unmanaged expiries and a pause', () => {
        const inventory = {
            paused: true,
            items: [
                {
                    appId: 'a1',
                    keyId: 'k1',
                    appDisplayName: 'crowded-app',
                    managed: true,
                    secretName: 'crowded-app-secret',
                    daysRemaining: -8,
                    endDateTime: iso(-8 * D),
                    state: 'Expired',
                },
                {
                    appId: 'a2',
                    keyId: 'k2',
                    appDisplayName: 'hr-portal',
                    managed: false,
                    daysRemaining: -12,
                    endDateTime: iso(-12 * D),
                    state: 'Expired',
                },
                {
                    appId: 'a3',
                    keyId: 'k3',
                    appDisplayName: 'marketing-site',
                    managed: false,
                    daysRemaining: 3,
                    endDateTime: iso(3 * D),
                    state: 'ExpiringSoon',
                },
                {
                    appId: 'a4',
                    keyId: 'k4',
                    appDisplayName: 'support-bot',
                    managed: false,
                    daysRemaining: 89,
                    endDateTime: iso(89 * D),
                    state: 'Active',
                },
                // The old key a running rotation is retiring is not a separate alarm.
                {
                    appId: 'a5',
                    keyId: 'k5',
                    appDisplayName: 'payroll-agent',
                    managed: false,
                    daysRemaining: 2,
                    endDateTime: iso(2 * D),
                    state: 'GracePeriod',
                },
            ],
        };
        const rotations = [
            failedScan(3),
            rotation({
                id: 't',
                secretName: 'teams-agent-secret',
                status: 'AttentionRequired',
                outcome: { code: 'still_in_use', message: 'old key used' },
            }),
        ];
        const cards = L.needsAction(inventory, rotations);
        expect(cards.map((c: { kind: string }) => c.kind)).toEqual([
            'rotation',
            'expired',
            'rotation',
            'paused',
            'unmanaged',
        ]);
        expect(cards[0].secretName).toBe('teams-agent-secret');
        expect(cards[1].title).toMatch(/crowded-app .*managed credential expired/);
        const unmanaged = cards[4];
        expect(unmanaged.count).toBe(2);
        expect(unmanaged.title).toBe('2 unmanaged credentials expire within 30 days (1 already expired)');
        expect(unmanaged.detail).toBe('hr-portal expired 12 d ago, marketing-site in 3 d');
        // The alert window is the inventory's when the API says so.
        expect(L.needsAction({ ...inventory, alertWindowDays: 90, paused: false }, [])[1].count).toBe(3);
    });
});

describe('the expiry timeline (90 days ahead)', () => {
    it('places each credential at its fraction of the window, by lane, expired pinned at the left, beyond 90 d left out', () => {
        const items = [
            {
                appId: 'a',
                keyId: '1',
                managed: true,
                secretName: 's',
                endDateTime: iso(45 * D),
                state: 'Active',
                appDisplayName: 'billing',
            },
            {
                appId: 'b',
                keyId: '2',
                managed: false,
                endDateTime: iso(-3 * D),
                state: 'Expired',
                appDisplayName: 'hr',
            },
            {
                appId: 'c',
                keyId: '3',
                managed: false,
                endDateTime: iso(9 * D),
                state: 'ExpiringSoon',
                appDisplayName: 'mkt',
            },
            {
                appId: 'd',
                keyId: '4',
                managed: false,
                endDateTime: iso(120 * D),
                state: 'Active',
                appDisplayName: 'far',
            },
        ];
        const t = L.expiryTimeline(items, T0, 90);
        expect(
            t.marks.map((m: { key: string; x: number; lane: string; expired: boolean }) => [
                m.key,
                m.x,
                m.lane,
                m.expired,
            ]),
        ).toEqual([
            ['b/2', 0, 'unmanaged', true],
            ['c/3', 0.1, 'unmanaged', false],
            ['a/1', 0.5, 'managed', false],
        ]);
        expect(t.expired).toBe(1);
        expect(t.marks[0].tone).toBe('s-bad');
        expect(t.marks[2].label).toBe('billing (s): 2027-01-15, in 45 d, Active');
        expect(t.ticks.map((k: { label: string }) => k.label)).toEqual(['today', '+30 d', '+60 d', '+90 d']);
    });

    it('"now" is the data\'s clock when it runs ahead of the wall clock (the sandbox), else the wall clock', () => {
        const inv = { generatedAt: iso(2 * D) };
        const rotations = [
            rotation({ updatedAt: iso(3 * D), steps: [{ name: 'grace', state: 'waiting', at: iso(4 * D) }] }),
        ];
        expect(L.referenceNow(inv, rotations, T0)).toBe(T0 + 4 * D);
        expect(L.referenceNow(inv, rotations, T0 + 10 * D)).toBe(T0 + 10 * D);
    });
});

describe('the step bar: preflight to delete, durations, where it waits', () => {
    const running = rotation({
        status: 'Running',
        createdAt: iso(0),
        steps: [
            { name: 'preflight', state: 'succeeded', at: iso(30_000), detail: '' },
            { name: 'create', state: 'succeeded', at: iso(90_000), detail: '' },
            { name: 'verifyNew', state: 'succeeded', at: iso(20 * 60_000), detail: 'token issued' },
            { name: 'publish', state: 'succeeded', at: iso(21 * 60_000), detail: 'new version v2' },
            { name: 'refresh', state: 'succeeded', at: iso(22 * 60_000), detail: 'teams-agent: ok (HTTP 200)' },
            {
                name: 'confirm',
                state: 'succeeded',
                at: iso(22 * 60_000),
                detail: '0 probe(s) report the new fingerprint; sign-ins with the new key are counted at the usage gate',
            },
            { name: 'grace', state: 'waiting', at: iso(22 * 60_000), detail: `until ${iso(2 * D)}` },
        ],
    });

    it("has every step in order, with durations between marks and the grace period's end", () => {
        const bar = L.stepBar(running, T0 + D);
        expect(bar.map((s: { name: string }) => s.name)).toEqual(L.STEP_ORDER);
        expect(bar.map((s: { state: string }) => s.state)).toEqual([
            'succeeded',
            'succeeded',
            'succeeded',
            'succeeded',
            'succeeded',
            'unproven',
            'waiting',
            'pending',
            'pending',
        ]);
        expect(bar.map((s: { duration: string }) => s.duration).slice(0, 4)).toEqual([
            '30 s',
            '60 s',
            '19 min',
            '60 s',
        ]);
        expect(bar[6]).toMatchObject({ until: iso(2 * D), duration: '23.6 h so far' });
        // Steps a finished rotation never reached are "not run", not "pending".
        const ended = L.stepBar({ ...running, status: 'AttentionRequired' }, T0 + D);
        expect(ended[8].state).toBe('not-run');
    });

    it('the usage gate re-check shows when it looks again', () => {
        const gate = rotation({
            status: 'Running',
            steps: [
                {
                    name: 'usageGate',
                    state: 'waiting',
                    at: iso(3 * D),
                    detail: '2 sign-in(s) with the old key; re-checking in 6 h',
                },
            ],
        });
        expect(L.stepBar(gate, T0 + 3 * D)[7].until).toBe(iso(3 * D + 6 * H));
    });

    it('confirm is honest: no probe and no new-key sign-in is "no evidence yet", never a green tick', () => {
        expect(L.confirmEvidence(running)).toMatchObject({
            verdict: 'unproven',
            text: expect.stringMatching(/^no evidence yet/),
        });
        const withGate = {
            ...running,
            steps: [
                ...(running.steps as object[]),
                {
                    name: 'usageGate',
                    state: 'succeeded',
                    at: iso(3 * D),
                    detail: 'no sign-ins with the old key; 14 sign-in(s) with the new key',
                },
            ],
        };
        expect(L.confirmEvidence(withGate)).toMatchObject({ verdict: 'proven', newKeySignIns: 14 });
        const probed = {
            ...running,
            steps: [
                {
                    name: 'confirm',
                    state: 'succeeded',
                    at: iso(1),
                    detail: '1 probe(s) report the new fingerprint (payroll-agent-health)',
                },
            ],
        };
        expect(L.confirmEvidence(probed)).toMatchObject({ verdict: 'proven', probes: 1 });
        expect(L.confirmEvidence(rotation({ steps: [] })).verdict).toBe('pending');
    });
});

describe('evidence, history and who started what', () => {
    it('lists the evidence readably: consumers, probes, references, sign-ins (and structured evidence as given)', () => {
        const r = rotation({
            oldKeyId: 'old-key',
            newKeyId: 'new-key',
            newFingerprint: 'ba9876543210',
            newSecretVersion: 'v2',
            plan: { consumers: ['payroll-agent (webhook)', 'payroll-agent-health (probe)'] },
            steps: [
                {
                    name: 'refresh',
                    state: 'succeeded',
                    at: iso(1),
                    detail: 'payroll-agent: ok (HTTP 200); payroll-agent-health: ok (fingerprint ba9876543210)',
                },
                {
                    name: 'confirm',
                    state: 'succeeded',
                    at: iso(2),
                    detail: '1 probe(s) report the new fingerprint (payroll-agent-health)',
                },
                {
                    name: 'usageGate',
                    state: 'succeeded',
                    at: iso(3),
                    detail: 'no sign-ins with the old key',
                    evidence: [{ kind: 'sign-ins', key: 'old', count: 0, window: '30 min' }],
                },
            ],
        });
        const list = L.evidenceList(r, []).map((e: { group: string; text: string }) => `${e.group}: ${e.text}`);
        expect(list).toEqual([
            'consumers: configured: payroll-agent (webhook)',
            'consumers: configured: payroll-agent-health (probe)',
            'consumers: payroll-agent: ok (HTTP 200)',
            'probes: payroll-agent-health: ok (fingerprint ba9876543210)',
            'sign-ins: key old, count 0, window 30 min',
            'sign-ins: no sign-ins with the old key',
            'probes: confirm: 1 probe(s) report the new fingerprint',
            'references: old key old-key',
            'references: new key new-key (fingerprint ba9876543210)',
            'references: secret version v2',
        ]);
    });

    it('history per secret is newest first; who started it comes from the API', () => {
        const h = L.historyBySecret([
            rotation({ id: 'a', createdAt: iso(0) }),
            rotation({ id: 'b', createdAt: iso(D) }),
            rotation({ id: 'c', secretName: 't' }),
        ]);
        expect(h.s.map((r: { id: string }) => r.id)).toEqual(['b', 'a']);
        expect(L.startedBy({ trigger: 'api', reason: 'expiring soon', requestedBy: { name: 'Ana' } })).toBe(
            'Ana via the operator API \u2014 \u201cexpiring soon\u201d',
        );
        expect(L.startedBy({ trigger: 'timer', reason: '' })).toBe('the scheduled scan');
        expect(L.startedBy({ trigger: 'keyVaultEvent', reason: 'SecretNearExpiry' })).toBe(
            'a Key Vault event \u2014 \u201cSecretNearExpiry\u201d',
        );
    });

    it('notifications are summarised: one line per kind of event per secret, with a count', () => {
        const events = Array.from({ length: 32 }, (_, i) => ({
            id: String(i),
            type: 'Rotation.Failed',
            time: iso(i * H),
            data: { secretName: 'crowded-app-secret', code: 'credential_limit_reached' },
        }));
        events.push({
            id: 'x',
            type: 'Rotation.Completed',
            time: iso(5 * H),
            data: { secretName: 'payroll-agent-secret', code: 'completed' },
        });
        const groups = L.notificationGroups(events);
        expect(groups.map((g: { type: string; count: number }) => [g.type, g.count])).toEqual([
            ['Rotation.Failed', 32],
            ['Rotation.Completed', 1],
        ]);
        expect(groups[0]).toMatchObject({ first: iso(0), last: iso(31 * H) });
    });

    it('durations read like a person would say them', () => {
        expect([45_000, 12 * 60_000, 3.5 * H, 2 * D].map(L.durationText)).toEqual(['45 s', '12 min', '3.5 h', '2 d']);
    });
});

describe('confirm with the evidence rules (evidence items, a confirm step that waits for proof)', () => {
    const steps = (confirm: { state: string; detail: string }) => [
        { name: 'refresh', state: 'succeeded', at: iso(1), detail: 'x: ok' },
        { name: 'confirm', at: iso(2), ...confirm },
    ];

    it('a waiting confirm without proof is "no evidence yet"; a succeeded one names what proved it', () => {
        const waiting = rotation({
            status: 'Running',
            steps: steps({
                state: 'waiting',
                detail: 'no evidence yet that a consumer uses the new key (probes, consumer sign-ins with the new key)',
            }),
        });
        expect(L.confirmEvidence(waiting).verdict).toBe('unproven');
        expect(L.stepBar(waiting, T0)[5].state).toBe('unproven');
        const proven = rotation({
            steps: steps({
                state: 'succeeded',
                detail: 'probe: payroll-agent-health reports the new fingerprint ab12',
            }),
        });
        expect(L.confirmEvidence(proven)).toMatchObject({
            verdict: 'proven',
            text: 'probe: payroll-agent-health reports the new fingerprint ab12',
        });
        expect(L.stepBar(proven, T0)[5].state).toBe('succeeded');
        const waived = rotation({
            steps: steps({ state: 'succeeded', detail: 'tag: tag rotator-evidence=none on the secret' }),
        });
        expect(L.confirmEvidence(waived).verdict).toBe('waived');
        expect(L.stepBar(waived, T0)[5].state).toBe('waived');
    });

    it('evidence items from the API decide, and are listed by source', () => {
        const base = { steps: steps({ state: 'succeeded', detail: 'whatever the step says' }) };
        const none = rotation({
            ...base,
            evidence: [
                {
                    source: 'signInLog',
                    kind: 'oldKeyQuiet',
                    at: iso(3),
                    detail: 'no successful sign-in with the old key k',
                },
            ],
        });
        expect(L.confirmEvidence(none).verdict).toBe('unproven');
        const used = rotation({
            ...base,
            evidence: [
                {
                    source: 'signInLog',
                    kind: 'newKeyInUse',
                    at: iso(3),
                    detail: '3 successful sign-in(s) with the new key n by consumers',
                },
            ],
        });
        expect(L.confirmEvidence(used)).toMatchObject({ verdict: 'proven', newKeySignIns: null });
        expect(L.evidenceList(used, []).map((e: { group: string; text: string }) => `${e.group}: ${e.text}`)).toContain(
            `sign-ins: 3 successful sign-in(s) with the new key n by consumers (newKeyInUse, ${iso(3).slice(0, 16).replace('T', ' ')})`,
        );
    });
});
