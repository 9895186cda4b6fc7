import { randomBytes } from 'node:crypto';

import {
    currentVersion,
    defaultVaultProfile,
    type DeletedSecretRecord,
    type VaultProfile,
    type SecretRecord,
    type SecretVersionRecord,
} from './model';

export interface SecretInput {
    readonly value: string;
    readonly contentType?: string;
    readonly tags?: Record<string, string>;
    readonly enabled?: boolean;
    readonly nbf?: number;
    readonly exp?: number;
}

export interface SecretPatch {
    readonly contentType?: string;
    readonly tags?: Record<string, string>;
    readonly enabled?: boolean;
    /** `null` clears the attribute. */
    readonly nbf?: number | null;
    readonly exp?: number | null;
}

export interface StoreSnapshot {
    readonly live: SecretRecord[];
    readonly deleted: DeletedSecretRecord[];
}

/** Version ids are 32 lower-case hex characters, like the real ones (§4.1). */
const newVersionId = (): string => randomBytes(16).toString('hex');

/** A soft-delete operation the service is still finishing (wall-clock ms). */
export type PendingPhase = 'deleting' | 'recovering' | 'purging';

/** One vault's secrets. Names are case-insensitive; the stored name keeps its first spelling. */
export class SecretStore {
    readonly #live = new Map<string, SecretRecord>();
    readonly #deleted = new Map<string, DeletedSecretRecord>();
    readonly #pending = new Map<string, { phase: PendingPhase; untilMs: number }>();
    profile: VaultProfile = defaultVaultProfile();

    constructor(private readonly wallNow: () => number = Date.now) {}

    /** The operation still in progress on this name, if any (service latency, see `VaultProfile`). */
    phase(name: string): PendingPhase | undefined {
        const key = name.toLowerCase();
        const pending = this.#pending.get(key);
        if (pending === undefined) return undefined;
        if (this.wallNow() >= pending.untilMs) {
            this.#pending.delete(key);
            return undefined;
        }
        return pending.phase;
    }

    #begin(name: string, phase: PendingPhase, latencyMs: number): void {
        if (latencyMs > 0) this.#pending.set(name.toLowerCase(), { phase, untilMs: this.wallNow() + latencyMs });
        else this.#pending.delete(name.toLowerCase());
    }

    find(name: string): SecretRecord | undefined {
        return this.#live.get(name.toLowerCase());
    }

    findDeleted(name: string): DeletedSecretRecord | undefined {
        return this.#deleted.get(name.toLowerCase());
    }

    findVersion(name: string, version: string): SecretVersionRecord | undefined {
        return this.find(name)?.versions.find((v) => v.version === version.toLowerCase());
    }

    /** Adds a version (creating the secret if needed). The caller has checked the deleted state. */
    set(name: string, input: SecretInput, now: number): { secret: SecretRecord; version: SecretVersionRecord } {
        const key = name.toLowerCase();
        const secret = this.#live.get(key) ?? { name, versions: [] };
        const version: SecretVersionRecord = {
            version: newVersionId(),
            value: input.value,
            enabled: input.enabled ?? true,
            created: now,
            updated: now,
        };
        if (input.contentType !== undefined) version.contentType = input.contentType;
        if (input.tags !== undefined) version.tags = { ...input.tags };
        if (input.nbf !== undefined) version.nbf = input.nbf;
        if (input.exp !== undefined) version.exp = input.exp;
        secret.versions.push(version);
        this.#live.set(key, secret);
        return { secret, version };
    }

    update(version: SecretVersionRecord, patch: SecretPatch, now: number): void {
        if (patch.contentType !== undefined) version.contentType = patch.contentType;
        if (patch.tags !== undefined) version.tags = { ...patch.tags };
        if (patch.enabled !== undefined) version.enabled = patch.enabled;
        if (patch.nbf === null) delete version.nbf;
        else if (patch.nbf !== undefined) version.nbf = patch.nbf;
        if (patch.exp === null) delete version.exp;
        else if (patch.exp !== undefined) version.exp = patch.exp;
        version.updated = now;
    }

    /** Soft delete: all versions move to the deleted state, recoverable for the vault's retention. */
    delete(name: string, now: number): DeletedSecretRecord | undefined {
        const key = name.toLowerCase();
        const secret = this.#live.get(key);
        if (secret === undefined) return undefined;
        const deleted = {
            secret,
            deletedDate: now,
            scheduledPurgeDate: now + this.profile.recoverableDays * 86_400,
        };
        this.#live.delete(key);
        this.#deleted.set(key, deleted);
        this.#begin(name, 'deleting', this.profile.deleteLatencyMs);
        return deleted;
    }

    recover(name: string): SecretRecord | undefined {
        const key = name.toLowerCase();
        const deleted = this.#deleted.get(key);
        if (deleted === undefined) return undefined;
        this.#deleted.delete(key);
        this.#live.set(key, deleted.secret);
        this.#begin(name, 'recovering', this.profile.recoverLatencyMs);
        return deleted.secret;
    }

    purge(name: string): boolean {
        if (!this.#deleted.delete(name.toLowerCase())) return false;
        this.#begin(name, 'purging', this.profile.purgeLatencyMs);
        return true;
    }

    /** The service purges deleted secrets once their scheduled purge date passes. */
    purgeDue(now: number): string[] {
        const purged: string[] = [];
        for (const [key, deleted] of this.#deleted) {
            if (deleted.scheduledPurgeDate <= now) {
                this.#deleted.delete(key);
                purged.push(deleted.secret.name);
            }
        }
        return purged;
    }

    /** Live secrets in a stable order (by name), so paging is consistent between pages. */
    listLive(): SecretRecord[] {
        return [...this.#live.values()].sort((a, b) => compareNames(a.name, b.name));
    }

    listDeleted(): DeletedSecretRecord[] {
        return [...this.#deleted.values()]
            .filter((d) => this.phase(d.secret.name) !== 'deleting')
            .sort((a, b) => compareNames(a.secret.name, b.secret.name));
    }

    current(name: string): SecretVersionRecord | undefined {
        const secret = this.find(name);
        return secret === undefined ? undefined : currentVersion(secret);
    }

    clear(): void {
        this.#live.clear();
        this.#deleted.clear();
        this.#pending.clear();
    }

    snapshot(): StoreSnapshot {
        return { live: [...this.#live.values()], deleted: [...this.#deleted.values()] };
    }

    restore(data: StoreSnapshot): void {
        this.clear();
        for (const secret of data.live) this.#live.set(secret.name.toLowerCase(), secret);
        for (const deleted of data.deleted) this.#deleted.set(deleted.secret.name.toLowerCase(), deleted);
    }
}

function compareNames(a: string, b: string): number {
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
}
