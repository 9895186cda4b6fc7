import { type DurableOrchestrationStatus, OrchestrationRuntimeStatus } from 'durable-functions';
import { describe, expect, it } from 'vitest';

import { type Binding } from '../../../shared/enrollment/bindings';
import { type HistoryRecord } from '../../../shared/history/rotationHistory';
import { credentialDisplayName } from '../../../shared/rotation/markers';
import { type SecretState } from '../../../shared/scan/ports';
import { type MarkedCredential } from '../../../shared/scan/scanTenant';
import {
    ORPHAN_SWEEP_KEY,
    type OrphanSweepDeps,
    sweepMarkedCredentials,
    type SweepLedgerEntry,
} from '../../../shared/scan/sweepMarked';
import { unavailable } from '../../support/fakes/failures';
import { FakeDirectory } from '../../support/fakes/FakeDirectory';
import { FakeNotifier } from '../../support/fakes/FakeNotifier';
import { MemoryStateStore } from '../../support/fakes/MemoryStateStore';

const NOW = new Date('2026-03-10T00:00:00.000Z');
const VAULT = 'https://kv.vault.azure.net';
const APP = { appId: 'app-1', objectId: 'obj-1' };

/** A tenant with one app whose credentials are created through the fake directory, plus the sweep's other inputs. */
class Tenant {
    readonly directory = new FakeDirectory(7);
    readonly state = new MemoryStateStore();
    readonly notifier = new FakeNotifier();
    readonly statuses: DurableOrchestrationStatus[] = [];
    readonly bindings: Binding[] = [];
    readonly secrets: SecretState[] = [];
    readonly history: HistoryRecord[] = [];

    constructor() {
        this.directory.addApp({ ...APP, displayName: 'orders' });
    }

    /** A credential carrying rotation `rotationId`'s marker. */
    marked(rotationId: string): MarkedCredential {
        const { keyId } = this.directory.seedCredential(APP.appId, { displayName: credentialDisplayName(rotationId) });
        return {
            appId: APP.appId,
            appObjectId: APP.objectId,
            keyId,
            rotationId,
            displayName: credentialDisplayName(rotationId),
        };
    }

    rotation(
        rotationId: string,
        runtimeStatus: OrchestrationRuntimeStatus,
        record: { newKeyId?: string; newSecretVersion?: string } | null = {},
    ): void {
        const out = record && { rotationId, newKeyId: null, newSecretVersion: null, ...record };
        this.statuses.push({
            name: 'rotateCredential_v2',
            instanceId: `rotate@kv@s@${rotationId}`,
            runtimeStatus,
            input: { vaultUrl: VAULT, secretName: 's', rotationId },
            output: runtimeStatus === OrchestrationRuntimeStatus.Completed ? out : null,
            customStatus: runtimeStatus === OrchestrationRuntimeStatus.Completed ? null : out,
            createdTime: NOW,
            lastUpdatedTime: NOW,
            history: undefined,
        });
    }

    bind(keyId: string, nextKeyId?: string): void {
        this.bindings.push({
            vaultUrl: VAULT,
            secretName: 's',
            appId: APP.appId,
            keyId,
            enrolledAt: NOW.toISOString(),
            enrolledBy: { kind: 'operator', objectId: 'op', appId: null, name: 'op' },
            reason: 'test',
            updatedAt: NOW.toISOString(),
            lastRotationId: null,
            ...(nextKeyId ? { nextKeyId } : {}),
        });
    }

    deps(): OrphanSweepDeps {
        return {
            client: { getStatusBy: () => Promise.resolve([...this.statuses]) },
            bindings: { list: () => Promise.resolve([...this.bindings]) },
            history: {
                get: (_v, _s, id) => Promise.resolve(this.history.find((r) => r.rotationId === id)),
            },
            managed: { listSecrets: () => Promise.resolve([...this.secrets]) },
            vaultUrls: [VAULT],
            credentials: this.directory,
            state: this.state,
            notifier: this.notifier,
        };
    }

    keys(): string[] {
        return this.directory.credentialsOf(APP.appId).map((c) => c.keyId);
    }

    async ledger(): Promise<readonly SweepLedgerEntry[]> {
        return (await this.state.read<{ removed: SweepLedgerEntry[] }>(ORPHAN_SWEEP_KEY))?.removed ?? [];
    }
}

const sweep = (
    tenant: Tenant,
    marked: readonly MarkedCredential[],
    extra: { paused?: boolean; scanId?: string } = {},
) =>
    sweepMarkedCredentials(tenant.deps(), {
        now: NOW,
        scanId: extra.scanId ?? 'scan-1',
        marked,
        paused: extra.paused ?? false,
    });

describe('later scans sweep marked credentials of rotations that are over', () => {
    it('removes an unpublished credential of an ended rotation, announces it and records it', async () => {
        const tenant = new Tenant();
        const leftover = tenant.marked('r-1');
        tenant.rotation('r-1', OrchestrationRuntimeStatus.Completed, { newKeyId: 'other', newSecretVersion: 'v2' });

        const result = await sweep(tenant, [leftover]);
        expect(result.removed.map((c) => c.keyId)).toEqual([leftover.keyId]);
        expect(tenant.keys()).toEqual([]);
        expect(tenant.notifier.events).toEqual([
            expect.objectContaining({
                id: `orphan-removed:${APP.appId}:${leftover.keyId}`,
                type: 'Credential.OrphanRemoved',
                data: expect.objectContaining({ keyId: leftover.keyId, rotationId: 'r-1', outcome: 'removed' }),
            }),
        ]);
        expect(await tenant.ledger()).toEqual([
            expect.objectContaining({ keyId: leftover.keyId, rotationId: 'r-1', outcome: 'removed', scanId: 'scan-1' }),
        ]);
    });

    it('never removes what a binding names, a secret names, a running rotation owns, or its rotation published', async () => {
        const tenant = new Tenant();
        const bound = tenant.marked('r-bound');
        const next = tenant.marked('r-next');
        const tagged = tenant.marked('r-tagged');
        const running = tenant.marked('r-running');
        const published = tenant.marked('r-published');
        const crashedUnknown = tenant.marked('r-crashed');
        const nobody = tenant.marked('r-unknown');
        tenant.bind(bound.keyId, next.keyId);
        tenant.secrets.push({
            vaultUrl: VAULT,
            secretName: 'other',
            version: 'v',
            enabled: true,
            tags: { appId: APP.appId, keyId: tagged.keyId },
        });
        for (const id of ['r-bound', 'r-next', 'r-tagged']) tenant.rotation(id, OrchestrationRuntimeStatus.Completed);
        tenant.rotation('r-running', OrchestrationRuntimeStatus.Completed);
        tenant.rotation('r-running', OrchestrationRuntimeStatus.Running);
        tenant.rotation('r-published', OrchestrationRuntimeStatus.Completed, {
            newKeyId: published.keyId,
            newSecretVersion: 'v9',
        });
        // A runtime failure with no record at all: what it published is unknown.
        tenant.rotation('r-crashed', OrchestrationRuntimeStatus.Failed, null);

        const all = [bound, next, tagged, running, published, crashedUnknown, nobody];
        const result = await sweep(tenant, all);
        expect(result.removed).toEqual([]);
        expect(tenant.keys().sort()).toEqual(all.map((c) => c.keyId).sort());
        expect(Object.fromEntries(result.kept.map((k) => [k.credential.rotationId, k.why]))).toEqual({
            'r-bound': 'an enrollment names it',
            'r-next': 'an enrollment names it',
            'r-tagged': 'a managed secret names it',
            'r-running': 'rotation r-running is running',
            'r-published': 'rotation r-published published it: consumers may hold its value',
            'r-crashed': 'rotation r-crashed cannot be shown to be over (no ended instance, no final record)',
            'r-unknown': 'rotation r-unknown cannot be shown to be over (no ended instance, no final record)',
        });
        expect(tenant.notifier.events).toEqual([]);
    });

    it('a rotation whose instance is gone counts as over by its final history record (and running by a live one)', async () => {
        const tenant = new Tenant();
        tenant.bind('the-bound-key');
        const ended = tenant.marked('r-old');
        const live = tenant.marked('r-live');
        const base = { vaultUrl: VAULT, secretName: 's', newKeyId: null, newSecretVersion: null } as const;
        tenant.history.push(
            { ...base, rotationId: 'r-old', final: true, status: 'AttentionRequired' } as unknown as HistoryRecord,
            { ...base, rotationId: 'r-live', final: false, status: 'Running' } as unknown as HistoryRecord,
        );
        const result = await sweep(tenant, [ended, live]);
        expect(result.removed.map((c) => c.rotationId)).toEqual(['r-old']);
        expect(result.kept.map((k) => k.why)).toEqual(['rotation r-live is running']);
    });

    it('many at once: reported first (nothing removed), removed by the next scan', async () => {
        const tenant = new Tenant();
        const many = Array.from({ length: 12 }, (_, i) => tenant.marked(`r-${i}`));
        for (let i = 0; i < 12; i++) tenant.rotation(`r-${i}`, OrchestrationRuntimeStatus.Completed);

        const first = await sweep(tenant, many);
        expect(first.removed).toEqual([]);
        expect(first.reported).toHaveLength(12);
        expect(tenant.keys()).toHaveLength(12);
        expect(tenant.notifier.events.map((e) => [e.type, e.data['count']])).toEqual([['Credential.OrphansFound', 12]]);

        const second = await sweep(tenant, many, { scanId: 'scan-2' });
        expect(second.removed).toHaveLength(12);
        expect(tenant.keys()).toEqual([]);
        expect(await tenant.ledger()).toHaveLength(12);
    });

    it('paused: reports, removes nothing', async () => {
        const tenant = new Tenant();
        const leftover = tenant.marked('r-1');
        tenant.rotation('r-1', OrchestrationRuntimeStatus.Failed, {});
        const result = await sweep(tenant, [leftover], { paused: true });
        expect(result.removed).toEqual([]);
        expect(tenant.keys()).toEqual([leftover.keyId]);
        expect(tenant.notifier.events.map((e) => e.type)).toEqual(['Credential.OrphansFound']);
    });

    it('a removal Graph refuses is not recorded nor announced; the next scan tries again', async () => {
        const tenant = new Tenant();
        const leftover = tenant.marked('r-1');
        tenant.rotation('r-1', OrchestrationRuntimeStatus.Completed);
        tenant.directory.failures.failNext('removePassword', unavailable());
        expect((await sweep(tenant, [leftover])).removed).toEqual([]);
        expect(tenant.notifier.events).toEqual([]);
        expect(await tenant.ledger()).toEqual([]);
        expect((await sweep(tenant, [leftover], { scanId: 'scan-2' })).removed).toHaveLength(1);
        expect(tenant.keys()).toEqual([]);
    });

    it('no marked credential: reads nothing', async () => {
        const tenant = new Tenant();
        let reads = 0;
        const deps = tenant.deps();
        const counted: OrphanSweepDeps = {
            ...deps,
            client: { getStatusBy: () => (reads++, Promise.resolve([])) },
            bindings: { list: () => (reads++, Promise.resolve([])) },
        };
        await sweepMarkedCredentials(counted, { now: NOW, scanId: 's', marked: [], paused: false });
        expect(reads).toBe(0);
    });
});
