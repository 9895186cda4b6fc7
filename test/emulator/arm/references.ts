/**
 * App Service's Key Vault reference syntax (app-service-key-vault-references, "Source app settings from Key
 * Vault"): `@Microsoft.KeyVault(SecretUri=https://<vault>/secrets/<name>[/<version>])` or
 * `@Microsoft.KeyVault(VaultName=<vault>;SecretName=<name>[;SecretVersion=<version>])`.
 */
export interface ParsedReference {
    /** The vault's host as written (SecretUri form) or its name (VaultName form). */
    readonly vaultHost: string | undefined;
    readonly vaultName: string;
    readonly secretName: string;
    /** Empty when the reference follows the latest version. */
    readonly secretVersion: string;
}

const WRAPPER = /^@Microsoft\.KeyVault\((.*)\)$/i;

export function isKeyVaultReference(value: string): boolean {
    return WRAPPER.test(value.trim());
}

export function parseReference(value: string): ParsedReference | undefined {
    const inner = WRAPPER.exec(value.trim())?.[1];
    if (inner === undefined) return undefined;
    const parts = new Map<string, string>();
    for (const part of inner.split(';')) {
        const at = part.indexOf('=');
        if (at <= 0) continue;
        parts.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
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
            vaultHost: url.host.toLowerCase(),
            vaultName: url.hostname.split('.')[0] ?? '',
            secretName: segments[1],
            secretVersion: segments[2] ?? '',
        };
    }
    const vaultName = parts.get('vaultname');
    const secretName = parts.get('secretname');
    if (!vaultName || !secretName) return undefined;
    return { vaultHost: undefined, vaultName, secretName, secretVersion: parts.get('secretversion') ?? '' };
}
