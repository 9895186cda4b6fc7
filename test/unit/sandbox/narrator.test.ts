import { describe, expect, it } from 'vitest';

import { narrate, type NarratedRotation, type NarratorMemory } from '../../sandbox/narrator';

const rotation = (over: Partial<NarratedRotation> & { steps?: NarratedRotation['steps'] }): NarratedRotation => ({
    id: 'rotate@kv@payroll-agent-secret',
    status: 'Running',
    secretName: 'payroll-agent-secret',
    trigger: 'scan',
    outcome: null,
    steps: [],
    ...over,
});

describe('npm start narration', () => {
    it('says when a rotation starts, each step finishes, where it waits, and when it needs action', () => {
        let memory: NarratorMemory = new Map();
        const said: string[] = [];
        const poll = (items: NarratedRotation[]): void => {
            const r = narrate(memory, items);
            memory = r.memory;
            said.push(...r.lines);
        };
        // A first poll with nothing yet, then the rotation appears mid-way.
        poll([]);
        poll([
            rotation({
                steps: [
                    { name: 'preflight', state: 'succeeded' },
                    { name: 'create', state: 'running' },
                ],
            }),
        ]);
        poll([
            rotation({
                steps: [
                    { name: 'preflight', state: 'succeeded' },
                    { name: 'create', state: 'running' },
                ],
            }),
        ]);
        poll([
            rotation({
                steps: [
                    { name: 'preflight', state: 'succeeded' },
                    { name: 'create', state: 'succeeded' },
                    { name: 'grace', state: 'waiting', detail: 'until 2026-12-08T10:00:00.000Z' },
                ],
            }),
        ]);
        poll([
            rotation({
                status: 'AttentionRequired',
                outcome: { code: 'still_in_use', message: 'the old credential is still used' },
                steps: [
                    { name: 'preflight', state: 'succeeded' },
                    { name: 'create', state: 'succeeded' },
                    { name: 'grace', state: 'succeeded' },
                    { name: 'usageGate', state: 'failed' },
                ],
            }),
        ]);
        expect(said).toEqual([
            'rotation started   payroll-agent-secret (scan)',
            '  step done        payroll-agent-secret: preflight',
            '  step done        payroll-agent-secret: create',
            '  waiting          payroll-agent-secret: grace until 2026-12-08T10:00:00.000Z',
            '  step done        payroll-agent-secret: grace',
            '  step failed      payroll-agent-secret: usageGate',
            'NEEDS ACTION       payroll-agent-secret AttentionRequired: still_in_use - the old credential is still used',
        ]);
    });

    it('after a restart, finished rotations are summarised once (not replayed step by step), oldest first', () => {
        const done = rotation({
            id: 'a',
            status: 'Completed',
            outcome: { code: 'completed', message: 'rotation completed' },
            steps: [{ name: 'deleteOld', state: 'succeeded' }],
        });
        const failed = rotation({
            id: 'b',
            secretName: 'crowded-app-secret',
            status: 'Failed',
            outcome: { code: 'credential_limit_reached', message: 'five secrets already' },
        });
        // Newest first, as the API lists them.
        const first = narrate(new Map(), [failed, done]);
        expect(first.lines).toEqual([
            'rotation completed payroll-agent-secret',
            'NEEDS ACTION       crowded-app-secret Failed: credential_limit_reached - five secrets already',
        ]);
        expect(narrate(first.memory, [failed, done]).lines).toEqual([]);
    });

    it('a dry run is named as one', () => {
        const r = narrate(new Map([['x', { status: 'Running', steps: new Map() }]]), [
            rotation({ id: 'y', dryRun: true, trigger: 'api' }),
        ]);
        expect(r.lines).toEqual(['rotation started   payroll-agent-secret (dry run) (api)']);
    });

    it('a secret that fails the same way on every scan is announced once, then counted', () => {
        let memory: NarratorMemory = new Map([['seed', { status: 'Completed', steps: new Map() }]]);
        const said: string[] = [];
        for (const n of [1, 2, 3]) {
            const r = narrate(memory, [
                rotation({
                    id: `crowded-${n}`,
                    secretName: 'crowded-app-secret',
                    status: 'Failed',
                    outcome: { code: 'credential_limit_reached', message: 'five secrets already' },
                }),
            ]);
            memory = r.memory;
            said.push(...r.lines.filter((l) => !l.startsWith('rotation started')));
        }
        expect(said).toEqual([
            'NEEDS ACTION       crowded-app-secret Failed: credential_limit_reached - five secrets already',
            '  again            crowded-app-secret Failed (credential_limit_reached), 2 times so far',
            '  again            crowded-app-secret Failed (credential_limit_reached), 3 times so far',
        ]);
    });
});
