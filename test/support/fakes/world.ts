import { createPolicy, type RotationPolicy } from '../../../shared/domain/policy';
import { type Binding, BindingStore, ENROLLMENT_KEY } from '../../../shared/enrollment/bindings';
import { RotationHistory } from '../../../shared/history/rotationHistory';
import { SignInCollector } from '../../../shared/signins/collector';
import { type ConsumersConfig, parseConsumersConfig } from '../../../shared/rotation/consumers';
import { type RotationDeps, type RotationSettings } from '../../../shared/rotation/deps';
import { ManagedTags } from '../../../shared/rotation/markers';
import { fingerprintOf } from '../../../shared/security/fingerprint';
import { FakeDirectory } from './FakeDirectory';
import { FakeNotifier } from './FakeNotifier';
import { FakeRefresher } from './FakeRefresher';
import { FakeSignIns } from './FakeSignIns';
import { FakeVault } from './FakeVault';
import { FakeVerifier } from './FakeVerifier';
import { MemoryStateStore } from './MemoryStateStore';
import { type LogLine, recordingLogger } from './RecordingLogger';

export const VAULT_URL = 'https://kv-rotator-test.vault.azure.net';
export const SECRET_NAME = 'graph-client-secret';
export const APP_ID = '11111111-1111-4111-8111-111111111111';
export const APP_OBJECT_ID = '22222222-2222-4222-8222-222222222222';
export const ROTATION_ID = 'rot-0001';
export const START = '2026-03-01T09:00:00.000Z';

export interface WorldOptions {
    readonly seed?: number;
    readonly policy?: Partial<RotationPolicy>;
    /** Consumer entries as written in the config document (defaults applied by the real parser). */
    readonly consumers?: readonly Record<string, unknown>[];
    readonly propagationTimeoutSeconds?: number;
    readonly usageGate?: Partial<RotationSettings['usageGate']>;
    readonly vaultUrls?: readonly string[];
    /** Extra tags on the live secret (policy overrides, operator tags). */
    readonly liveTags?: Readonly<Record<string, string>>;
    /** The old credential is still on the application (default true). */
    readonly oldKeyPresent?: boolean;
    /** Other password credentials on the application besides the old one. */
    readonly otherCredentials?: number;
    readonly start?: string;
    /** Webhook consumers that took the new secret do not sign in with it afterwards (default: they do, hourly). */
    readonly silentConsumers?: boolean;
    /** The secret is enrolled for the old credential (default true). */
    readonly enrolled?: boolean;
}

/** A mutable clock the orchestration driver advances; the sign-in log reads it. */
export class TestClock {
    #ms: number;

    constructor(start: string) {
        this.#ms = Date.parse(start);
    }

    now(): Date {
        return new Date(this.#ms);
    }

    advanceTo(at: Date): void {
        if (at.getTime() < this.#ms) throw new Error(`TestClock: cannot go back to ${at.toISOString()}`);
        this.#ms = at.getTime();
    }

    advanceBy(ms: number): void {
        this.#ms += ms;
    }
}

export interface World {
    readonly directory: FakeDirectory;
    readonly vault: FakeVault;
    readonly verifier: FakeVerifier;
    readonly signIns: FakeSignIns;
    readonly notifier: FakeNotifier;
    readonly refresher: FakeRefresher;
    readonly clock: TestClock;
    readonly logLines: LogLine[];
    readonly deps: RotationDeps;
    /** The state store holding the enrollment. */
    readonly state: MemoryStateStore;
    readonly bindings: BindingStore;
    /** The rotation records the orchestrator writes (in `state`). */
    readonly history: RotationHistory;
    readonly log: ReturnType<typeof recordingLogger>['logger'];
    readonly oldKeyId: string;
    readonly oldFingerprint: string;
    readonly policy: RotationPolicy;
    /** Every secret text the fakes hold or issued: what a leak sweep searches for. */
    secretTexts(): readonly string[];
}

/** One app with one managed client secret in one vault, wired to in-memory fakes. */
export function createWorld(options: WorldOptions = {}): World {
    const clock = new TestClock(options.start ?? START);
    const directory = new FakeDirectory(options.seed ?? 1);
    const vault = new FakeVault();
    const verifier = new FakeVerifier(directory);
    const signIns = new FakeSignIns(() => clock.now());
    verifier.onSignIn = (appId, keyId, correlationId) =>
        signIns.record(appId, keyId, clock.now(), { ...(correlationId ? { correlationId } : {}) });
    const notifier = new FakeNotifier();
    const refresher = new FakeRefresher();
    const { logger, lines } = recordingLogger();
    if (!options.silentConsumers) {
        refresher.onRefreshed = (consumer, request) => {
            const keyId = directory.keyIdForFingerprint(APP_ID, request.fingerprint);
            if (keyId) signIns.switchClient(consumer.name, APP_ID, keyId, clock.now());
        };
    }

    directory.addApp({ appId: APP_ID, objectId: APP_OBJECT_ID, displayName: 'orders-api' });
    const old = directory.seedCredential(APP_ID, {
        displayName: 'rotator:rot-0000',
        startDateTime: '2025-09-01T09:00:00.000Z',
        endDateTime: '2026-03-20T09:00:00.000Z',
    });
    for (let i = 0; i < (options.otherCredentials ?? 0); i++) {
        directory.seedCredential(APP_ID, { displayName: `manual-${i}` });
    }
    if (options.oldKeyPresent === false) void directory.removePassword(APP_OBJECT_ID, old.keyId);
    directory.calls.length = 0;

    const oldFingerprint = fingerprintOf(old.secret);
    vault.seed(VAULT_URL, SECRET_NAME, old.secret, {
        tags: {
            [ManagedTags.appId]: APP_ID,
            [ManagedTags.keyId]: old.keyId,
            [ManagedTags.fingerprint]: oldFingerprint,
            [ManagedTags.rotationId]: 'rot-0000',
            ...options.liveTags,
        },
        expiresOn: '2026-03-20T09:00:00.000Z',
    });
    vault.calls.length = 0;

    const state = new MemoryStateStore();
    if (options.enrolled !== false) {
        const binding: Binding = {
            vaultUrl: VAULT_URL,
            secretName: SECRET_NAME,
            appId: APP_ID,
            keyId: old.keyId,
            enrolledAt: START,
            enrolledBy: { kind: 'operator', objectId: null, appId: null, name: 'fixture' },
            reason: 'fixture',
            updatedAt: START,
            lastRotationId: null,
        };
        state.docs.set(ENROLLMENT_KEY, {
            text: JSON.stringify({ schema: 1, bindings: [binding], history: [] }),
            version: 0,
        });
    }
    const bindings = new BindingStore(state);

    const policy = createPolicy(options.policy ?? {});
    const consumers: ConsumersConfig = parseConsumersConfig({
        consumers: options.consumers
            ? [{ vaultUrl: VAULT_URL, secretName: SECRET_NAME, refresh: options.consumers }]
            : [],
    });
    const deps: RotationDeps = {
        credentials: directory,
        ownership: directory,
        secrets: vault,
        verifier,
        signIns,
        signInCollector: new SignInCollector(
            state,
            signIns,
            { overlapMinutes: options.usageGate?.signInLogLatencyMinutes ?? 30, busyRetrySeconds: 10 },
            undefined,
            () => clock.now().getTime(),
        ),
        notifier,
        refresher,
        consumers,
        bindings,
        history: new RotationHistory(state),
        settings: {
            policy,
            vaultUrls: options.vaultUrls ?? [VAULT_URL],
            propagationTimeoutSeconds: options.propagationTimeoutSeconds ?? 300,
            usageGate: {
                signInLogLatencyMinutes: 30,
                tokenLifetimeMinutes: 90,
                recheckHours: 24,
                maxChecks: 3,
                ...options.usageGate,
            },
        },
    };
    return {
        directory,
        vault,
        verifier,
        signIns,
        notifier,
        refresher,
        clock,
        logLines: lines,
        deps,
        state,
        bindings,
        history: deps.history,
        log: logger,
        oldKeyId: old.keyId,
        oldFingerprint,
        policy,
        secretTexts: () => directory.issuedSecretTexts(),
    };
}
