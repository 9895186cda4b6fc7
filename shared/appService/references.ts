/**
 * App Service Key Vault references, as the platform writes them (app-service-key-vault-references, "Source app
 * settings from Key Vault"): `@Microsoft.KeyVault(SecretUri=https://<vault>/secrets/<name>[/<version>])` or
 * `@Microsoft.KeyVault(VaultName=<vault>;SecretName=<name>[;SecretVersion=<version>])`. Pure functions only.
 */
export interface ParsedReference {
    readonly form: 'SecretUri' | 'VaultName';
    /** `host[:port]` of the SecretUri form; undefined for the VaultName form. */
    readonly vaultHost: string | undefined;
    /** The first DNS label of the vault host, or the VaultName. */
    readonly vaultName: string;
    readonly secretName: string;
    /** Empty when the reference follows the latest version. */
    readonly secretVersion: string;
}

const WRAPPER = /^@Microsoft\.KeyVault\((.*)\)$/i;

export function parseReference(value: string): ParsedReference | undefined {
    const inner = WRAPPER.exec(value.trim())?.[1];
    if (inner === undefined) return undefined;
    const parts = new Map<string, string>();
    for (const part of inner.split(';')) {
        const at = part.indexOf('=');
        if (at > 0) parts.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
    }
    const uri = parts.get('secreturi');
    if (uri !== undefined) {
        let url: URL;
        try {
            url = new URL(uri);
        } catch {
            return undefined;
        }
        const segments = url.pathname.split('/').filter((s) => s.length > 0);
        if (segments[0]?.toLowerCase() !== 'secrets' || segments[1] === undefined || segments.length > 3) {
            return undefined;
        }
        return {
            form: 'SecretUri',
            vaultHost: url.host.toLowerCase(),
            vaultName: (url.hostname.split('.')[0] ?? '').toLowerCase(),
            secretName: segments[1],
            secretVersion: segments[2] ?? '',
        };
    }
    const vaultName = parts.get('vaultname');
    const secretName = parts.get('secretname');
    if (!vaultName || !secretName) return undefined;
    return {
        form: 'VaultName',
        vaultHost: undefined,
        vaultName: vaultName.toLowerCase(),
        secretName,
        secretVersion: parts.get('secretversion') ?? '',
    };
}

/** Whether a reference names this vault's secret (any version). Names compare case-insensitively, like Key Vault. */
export function referencesSecret(reference: ParsedReference, vaultUrl: string, secretName: string): boolean {
    const vault = new URL(vaultUrl);
    if (reference.secretName.toLowerCase() !== secretName.toLowerCase()) return false;
    return reference.vaultHost !== undefined
        ? reference.vaultHost === vault.host.toLowerCase()
        : reference.vaultName === (vault.hostname.split('.')[0] ?? '').toLowerCase();
}

/** The same reference without its version, in the form it was written (the fix for a pin). */
export function versionless(reference: ParsedReference, vaultUrl: string): string {
    if (reference.form === 'SecretUri') {
        return `@Microsoft.KeyVault(SecretUri=${new URL(vaultUrl).origin}/secrets/${reference.secretName}/)`;
    }
    return `@Microsoft.KeyVault(VaultName=${reference.vaultName};SecretName=${reference.secretName})`;
}

/** `/subscriptions/{id}/resourceGroups/{rg}/providers/Microsoft.Web/sites/{name}[/slots/{slot}]`. */
export interface SiteRef {
    readonly subscriptionId: string;
    readonly resourceGroup: string;
    readonly name: string;
    readonly slot: string | undefined;
}

export const SITE_ID =
    /^\/subscriptions\/([0-9a-fA-F-]{36})\/resourceGroups\/([-\w._()]{1,90})\/providers\/Microsoft\.Web\/sites\/([A-Za-z0-9-]{2,60})(?:\/slots\/([A-Za-z0-9-]{1,59}))?$/i;

export function parseSiteId(resourceId: string): SiteRef | undefined {
    const match = SITE_ID.exec(resourceId.trim());
    if (!match) return undefined;
    const [, subscriptionId = '', resourceGroup = '', name = '', slot] = match;
    return { subscriptionId, resourceGroup, name, slot };
}

export function siteLabel(site: SiteRef): string {
    return `${site.name}${site.slot ? `/slots/${site.slot}` : ''} (resource group ${site.resourceGroup})`;
}

export function siteId(site: SiteRef): string {
    return (
        `/subscriptions/${site.subscriptionId}/resourceGroups/${site.resourceGroup}/providers/Microsoft.Web/sites/${site.name}` +
        (site.slot ? `/slots/${site.slot}` : '')
    );
}
