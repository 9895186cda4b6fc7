import { fingerprintOfText } from '../../../shared/security/fingerprint';
import {
    type EmuRequest,
    type EmuResponse,
    type EmulatorClock,
    type EmulatorContext,
    type ServiceModule,
} from '../core/contract';
import { authenticate } from './auth';
import { badParameter, kvError } from './errors';
import { defaultVaultProfile, type EmittedMarks, unixSeconds, type VaultProfile } from './model';
import { parseRole, RoleAssignments, type RoleAssignment } from './rbac';
import { handleSecrets, type VaultState } from './routes';
import { SecretStore, type StoreSnapshot } from './store';
import { dueExpiryEvents, secretEvent } from './systemEvents';
import { vaultName } from './vault';
import { type VaultLookup } from '../arm/sites';

/** Where Key Vault system-topic events go (the Event Grid module). */
export interface SystemEventSink {
    publishSystemEvent(event: object): void;
}

interface KeyVaultSnapshot {
    readonly store: StoreSnapshot;
    readonly profile?: VaultProfile;
    readonly roleAssignments: RoleAssignment[];
    readonly marks: EmittedMarks;
}

const PATH = /^\/(secrets|deletedsecrets)(\/|$)/i;

/**
 * Key Vault's secrets data plane as `@azure/keyvault-secrets` 4.x drives it (api-fidelity §4), vault-scoped
 * RBAC, and the vault's Event Grid system topic (§5.1): SecretNewVersionCreated on set, SecretNearExpiry and
 * SecretExpired as the emulator clock advances.
 */
export interface KeyVaultModule extends ServiceModule {
    /** Read access for App Service reference resolution (the Resource Manager module). */
    lookup(origin: string): VaultLookup;
}

export function createKeyVaultModule(events: SystemEventSink): KeyVaultModule {
    const state: VaultState = {
        store: new SecretStore(),
        roles: new RoleAssignments(),
        marks: { nearExpiry: [], expired: [] },
        events,
    };
    const watchedClocks = new WeakSet<EmulatorClock>();

    /** Expiry events and scheduled purges follow the emulator clock, never the wall clock. */
    function watchClock(context: EmulatorContext): void {
        if (watchedClocks.has(context.clock)) return;
        watchedClocks.add(context.clock);
        context.clock.onAdvance((_from, to) => {
            const now = unixSeconds(to);
            const purged = state.store.purgeDue(now);
            const due = dueExpiryEvents(state.store.listLive(), state.marks, now);
            for (const event of due) {
                events.publishSystemEvent(secretEvent(event.type, context.origin, event.secret, event.version, to));
            }
            if (purged.length > 0 || due.length > 0) context.markDirty();
        });
    }

    function reset(context: EmulatorContext): void {
        watchClock(context);
        state.store.clear();
        state.marks.nearExpiry.length = 0;
        state.marks.expired.length = 0;
        state.roles.replace([]);
        state.roles.assign(context.admin.servicePrincipalId, 'Key Vault Secrets Officer');
        state.store.profile = defaultVaultProfile();
    }

    /** `POST /_emulator/keyVault/vault`: the vault's configuration and service latencies (`VaultProfile`). */
    function configure(body: Record<string, unknown>): EmuResponse {
        const next: VaultProfile = { ...state.store.profile };
        if ('purgeProtection' in body) {
            if (typeof body.purgeProtection !== 'boolean') return badParameter('purgeProtection must be a boolean.');
            next.purgeProtection = body.purgeProtection;
        }
        if ('recoverableDays' in body) {
            const days = body.recoverableDays;
            if (typeof days !== 'number' || !Number.isInteger(days) || days < 7 || days > 90)
                return badParameter('recoverableDays must be an integer from 7 to 90 (softDeleteRetentionInDays).');
            next.recoverableDays = days;
        }
        for (const key of ['deleteLatencyMs', 'recoverLatencyMs', 'purgeLatencyMs'] as const) {
            if (!(key in body)) continue;
            const value = body[key];
            if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 600_000)
                return badParameter(`${key} must be a number of milliseconds from 0 to 600000.`);
            next[key] = value;
        }
        state.store.profile = next;
        return { status: 200, body: next };
    }

    function control(subPath: string, request: EmuRequest, context: EmulatorContext): EmuResponse | undefined {
        watchClock(context);
        const method = request.method.toUpperCase();
        if (subPath === '/vault' && method === 'GET') return { status: 200, body: state.store.profile };
        if (subPath === '/vault' && method === 'POST') {
            let body: unknown;
            try {
                body = JSON.parse(request.body.toString('utf8'));
            } catch {
                return badParameter('The request body is not valid JSON.');
            }
            if (typeof body !== 'object' || body === null) return badParameter('Expected a JSON object.');
            return configure(body as Record<string, unknown>);
        }
        if (subPath === '/roleAssignments' && method === 'GET') {
            return { status: 200, body: { value: state.roles.list() } };
        }
        if (subPath === '/roleAssignments' && method === 'POST') {
            let body: { principalId?: unknown; role?: unknown };
            try {
                body = JSON.parse(request.body.toString('utf8')) as typeof body;
            } catch {
                return badParameter('The request body is not valid JSON.');
            }
            const role = parseRole(body?.role);
            if (typeof body?.principalId !== 'string' || body.principalId === '' || role === undefined) {
                return badParameter(
                    'Expected {"principalId": "<service principal object id>", "role": "Key Vault Secrets Officer" | "Key Vault Secrets User" | "Key Vault Reader" | "Key Vault Administrator"}.',
                );
            }
            const assignment = state.roles.assign(body.principalId, role);
            context.markDirty();
            return { status: 201, body: assignment };
        }
        const match = /^\/roleAssignments\/([^/]+)$/.exec(subPath);
        if (match?.[1] !== undefined && method === 'DELETE') {
            if (!state.roles.remove(match[1]))
                return { status: 404, body: { error: { code: 'NotFound', message: 'No such role assignment.' } } };
            context.markDirty();
            return { status: 204 };
        }
        return undefined;
    }

    return {
        lookup: (origin) => ({
            host: new URL(origin).host.toLowerCase(),
            name: vaultName(origin).toLowerCase(),
            latest: (name) => {
                const current = state.store.current(name);
                return current?.enabled === false ? undefined : current?.version;
            },
            hasVersion: (name, version) => state.store.findVersion(name, version) !== undefined,
        }),
        name: 'keyVault',
        matches: (request) => PATH.test(request.path),
        handle(request, context) {
            watchClock(context);
            const auth = authenticate(request, context);
            if (!auth.ok) return Promise.resolve(auth.response);
            // The SDK always sends it (as `api%2Dversion`, which URLSearchParams decodes); any value is accepted.
            if (!request.query.has('api-version')) {
                return Promise.resolve(
                    badParameter('The api-version query parameter (?api-version=) is required for all requests.'),
                );
            }
            return Promise.resolve(handleSecrets(request, context, state, auth.claims));
        },
        // Injected faults and core failures in Key Vault's shape; its throttling code is `Throttled`.
        formatError: (status, code, message) => kvError(status, status === 429 ? 'Throttled' : code, message),
        control: (subPath, request, context) => Promise.resolve(control(subPath, request, context)),
        stateView: () => ({
            secrets: state.store.listLive().map((secret) => ({
                name: secret.name,
                versions: secret.versions.map(({ value, ...metadata }) => ({
                    ...metadata,
                    valueFingerprint: fingerprintOfText(value),
                })),
            })),
            deletedSecrets: state.store.listDeleted().map((d) => ({
                name: d.secret.name,
                deletedDate: d.deletedDate,
                scheduledPurgeDate: d.scheduledPurgeDate,
                versionCount: d.secret.versions.length,
            })),
            roleAssignments: state.roles.list(),
            vault: state.store.profile,
        }),
        snapshot: (): KeyVaultSnapshot => ({
            store: state.store.snapshot(),
            profile: state.store.profile,
            roleAssignments: [...state.roles.list()],
            marks: state.marks,
        }),
        restore(data, context) {
            watchClock(context);
            const snapshot = data as Partial<KeyVaultSnapshot> | undefined;
            if (snapshot?.store === undefined) {
                reset(context);
                return;
            }
            state.store.restore(snapshot.store);
            state.store.profile = { ...defaultVaultProfile(), ...snapshot.profile };
            state.roles.replace(snapshot.roleAssignments ?? []);
            state.marks.nearExpiry = [...(snapshot.marks?.nearExpiry ?? [])];
            state.marks.expired = [...(snapshot.marks?.expired ?? [])];
        },
        reset,
    };
}
