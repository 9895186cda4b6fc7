import { classifyCredential } from '../domain/classify';
import { type Credential, type RotationMark } from '../domain/credential';
import { rotateBeforeOverride, type RotationPolicy } from '../domain/policy';
import { type Binding } from '../enrollment/bindings';
import { bindingMismatchEvent, enrolledSecrets } from '../enrollment/gate';
import { ensureError } from '../errors/ensureError';
import { type Logger } from '../logging/logger';
import { rotationIdFromDisplayName } from '../rotation/markers';
import { type LifecycleEvent, type NotifierPort } from '../rotation/ports';
import { type StartResult } from '../rotation/starter';
import { type Inventory, InventoryBuilder } from './inventory';
import {
    type ApplicationScannerPort,
    type ManagedSecretIndexPort,
    type ManagedSecretRef,
    type StateStorePort,
} from './ports';

export const ALERT_LEDGER_KEY = 'alerts/ledger';
export const INVENTORY_KEY = 'inventory/latest';

/** credential key → the smallest threshold (days) already announced for it. */
type AlertLedger = Record<string, number>;

export interface ScanDeps {
    readonly scanner: ApplicationScannerPort;
    readonly managed: ManagedSecretIndexPort;
    /** Enrollment: only enrolled secrets are rotated; tags never make one managed. */
    readonly bindings: { list(): Promise<readonly Binding[]> };
    readonly state: StateStorePort;
    readonly notifier: NotifierPort;
    readonly startRotation: (ref: ManagedSecretRef) => Promise<StartResult>;
    /** What in-flight or recent rotations say about credentials, keyed by `appId|keyId`. */
    readonly rotationMarks: () => Promise<ReadonlyMap<string, RotationMark>>;
    readonly policy: RotationPolicy;
    readonly vaultUrls: readonly string[];
    readonly paused: boolean;
    readonly log: Logger;
}

export interface ScanSummary {
    readonly apps: number;
    readonly credentials: number;
    readonly pages: number;
    readonly rotationsStarted: number;
    readonly rotationsJoined: number;
    readonly rotationsFailedToStart: number;
    readonly alertsSent: number;
    /** Secrets refused because their tags claim a credential their enrollment does not name (announced). */
    readonly bindingMismatches: number;
    readonly inventory: Inventory['counts'];
    /** Client secrets carrying the rotator's marker (`rotator:<rotationId>`): candidates for the orphan sweep. */
    readonly marked: readonly MarkedCredential[];
}

export interface MarkedCredential {
    readonly appId: string;
    readonly appObjectId: string;
    readonly keyId: string;
    readonly rotationId: string;
    readonly displayName: string;
}

export interface ScanOptions {
    readonly now: Date;
    readonly onProgress?: (progress: { pages: number; apps: number; credentials: number }) => void;
}

export function credentialKey(appId: string, keyId: string): string {
    return `${appId.toLowerCase()}|${keyId.toLowerCase()}`;
}

/**
 * Scans every application credential in the tenant once: classifies it, starts rotations for managed
 * credentials inside their rotate window, announces each alert threshold once per credential, and writes the
 * inventory. Applications stream page by page; only credentials worth listing are kept.
 */
export async function scanTenant(deps: ScanDeps, options: ScanOptions): Promise<ScanSummary> {
    const { now } = options;
    // The first application page is asked for now, while the scan reads what it needs before it can act on one
    // (the vaults' secrets and enrollment, rotation marks, the alert ledger): each is a round trip of its own.
    const stream = deps.scanner.pages()[Symbol.asyncIterator]();
    const firstPage = stream.next();
    firstPage.catch(() => {}); // a failed first page is reported where it is awaited
    const pagesOf = resumed(firstPage, stream);
    let prelude: [Awaited<ReturnType<typeof enrolledByCredential>>, ReadonlyMap<string, RotationMark>, AlertLedger];
    try {
        prelude = await Promise.all([
            enrolledByCredential(deps, now),
            deps.rotationMarks(),
            deps.state.read<AlertLedger>(ALERT_LEDGER_KEY).then((ledger) => ledger ?? {}),
        ]);
    } catch (error) {
        void stream.return?.().catch(() => {});
        throw error;
    }
    const [{ managed, refused }, marks, previousLedger] = prelude;
    const ledger: AlertLedger = {};
    const inventory = new InventoryBuilder(now);
    const alerts: LifecycleEvent[] = [];
    /** The ledger key of each alert, in publish order. */
    const alertKeys: string[] = [];
    let pages = 0;
    let apps = 0;
    let credentials = 0;
    let started = 0;
    let joined = 0;
    let failedToStart = 0;
    const marked: MarkedCredential[] = [];

    for await (const page of pagesOf) {
        pages += 1;
        for (const app of page) {
            apps += 1;
            for (const credential of app.credentials) {
                credentials += 1;
                const markedBy =
                    credential.kind === 'secret' ? rotationIdFromDisplayName(credential.displayName) : undefined;
                if (markedBy) {
                    marked.push({
                        appId: credential.appId,
                        appObjectId: credential.appObjectId,
                        keyId: credential.keyId,
                        rotationId: markedBy,
                        displayName: credential.displayName ?? '',
                    });
                }
                const key = credentialKey(credential.appId, credential.keyId);
                const ref = managed.get(key);
                const mark = marks.get(key);
                // A managed secret's own rotate-before-days decides when its credential is due.
                const assessment = classifyCredential(credential, now, policyFor(deps.policy, ref), mark);
                inventory.add(credential, assessment, ref);

                const threshold = assessment.alertThresholdDays;
                if (threshold !== undefined && !assessment.expired) {
                    const announced = previousLedger[key];
                    ledger[key] = Math.min(threshold, announced ?? Number.POSITIVE_INFINITY);
                    if (announced === undefined || threshold < announced) {
                        alertKeys.push(key);
                        alerts.push(
                            expiringSoonEvent(
                                credential,
                                app.displayName,
                                threshold,
                                assessment.daysRemaining,
                                ref,
                                now,
                            ),
                        );
                    }
                }
                // A disabled current version is an operator's decision: report it, do not rotate over it.
                if (ref && ref.enabled && assessment.rotationDue && !deps.paused) {
                    try {
                        const result = await deps.startRotation(ref);
                        if (result.alreadyRunning) joined += 1;
                        else started += 1;
                    } catch (error) {
                        failedToStart += 1;
                        deps.log.error(
                            'Could not start rotation',
                            { appId: ref.appId, secretName: ref.secretName },
                            ensureError(error),
                        );
                    }
                }
            }
        }
        options.onProgress?.({ pages, apps, credentials });
    }

    const announce = async (): Promise<number> => {
        const sent = await publishAlerts(deps, alerts);
        if (refused.length > 0) await publishAlerts(deps, refused);
        // Only thresholds that were actually announced are remembered, so an unsent alert is retried next scan.
        for (const key of alertKeys.slice(sent)) {
            const previous = previousLedger[key];
            if (previous === undefined) delete ledger[key];
            else ledger[key] = previous;
        }
        // Conditional merge: a threshold another instance announced meanwhile stays remembered (lowest wins).
        await deps.state.update<AlertLedger>(ALERT_LEDGER_KEY, (stored = {}) => {
            const merged: AlertLedger = { ...ledger };
            for (const [key, days] of Object.entries(merged)) {
                const other = stored[key];
                if (other !== undefined && other < days) merged[key] = other;
            }
            return merged;
        });
        return sent;
    };
    const snapshot = inventory.build({ pages, apps, paused: deps.paused });
    // The inventory does not depend on what was announced: it is written while the alerts go out.
    const [announced, written] = await Promise.allSettled([announce(), deps.state.write(INVENTORY_KEY, snapshot)]);
    if (announced.status === 'rejected') throw announced.reason;
    if (written.status === 'rejected') throw written.reason;
    const alertsSent = announced.value;
    return {
        apps,
        credentials,
        pages,
        rotationsStarted: started,
        rotationsJoined: joined,
        rotationsFailedToStart: failedToStart,
        alertsSent,
        bindingMismatches: refused.length,
        inventory: snapshot.counts,
        marked,
    };
}

/** The pages of a stream whose first page was already asked for; closing it closes the stream. */
async function* resumed<T>(first: Promise<IteratorResult<T>>, rest: AsyncIterator<T>): AsyncGenerator<T> {
    try {
        for (let next = await first; !next.done; next = await rest.next()) yield next.value;
    } finally {
        await rest.return?.();
    }
}

/** The enrolled secrets the scan may act on, keyed by their binding's credential; refused ones are announced. */
async function enrolledByCredential(
    deps: ScanDeps,
    now: Date,
): Promise<{ managed: Map<string, ManagedSecretRef>; refused: LifecycleEvent[] }> {
    const { enrolled, refused } = await enrolledSecrets(deps.managed, deps.bindings, deps.vaultUrls);
    for (const { secret } of refused)
        deps.log.warn('Refused a secret whose tags do not match an enrollment', { secretName: secret.secretName });
    return {
        managed: new Map(enrolled.map((ref) => [credentialKey(ref.appId, ref.keyId), ref])),
        refused: refused.map(({ secret, check }) => bindingMismatchEvent(secret, check, 'scan', now)),
    };
}

/** Event Grid accepts up to 1 MB per publish; 100 small events per batch stays far below it. */
const ALERT_BATCH = 100;

async function publishAlerts(deps: ScanDeps, alerts: readonly LifecycleEvent[]): Promise<number> {
    let sent = 0;
    for (let i = 0; i < alerts.length; i += ALERT_BATCH) {
        const batch = alerts.slice(i, i + ALERT_BATCH);
        try {
            await deps.notifier.publish(batch);
            sent += batch.length;
        } catch (error) {
            deps.log.error('Could not publish expiry notifications', { count: batch.length }, ensureError(error));
            break;
        }
    }
    return sent;
}

function expiringSoonEvent(
    credential: Credential,
    appDisplayName: string | null,
    thresholdDays: number,
    daysRemaining: number,
    ref: ManagedSecretRef | undefined,
    now: Date,
): LifecycleEvent {
    return {
        // Deterministic: the same threshold crossing is the same event, whoever publishes it.
        id: `expiring:${credential.appId}:${credential.keyId}:${thresholdDays}`,
        type: 'Credential.ExpiringSoon',
        subject: `/applications/${credential.appId}/credentials/${credential.keyId}`,
        time: now.toISOString(),
        data: {
            appId: credential.appId,
            appObjectId: credential.appObjectId,
            appDisplayName,
            keyId: credential.keyId,
            kind: credential.kind,
            displayName: credential.displayName,
            endDateTime: credential.endDateTime,
            daysRemaining: Math.round(daysRemaining * 10) / 10,
            thresholdDays,
            managed: ref !== undefined,
            vaultUrl: ref?.vaultUrl ?? null,
            secretName: ref?.secretName ?? null,
        },
    };
}

function policyFor(base: RotationPolicy, ref: ManagedSecretRef | undefined): RotationPolicy {
    const days = ref?.policyTags ? rotateBeforeOverride(base, ref.policyTags) : undefined;
    return days === undefined ? base : { ...base, rotateBeforeDays: days };
}
