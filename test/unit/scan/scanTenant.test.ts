import { describe, expect, it } from 'vitest';

import { type Credential } from '../../../shared/domain/credential';
import { createPolicy } from '../../../shared/domain/policy';
import { silentLogger } from '../../../shared/logging/logger';
import { type LifecycleEvent } from '../../../shared/rotation/ports';
import { type Binding } from '../../../shared/enrollment/bindings';
import {
    type ManagedSecretRef,
    type ScannedApplication,
    type SecretState,
    type StateStorePort,
} from '../../../shared/scan/ports';
import { ALERT_LEDGER_KEY, INVENTORY_KEY, type ScanDeps, scanTenant } from '../../../shared/scan/scanTenant';
import { MemoryStateStore } from '../../support/fakes/MemoryStateStore';

const NOW = new Date('2026-06-01T00:00:00.000Z');
const DAY = 86_400_000;

function credential(appId: string, keyId: string, daysLeft: number): Credential {
    return {
        appObjectId: `obj-${appId}`,
        appId,
        kind: 'secret',
        keyId,
        displayName: null,
        hint: null,
        startDateTime: null,
        endDateTime: new Date(NOW.getTime() + daysLeft * DAY).toISOString(),
    };
}

const memoryState = (): MemoryStateStore => new MemoryStateStore();

/** An enrollment for each managed ref (tags agree), as the operator API would have made it. */
function bindingFor(ref: ManagedSecretRef): Binding {
    return {
        vaultUrl: ref.vaultUrl,
        secretName: ref.secretName,
        appId: ref.appId,
        keyId: ref.keyId,
        enrolledAt: NOW.toISOString(),
        enrolledBy: { kind: 'operator', objectId: null, appId: null, name: 'test' },
        reason: 'test',
        updatedAt: NOW.toISOString(),
        lastRotationId: null,
    };
}

function deps(
    apps: ScannedApplication[],
    options: {
        managed?: ManagedSecretRef[];
        /** Secrets beyond the managed ones (tagged or not), listed but not enrolled. */
        listed?: SecretState[];
        bindings?: Binding[];
        publish?: (events: readonly LifecycleEvent[]) => Promise<void>;
        state?: StateStorePort;
    } = {},
) {
    const published: LifecycleEvent[] = [];
    const started: string[] = [];
    const d: ScanDeps = {
        scanner: {
            // Two pages, to exercise paging.
            pages: () => toAsync([apps.slice(0, 1), apps.slice(1)]),
        },
        managed: {
            listManaged: () => Promise.resolve(options.managed ?? []),
            listSecrets: () =>
                Promise.resolve([
                    ...(options.managed ?? []).map(({ appId, keyId, ...r }) => ({
                        ...r,
                        tags: { appId, keyId },
                    })),
                    ...(options.listed ?? []),
                ]),
            current: () => Promise.resolve(undefined),
        },
        bindings: { list: () => Promise.resolve(options.bindings ?? (options.managed ?? []).map(bindingFor)) },
        state: options.state ?? memoryState(),
        notifier: {
            publish:
                options.publish ??
                ((events) => {
                    published.push(...events);
                    return Promise.resolve();
                }),
        },
        startRotation: (ref) => {
            started.push(ref.secretName);
            return Promise.resolve({ id: `rotate@${ref.secretName}`, alreadyRunning: false });
        },
        rotationMarks: () => Promise.resolve(new Map()),
        policy: createPolicy(),
        vaultUrls: ['https://kv.vault.azure.net'],
        paused: false,
        log: silentLogger,
    };
    return { d, published, started };
}

async function* toAsync<T>(items: T[]): AsyncIterable<T> {
    for (const item of items) yield await Promise.resolve(item);
}

const app = (appId: string, creds: Credential[]): ScannedApplication => ({
    objectId: `obj-${appId}`,
    appId,
    displayName: appId,
    credentials: creds,
});

const ref = (appId: string, keyId: string, enabled = true): ManagedSecretRef => ({
    vaultUrl: 'https://kv.vault.azure.net',
    secretName: `${appId}-secret`,
    version: 'v1',
    enabled,
    appId,
    keyId,
});

describe('scanTenant', () => {
    it('starts rotations only for due, managed, enabled credentials', async () => {
        const apps = [
            app('due', [credential('due', 'k1', 10)]),
            app('disabled', [credential('disabled', 'k2', 10)]),
            app('later', [credential('later', 'k3', 100)]),
            app('unmanaged', [credential('unmanaged', 'k4', 5)]),
        ];
        const { d, started } = deps(apps, {
            managed: [ref('due', 'k1'), ref('disabled', 'k2', false), ref('later', 'k3')],
        });
        const summary = await scanTenant(d, { now: NOW });
        expect(started).toEqual(['due-secret']);
        expect(summary).toMatchObject({ apps: 4, credentials: 4, pages: 2, rotationsStarted: 1 });
    });

    // Regression (defect 8): the tag was documented and parsed, but the scan classified with the global policy.
    it("a secret's rotate-before-days tag decides when its credential is due", async () => {
        const apps = [
            app('early', [credential('early', 'k1', 40)]),
            app('late', [credential('late', 'k2', 20)]),
            app('plain', [credential('plain', 'k3', 40)]),
            app('bad', [credential('bad', 'k4', 40)]),
        ];
        const { d, started } = deps(apps, {
            managed: [
                { ...ref('early', 'k1'), policyTags: { 'rotate-before-days': '45' } },
                { ...ref('late', 'k2'), policyTags: { 'rotate-before-days': '10' } },
                ref('plain', 'k3'),
                // Not a number: ignored, the default (30) stays.
                { ...ref('bad', 'k4'), policyTags: { 'rotate-before-days': 'soon' } },
            ],
        });
        await scanTenant(d, { now: NOW });
        expect(started).toEqual(['early-secret']);
    });

    it('announces each threshold once per credential across scans', async () => {
        const state = memoryState();
        const apps = [app('a', [credential('a', 'k1', 20)]), app('b', [credential('b', 'k2', 6)])];
        const first = deps(apps, { state });
        await scanTenant(first.d, { now: NOW });
        expect(first.published.map((e) => e.id).sort()).toEqual(['expiring:a:k1:30', 'expiring:b:k2:7']);
        const second = deps(apps, { state });
        await scanTenant(second.d, { now: NOW });
        expect(second.published).toEqual([]);
    });

    it('after a partial publish failure, only the unsent alerts are sent again', async () => {
        const state = memoryState();
        // 150 alerts: the first batch of 100 goes out, the second fails.
        const apps = Array.from({ length: 150 }, (_, i) => app(`app${i}`, [credential(`app${i}`, `k${i}`, 20)]));
        let calls = 0;
        const sent: string[] = [];
        const failing = deps(apps, {
            state,
            publish: (events) => {
                calls += 1;
                if (calls > 1) return Promise.reject(new Error('topic down'));
                sent.push(...events.map((e) => e.id));
                return Promise.resolve();
            },
        });
        const summary = await scanTenant(failing.d, { now: NOW });
        expect(summary.alertsSent).toBe(100);
        expect(Object.keys((await state.read<object>(ALERT_LEDGER_KEY)) ?? {})).toHaveLength(100);

        const retry = deps(apps, { state });
        await scanTenant(retry.d, { now: NOW });
        expect(retry.published).toHaveLength(50);
        expect(retry.published.some((e) => sent.includes(e.id))).toBe(false);
    });

    it('asks for the first application page while it reads the vaults, and writes the inventory while alerts go out', async () => {
        const due = app('app-1', [credential('app-1', 'key-1', 5)]);
        const state = memoryState();
        const { d, published } = deps([due], { state });
        const events: string[] = [];
        // Each read below answers only once the other side has begun: run one after the other, they would never
        // answer (a bounded wait turns that into a failure).
        const firstPageAsked = signal();
        const pagesOf = d.scanner.pages;
        d.scanner.pages = async function* () {
            events.push('first page asked');
            firstPageAsked.set();
            yield* pagesOf();
        };
        const listSecrets = d.managed.listSecrets;
        d.managed.listSecrets = async (vaults) => {
            await firstPageAsked.within(1_000, 'the first page was not asked for while the vaults were read');
            events.push('vaults read');
            return listSecrets(vaults);
        };
        const inventoryWritten = signal();
        const write = state.write.bind(state);
        state.write = async (key, value) => {
            await write(key, value);
            if (key === INVENTORY_KEY) inventoryWritten.set();
        };
        d.notifier.publish = async (batch) => {
            await inventoryWritten.within(1_000, 'the inventory was not written while the alerts went out');
            published.push(...batch);
        };
        await scanTenant(d, { now: NOW });
        expect(events).toEqual(['first page asked', 'vaults read']);
        expect(published.map((e) => e.type)).toEqual(['Credential.ExpiringSoon']);
        expect(state.peekRaw(INVENTORY_KEY)).toContain('app-1');
    });

    it('a failing vault read still ends the scan with that error, and the stream it began is closed', async () => {
        let closed = false;
        const { d } = deps([app('app-1', [])]);
        d.scanner.pages = async function* () {
            try {
                yield await Promise.resolve([app('app-1', [])]);
                yield [app('app-2', [])];
            } finally {
                closed = true;
            }
        };
        d.managed.listSecrets = () => Promise.reject(new Error('vault down'));
        await expect(scanTenant(d, { now: NOW })).rejects.toThrow('vault down');
        await new Promise((r) => setTimeout(r, 10));
        expect(closed).toBe(true);
    });
});

/** A one-shot flag a test can wait on, for at most some time. */
function signal() {
    let set = (): void => {};
    const reached = new Promise<void>((resolve) => (set = resolve));
    return {
        set: () => set(),
        within: (ms: number, failure: string) =>
            Promise.race([
                reached,
                new Promise<never>((_, reject) => setTimeout(() => reject(new Error(failure)), ms)),
            ]),
    };
}
