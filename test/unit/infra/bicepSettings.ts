import { bicepProperties, type SourceFile } from './bicepText';

/**
 * Checks that the deployed app settings match the configuration schema: every setting is set by the Bicep and
 * listed in local.settings.sample.json, secrets reach Azure only as versionless Key Vault references, and no Key
 * Vault reference anywhere pins a version (a pinned reference never picks up a rotated secret).
 * Returns human-readable problems; an empty list means the infra is consistent.
 */
export interface SettingsCheckInput {
    readonly settingNames: readonly string[];
    readonly sensitiveSettings: ReadonlySet<string>;
    readonly bicepFiles: readonly SourceFile[];
    readonly sampleSettings: SourceFile;
    /** Files whose upper-case keys are all app settings: a key there that the schema lacks is a typo or stale. */
    readonly settingsOnlyFiles?: readonly string[];
}

const SETTING_KEY = /^[A-Z][A-Z0-9_]*$/;

const KEY_VAULT_REFERENCE = '@microsoft.keyvault(';

export function checkSettings(input: SettingsCheckInput): string[] {
    const problems: string[] = [];
    const bicep = input.bicepFiles.flatMap((file) =>
        bicepProperties(file.text).map((p) => ({ ...p, path: file.path })),
    );
    const sample = sampleValues(input.sampleSettings);

    for (const name of input.settingNames) {
        const assignments = bicep.filter((p) => p.key === name);
        if (assignments.length === 0) problems.push(`${name}: not set by any Bicep file`);
        if (!(name in sample)) problems.push(`${name}: missing from ${input.sampleSettings.path}`);
        if (!input.sensitiveSettings.has(name)) continue;
        for (const p of assignments) {
            if (!isEmptyOrReference(p.value)) {
                problems.push(`${name}: ${p.path}:${p.line} must be '' or a Key Vault reference, not a literal value`);
            }
        }
        const sampleValue = sample[name];
        if (typeof sampleValue === 'string' && sampleValue !== '' && !isReference(sampleValue)) {
            problems.push(`${name}: ${input.sampleSettings.path} must not hold a secret value`);
        }
    }

    const known = new Set(input.settingNames);
    for (const p of bicep.filter((b) => input.settingsOnlyFiles?.includes(b.path))) {
        if (SETTING_KEY.test(p.key) && !known.has(p.key)) {
            problems.push(`${p.key}: ${p.path}:${p.line} sets a setting the configuration schema does not declare`);
        }
    }

    for (const file of [...input.bicepFiles, input.sampleSettings]) {
        for (const reference of keyVaultReferences(file.text)) {
            const problem = referenceProblem(reference);
            if (problem)
                problems.push(`${file.path}: Key Vault reference ${problem}: @Microsoft.KeyVault(${reference})`);
        }
    }
    return problems;
}

function sampleValues(file: SourceFile): Record<string, unknown> {
    const parsed = JSON.parse(file.text) as { Values?: Record<string, unknown> };
    if (typeof parsed.Values !== 'object' || parsed.Values === null) throw new Error(`${file.path}: no Values`);
    return parsed.Values;
}

/** A Bicep value expression `''` or a string literal that is a Key Vault reference. */
function isEmptyOrReference(value: string): boolean {
    return value === "''" || (value.startsWith("'") && isReference(value.slice(1)));
}

function isReference(value: string): boolean {
    return value.toLowerCase().startsWith(KEY_VAULT_REFERENCE);
}

/**
 * The inside of every `@Microsoft.KeyVault(...)` in a text, with each `${...}` interpolation replaced by `{x}`
 * (interpolations may contain parentheses, e.g. `${environment().suffixes.keyvaultDns}`).
 */
export function keyVaultReferences(text: string): string[] {
    const found: string[] = [];
    const lower = text.toLowerCase();
    let at = lower.indexOf(KEY_VAULT_REFERENCE);
    while (at !== -1) {
        let body = '';
        let depth = 0;
        for (let i = at + KEY_VAULT_REFERENCE.length; i < text.length; i += 1) {
            const ch = text[i]!;
            if (depth === 0 && text.startsWith('${', i)) {
                depth = 1;
                body += '{x}';
                i += 1;
            } else if (depth > 0) {
                if (ch === '{') depth += 1;
                else if (ch === '}') depth -= 1;
            } else if (ch === ')' || ch === "'" || ch === '"' || ch === '\n') {
                break;
            } else {
                body += ch;
            }
        }
        found.push(body);
        at = lower.indexOf(KEY_VAULT_REFERENCE, at + 1);
    }
    return found;
}

/** Why a reference body is unacceptable, or undefined when it is a well-formed versionless reference. */
export function referenceProblem(body: string): string | undefined {
    const parts = new Map<string, string>();
    for (const part of body.split(';')) {
        const eq = part.indexOf('=');
        if (eq > 0) parts.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
    }
    if (parts.has('secretversion')) return 'pins a version (SecretVersion=)';
    const uri = parts.get('secreturi');
    if (uri !== undefined) {
        const m = /secrets\/([^/?#]+)(?:\/([^/?#]*))?/i.exec(uri);
        if (!m) return 'has a SecretUri without /secrets/<name>';
        if (m[2]) return 'pins a version (SecretUri has a version segment)';
        return undefined;
    }
    if (parts.get('vaultname') && parts.get('secretname')) return undefined;
    return 'is malformed (needs SecretUri, or VaultName and SecretName)';
}
