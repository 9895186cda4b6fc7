import { type Binding } from '../enrollment/bindings';
import { bindingMismatchEvent, checkBinding } from '../enrollment/gate';
import { ensureError } from '../errors/ensureError';
import { type Logger } from '../logging/logger';
import { normalizeVaultUrl } from '../rotation/markers';
import { type NotifierPort } from '../rotation/ports';
import { type StartRequest, type StartResult } from '../rotation/starter';
import { rotateBeforeOverride, type RotationPolicy } from '../domain/policy';
import { type ManagedSecretIndexPort, type ManagedSecretRef, type StateStorePort, unchanged } from '../scan/ports';

export const NEAR_EXPIRY = 'Microsoft.KeyVault.SecretNearExpiry';
export const EXPIRED = 'Microsoft.KeyVault.SecretExpired';
const ACTIONABLE = new Set([NEAR_EXPIRY, EXPIRED]);
export const PROCESSED_EVENTS_KEY = 'events/processed';
const REMEMBERED_EVENTS = 2_000;

export interface KeyVaultEventDeps {
    /** Event Grid system-topic resource ids allowed to start rotations; empty means none is. */
    readonly allowedTopics: readonly string[];
    readonly vaultUrls: readonly string[];
    readonly index: ManagedSecretIndexPort;
    readonly state: StateStorePort;
    readonly bindings: { find(vaultUrl: string, secretName: string): Promise<Binding | undefined> };
    readonly notifier: NotifierPort;
    readonly start: (request: StartRequest) => Promise<StartResult>;
    readonly paused: boolean;
    readonly log: Logger;
    /** Decides, with each secret's `rotate-before-days` tag, whether a NearExpiry event is early. */
    readonly policy: RotationPolicy;
    readonly now: () => Promise<Date>;
}

export type KeyVaultEventOutcome =
    | { readonly action: 'started' | 'joined'; readonly instanceId: string }
    | { readonly action: 'rejected' | 'ignored' | 'duplicate'; readonly reason: string };

interface NormalizedEvent {
    readonly id: string;
    readonly topic: string;
    readonly type: string;
    readonly vaultUrl: string | undefined;
    readonly secretName: string | undefined;
    readonly version: string | undefined;
}

/**
 * Key Vault's NearExpiry/Expired events are a fast path next to the daily scan: they start (or join) the rotation
 * of an enrolled secret's *current* version. Foreign topics are rejected; other types, unknown, stale, disabled
 * or unenrolled secrets are acknowledged and left alone; a secret whose tags claim a credential its enrollment
 * does not name is refused and announced (Credential.BindingMismatch); a redelivered event id never acts twice.
 */
export async function handleKeyVaultEvent(deps: KeyVaultEventDeps, raw: unknown): Promise<KeyVaultEventOutcome> {
    const event = normalize(raw);
    const fields = { eventId: event.id, eventType: event.type, secretName: event.secretName ?? null };
    const allowed = deps.allowedTopics.some((t) => t.toLowerCase() === event.topic.toLowerCase());
    if (!allowed) {
        deps.log.warn('Rejected event from a topic that is not allowed', fields);
        return { action: 'rejected', reason: 'topic not on the allow-list (KEY_VAULT_EVENT_TOPICS)' };
    }
    if (!ACTIONABLE.has(event.type)) return ignored(deps, fields, `event type ${event.type} is not acted on`);
    if (!event.vaultUrl || !event.secretName || !event.version)
        return ignored(deps, fields, 'event does not name a secret version');
    const vaultUrl = normalizeVaultUrl(event.vaultUrl);
    if (!deps.vaultUrls.some((u) => normalizeVaultUrl(u) === vaultUrl))
        return ignored(deps, fields, 'vault is not managed by this rotator');

    // Claim the event id with a conditional write before acting: of two concurrent deliveries (two instances),
    // exactly one claims it. A failure below releases the claim, so Event Grid's redelivery acts.
    let claimed = false;
    await deps.state.update<string[]>(PROCESSED_EVENTS_KEY, (processed = []) => {
        claimed = !processed.includes(event.id);
        return claimed ? [...processed, event.id].slice(-REMEMBERED_EVENTS) : unchanged;
    });
    if (!claimed) {
        deps.log.info('Duplicate event delivery ignored', fields);
        return { action: 'duplicate', reason: 'event id already processed' };
    }
    try {
        return await act(deps, { ...event, secretName: event.secretName, version: event.version }, vaultUrl, fields);
    } catch (error) {
        await deps.state.update<string[]>(PROCESSED_EVENTS_KEY, (processed = []) =>
            processed.includes(event.id) ? processed.filter((id) => id !== event.id) : unchanged,
        );
        throw error;
    }
}

async function act(
    deps: KeyVaultEventDeps,
    event: NormalizedEvent & { readonly secretName: string; readonly version: string },
    vaultUrl: string,
    fields: Parameters<Logger['info']>[1],
): Promise<KeyVaultEventOutcome> {
    const current = await deps.index.current(vaultUrl, event.secretName);
    let outcome: KeyVaultEventOutcome;
    let early = '';
    if (!current) outcome = ignored(deps, fields, 'secret no longer exists');
    else if (!current.enabled) outcome = ignored(deps, fields, 'current version is disabled');
    else {
        const check = checkBinding(await deps.bindings.find(vaultUrl, event.secretName), current);
        if (check.kind !== 'enrolled') {
            if (check.kind === 'mismatch' || check.tagged)
                await announce(deps, bindingMismatchEvent(current, check, 'keyVaultEvent', await deps.now()));
            outcome = ignored(
                deps,
                fields,
                check.kind === 'mismatch'
                    ? `tags disagree with the enrollment (${check.detail})`
                    : 'secret is not enrolled',
            );
        } else if (current.version.toLowerCase() !== event.version.toLowerCase()) {
            outcome = ignored(deps, fields, 'event is about a version that is no longer current');
        } else if (deps.paused) outcome = ignored(deps, fields, 'rotation is paused (ROTATION_PAUSED)');
        else if (event.type === NEAR_EXPIRY && (early = await notDueYet(deps, current))) {
            outcome = ignored(deps, fields, early);
        } else outcome = await start(deps, fields, event, vaultUrl, check.binding);
    }
    return outcome;
}

async function start(
    deps: KeyVaultEventDeps,
    fields: Parameters<Logger['info']>[1],
    event: NormalizedEvent,
    vaultUrl: string,
    binding: Binding,
): Promise<KeyVaultEventOutcome> {
    const result = await deps.start({
        vaultUrl,
        secretName: binding.secretName,
        appId: binding.appId,
        keyId: binding.keyId,
        dryRun: false,
        reason: `${event.type.replace('Microsoft.KeyVault.', '')} event ${event.id}`,
        trigger: 'keyVaultEvent',
    });
    deps.log.info(result.alreadyRunning ? 'Event joined a running rotation' : 'Event started a rotation', {
        ...fields,
        instanceId: result.id,
    });
    return { action: result.alreadyRunning ? 'joined' : 'started', instanceId: result.id };
}

/** A failed announcement must not turn into a start, nor into a redelivery loop: it is logged. */
async function announce(deps: KeyVaultEventDeps, event: Parameters<NotifierPort['publish']>[0][number]): Promise<void> {
    deps.log.warn('Refused a secret whose tags do not match an enrollment', {
        secretName: String(event.data.secretName),
    });
    await deps.notifier.publish([event]).catch((error: unknown) => {
        deps.log.error('Could not announce a binding mismatch', {}, ensureError(error));
    });
}

function ignored(deps: KeyVaultEventDeps, fields: Parameters<Logger['info']>[1], reason: string): KeyVaultEventOutcome {
    deps.log.info(`Event acknowledged, not acted on: ${reason}`, fields);
    return { action: 'ignored', reason };
}

/** Accepts the Event Grid schema (`eventType`, `topic`) and CloudEvents (`type`, `source`); data keys are PascalCase. */
function normalize(raw: unknown): NormalizedEvent {
    const e = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const data = (typeof e.data === 'object' && e.data !== null ? e.data : {}) as Record<string, unknown>;
    const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
    const idUrl = str(data.Id) ?? str(data.id);
    let vaultUrl: string | undefined;
    if (idUrl) {
        try {
            vaultUrl = new URL(idUrl).origin;
        } catch {
            vaultUrl = undefined;
        }
    }
    return {
        id: str(e.id) ?? '',
        topic: str(e.topic) ?? str(e.source) ?? '',
        type: str(e.eventType) ?? str(e.type) ?? '',
        vaultUrl,
        secretName: str(data.ObjectName) ?? str(data.objectName),
        version: str(data.Version) ?? str(data.version),
    };
}

/**
 * Key Vault sends SecretNearExpiry 30 days before `exp`, whatever the secret's `rotate-before-days` says: a
 * secret that should rotate 10 days before is not due yet (the daily scan starts it when it is). Returns the
 * reason it is not due, or '' when it is.
 */
async function notDueYet(
    deps: KeyVaultEventDeps,
    current: Pick<ManagedSecretRef, 'expiresOn' | 'policyTags'>,
): Promise<string> {
    if (!current.expiresOn) return '';
    const rotateBefore =
        (current.policyTags ? rotateBeforeOverride(deps.policy, current.policyTags) : undefined) ??
        deps.policy.rotateBeforeDays;
    const daysLeft = (Date.parse(current.expiresOn) - (await deps.now()).getTime()) / 86_400_000;
    return daysLeft > rotateBefore
        ? `not due: ${Math.floor(daysLeft)} day(s) left and the secret rotates ${rotateBefore} day(s) before expiry; the daily scan starts it when due`
        : '';
}
