import { isKeyVaultReference, parseReference } from './references';

/** The outcome of resolving one reference, as App Service reports it (ResolveStatus of the 2025-05-01 API). */
export interface Resolution {
    status:
        | 'Initialized'
        | 'Resolved'
        | 'InvalidSyntax'
        | 'MSINotEnabled'
        | 'VaultNotFound'
        | 'SecretNotFound'
        | 'SecretVersionNotFound'
        | 'AccessToKeyVaultDenied';
    details: string;
    /** The version the app holds now (internal; reported only when `reportActiveVersion` is on). */
    version: string | null;
}

export interface SlotState {
    appSettings: Record<string, string>;
    resolved: Record<string, Resolution>;
    /** Emulator-clock ms of the last resolution (App Service refetches every 24 h). */
    resolvedAtMs: number;
    restarts: number;
    refreshes: number;
    identity: 'SystemAssigned' | 'None';
}

export interface SiteState {
    subscriptionId: string;
    resourceGroup: string;
    name: string;
    location: string;
    kind: string;
    production: SlotState;
    slots: Record<string, SlotState>;
}

/** What the emulator's Key Vault holds (the only vault references can resolve against). */
export interface VaultLookup {
    readonly host: string;
    readonly name: string;
    latest(secretName: string): string | undefined;
    hasVersion(secretName: string, version: string): boolean;
}

export const CACHE_MS = 24 * 3600 * 1000;

/** Fetches every Key Vault reference of a slot now (a config change, restart, refresh, or the 24 h refetch). */
export function resolveAll(slot: SlotState, vault: VaultLookup, nowMs: number): void {
    const resolved: Record<string, Resolution> = {};
    for (const [name, value] of Object.entries(slot.appSettings)) {
        if (!isKeyVaultReference(value)) continue;
        resolved[name] = resolveOne(value, slot, vault);
    }
    slot.resolved = resolved;
    slot.resolvedAtMs = nowMs;
}

function resolveOne(value: string, slot: SlotState, vault: VaultLookup): Resolution {
    const parsed = parseReference(value);
    if (!parsed) return { status: 'InvalidSyntax', details: 'Key Vault reference syntax is invalid.', version: null };
    if (slot.identity === 'None') {
        return {
            status: 'MSINotEnabled',
            details: 'The app has no managed identity to reach the vault.',
            version: null,
        };
    }
    const sameVault =
        parsed.vaultHost !== undefined
            ? parsed.vaultHost === vault.host
            : parsed.vaultName.toLowerCase() === vault.name;
    if (!sameVault) return { status: 'VaultNotFound', details: 'Unable to resolve the vault.', version: null };
    const latest = vault.latest(parsed.secretName);
    if (latest === undefined) return { status: 'SecretNotFound', details: 'Secret not found.', version: null };
    if (parsed.secretVersion !== '') {
        return vault.hasVersion(parsed.secretName, parsed.secretVersion)
            ? {
                  status: 'Resolved',
                  details: 'Reference has been successfully resolved.',
                  version: parsed.secretVersion,
              }
            : { status: 'SecretVersionNotFound', details: 'Secret version not found.', version: null };
    }
    return { status: 'Resolved', details: 'Reference has been successfully resolved.', version: latest };
}

export function newSlot(appSettings: Record<string, string>, identity: SlotState['identity']): SlotState {
    return { appSettings: { ...appSettings }, resolved: {}, resolvedAtMs: 0, restarts: 0, refreshes: 0, identity };
}
