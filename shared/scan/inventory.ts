import { type CredentialAssessment } from '../domain/classify';
import { type Credential, type CredentialKind, type LifecycleState, LifecycleStates } from '../domain/credential';
import { type ManagedSecretRef } from './ports';

export interface InventoryEntry {
    readonly appId: string;
    readonly appObjectId: string;
    readonly appDisplayName: string | null;
    readonly keyId: string;
    readonly kind: CredentialKind;
    readonly displayName: string | null;
    readonly endDateTime: string;
    readonly daysRemaining: number;
    readonly state: LifecycleState;
    readonly managed: boolean;
    readonly vaultUrl: string | null;
    readonly secretName: string | null;
}

export interface InventoryCounts {
    total: number;
    secrets: number;
    certificates: number;
    managed: number;
    unmanaged: number;
    expired: number;
    expiringIn7Days: number;
    expiringIn30Days: number;
    expiringIn90Days: number;
    inGrace: number;
    rotating: number;
    attentionRequired: number;
}

export interface Inventory {
    readonly generatedAt: string;
    readonly apps: number;
    readonly pages: number;
    readonly paused: boolean;
    readonly counts: InventoryCounts;
    /** Credentials worth a look (expired, expiring within 90 days, managed, or not Active), soonest first. */
    readonly credentials: readonly InventoryEntry[];
    /** Notable credentials left out because the list is bounded. */
    readonly omitted: number;
}

/** Keeps memory bounded on large tenants: counts cover everything, the list only what needs attention. */
export const MAX_LISTED_CREDENTIALS = 20_000;
const NOTABLE_DAYS = 90;

export class InventoryBuilder {
    readonly #counts: InventoryCounts = {
        total: 0,
        secrets: 0,
        certificates: 0,
        managed: 0,
        unmanaged: 0,
        expired: 0,
        expiringIn7Days: 0,
        expiringIn30Days: 0,
        expiringIn90Days: 0,
        inGrace: 0,
        rotating: 0,
        attentionRequired: 0,
    };
    readonly #entries: InventoryEntry[] = [];
    #omitted = 0;

    constructor(private readonly now: Date) {}

    add(credential: Credential, assessment: CredentialAssessment, ref: ManagedSecretRef | undefined): void {
        const c = this.#counts;
        c.total += 1;
        if (credential.kind === 'secret') c.secrets += 1;
        else c.certificates += 1;
        if (ref) c.managed += 1;
        else c.unmanaged += 1;
        const days = assessment.daysRemaining;
        if (assessment.expired) c.expired += 1;
        else {
            if (days <= 7) c.expiringIn7Days += 1;
            if (days <= 30) c.expiringIn30Days += 1;
            if (days <= NOTABLE_DAYS) c.expiringIn90Days += 1;
        }
        if (assessment.state === LifecycleStates.GracePeriod) c.inGrace += 1;
        if (assessment.state === LifecycleStates.Rotating) c.rotating += 1;
        if (assessment.state === LifecycleStates.AttentionRequired) c.attentionRequired += 1;

        const notable =
            ref !== undefined ||
            assessment.expired ||
            days <= NOTABLE_DAYS ||
            assessment.state !== LifecycleStates.Active;
        if (!notable) return;
        if (this.#entries.length >= MAX_LISTED_CREDENTIALS) {
            this.#omitted += 1;
            return;
        }
        this.#entries.push({
            appId: credential.appId,
            appObjectId: credential.appObjectId,
            appDisplayName: credential.appDisplayName ?? null,
            keyId: credential.keyId,
            kind: credential.kind,
            displayName: credential.displayName,
            endDateTime: credential.endDateTime,
            daysRemaining: Math.round(days * 10) / 10,
            state: assessment.state,
            managed: ref !== undefined,
            vaultUrl: ref?.vaultUrl ?? null,
            secretName: ref?.secretName ?? null,
        });
    }

    build(meta: { pages: number; apps: number; paused: boolean }): Inventory {
        const credentials = [...this.#entries].sort((a, b) => a.endDateTime.localeCompare(b.endDateTime));
        return {
            generatedAt: this.now.toISOString(),
            apps: meta.apps,
            pages: meta.pages,
            paused: meta.paused,
            counts: { ...this.#counts },
            credentials,
            omitted: this.#omitted,
        };
    }
}
