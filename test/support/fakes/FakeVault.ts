import { normalizeVaultUrl } from '../../../shared/rotation/markers';
import { type SecretStorePort, type SecretWrite, type StoredSecretProperties } from '../../../shared/rotation/ports';
import { fingerprintOf } from '../../../shared/security/fingerprint';
import { Secret } from '../../../shared/security/Secret';
import { FailureSwitch, settle } from './failures';
import { fakeHex } from './ids';

export type VaultMethod = 'getLatest' | 'getLatestProperties' | 'getDeletedProperties' | 'setSecret' | 'deleteSecret';

export interface VaultCall {
    readonly method: VaultMethod;
    readonly vaultUrl: string;
    readonly name: string;
}

interface Version {
    readonly properties: StoredSecretProperties;
    readonly value: Secret;
}

/**
 * In-memory Key Vault secrets. Reads return the latest version only (as the port promises). Delete is
 * simplified to delete + purge: the name is free again at once, and the versions go to `purged`.
 */
export class FakeVault implements SecretStorePort {
    readonly calls: VaultCall[] = [];
    readonly failures = new FailureSwitch<VaultMethod>();
    readonly #secrets = new Map<string, Version[]>();
    readonly #purged: string[] = [];
    #versions = 0;

    /** Writes a version directly (the state before a test starts). */
    seed(
        vaultUrl: string,
        name: string,
        value: Secret | string,
        options: { tags?: Record<string, string>; enabled?: boolean; expiresOn?: string } = {},
    ): StoredSecretProperties {
        return this.#write(vaultUrl, name, typeof value === 'string' ? new Secret(value) : value, {
            tags: options.tags ?? {},
            contentType: 'text/plain',
            expiresOn: options.expiresOn,
            enabled: options.enabled ?? true,
        });
    }

    /** Latest properties plus the fingerprint of the value (never the value), for assertions. */
    peek(
        vaultUrl: string,
        name: string,
    ): (StoredSecretProperties & { readonly fingerprint: string; readonly versions: number }) | undefined {
        const versions = this.#secrets.get(key(vaultUrl, name));
        const latest = versions?.at(-1);
        if (!versions || !latest) return undefined;
        return { ...latest.properties, fingerprint: fingerprintOf(latest.value), versions: versions.length };
    }

    /** Names (as keys `vault|name`) deleted so far, in order. */
    purgedNames(): readonly string[] {
        return [...this.#purged];
    }

    writes(): VaultCall[] {
        return this.calls.filter((c) => c.method === 'setSecret' || c.method === 'deleteSecret');
    }

    getLatest(
        vaultUrl: string,
        name: string,
    ): Promise<{ properties: StoredSecretProperties; value: Secret } | undefined> {
        this.calls.push({ method: 'getLatest', vaultUrl, name });
        return settle(() => {
            this.failures.check('getLatest');
            const latest = this.#secrets.get(key(vaultUrl, name))?.at(-1);
            return latest ? { properties: copy(latest.properties), value: latest.value } : undefined;
        });
    }

    /** Soft-deleted secrets' properties by `vault|name` (what Key Vault would recover under that name). */
    readonly #deleted = new Map<string, StoredSecretProperties>();

    /** A secret somebody deleted (soft delete, not purged) under `name`. */
    seedDeleted(vaultUrl: string, name: string, tags: Record<string, string>): void {
        this.#deleted.set(key(vaultUrl, name), {
            name,
            version: 'deleted',
            enabled: true,
            tags: { ...tags },
            contentType: 'text/plain',
            expiresOn: undefined,
        });
    }

    getDeletedProperties(vaultUrl: string, name: string): Promise<StoredSecretProperties | undefined> {
        this.calls.push({ method: 'getDeletedProperties', vaultUrl, name });
        return settle(() => {
            const deleted = this.#deleted.get(key(vaultUrl, name));
            return deleted ? copy(deleted) : undefined;
        });
    }

    getLatestProperties(vaultUrl: string, name: string): Promise<StoredSecretProperties | undefined> {
        this.calls.push({ method: 'getLatestProperties', vaultUrl, name });
        return settle(() => {
            this.failures.check('getLatestProperties');
            const latest = this.#secrets.get(key(vaultUrl, name))?.at(-1);
            return latest ? copy(latest.properties) : undefined;
        });
    }

    setSecret(vaultUrl: string, name: string, value: Secret, write: SecretWrite): Promise<StoredSecretProperties> {
        this.calls.push({ method: 'setSecret', vaultUrl, name });
        return settle(() => {
            this.failures.check('setSecret');
            return this.#write(vaultUrl, name, value, { ...write, enabled: true });
        });
    }

    deleteSecret(vaultUrl: string, name: string): Promise<void> {
        this.calls.push({ method: 'deleteSecret', vaultUrl, name });
        return settle(() => {
            this.failures.check('deleteSecret');
            const k = key(vaultUrl, name);
            if (this.#secrets.delete(k)) this.#purged.push(k);
        });
    }

    #write(
        vaultUrl: string,
        name: string,
        value: Secret,
        write: SecretWrite & { enabled: boolean },
    ): StoredSecretProperties {
        if (!(value instanceof Secret)) throw new TypeError('FakeVault stores Secret values only');
        this.#versions += 1;
        const properties: StoredSecretProperties = {
            name,
            version: fakeHex(this.#versions),
            enabled: write.enabled,
            tags: { ...write.tags },
            contentType: write.contentType,
            expiresOn: write.expiresOn,
        };
        const k = key(vaultUrl, name);
        this.#secrets.set(k, [...(this.#secrets.get(k) ?? []), { properties, value }]);
        return copy(properties);
    }
}

/** Vault hosts and secret names are case-insensitive in Key Vault. */
function key(vaultUrl: string, name: string): string {
    return `${normalizeVaultUrl(vaultUrl)}|${name.toLowerCase()}`;
}

function copy(properties: StoredSecretProperties): StoredSecretProperties {
    return { ...properties, tags: { ...properties.tags } };
}
