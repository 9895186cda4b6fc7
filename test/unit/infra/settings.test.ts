import { describe, expect, it } from 'vitest';
import { SENSITIVE_SETTINGS, SETTING_NAMES } from '../../../shared/config/schema';
import { checkSettings, keyVaultReferences, referenceProblem, type SettingsCheckInput } from './bicepSettings';
import { readRepoFile, repoFilesUnder } from './repoFiles';

const sample = (values: Record<string, string>) => ({
    path: 'local.settings.sample.json',
    text: JSON.stringify({ IsEncrypted: false, Values: values }),
});
const bicep = (text: string) => ({ path: 'infra/app/settings.bicep', text });

/** A consistent two-setting world, mutated by each negative test. */
function input(overrides: Partial<SettingsCheckInput> = {}): SettingsCheckInput {
    return {
        settingNames: ['KEY_VAULT_URL', 'SIGNING_KEY'],
        sensitiveSettings: new Set(['SIGNING_KEY']),
        bicepFiles: [
            bicep(
                [
                    'output appSettings object = {',
                    '  KEY_VAULT_URL: keyVault.outputs.uri',
                    "  SIGNING_KEY: '@Microsoft.KeyVault(VaultName=${vault};SecretName=signing-key)'",
                    '}',
                ].join('\n'),
            ),
        ],
        sampleSettings: sample({ KEY_VAULT_URL: 'https://x.vault.azure.net', SIGNING_KEY: '' }),
        ...overrides,
    };
}

describe('infra settings match the configuration schema', () => {
    it('the Bicep sets, and the sample lists, every setting; no Key Vault reference pins a version', () => {
        const problems = checkSettings({
            settingNames: SETTING_NAMES,
            sensitiveSettings: SENSITIVE_SETTINGS,
            bicepFiles: repoFilesUnder('infra', '.bicep'),
            sampleSettings: readRepoFile('local.settings.sample.json'),
            settingsOnlyFiles: ['infra/app/rotatorSettings.bicep'],
        });
        expect(problems).toEqual([]);
    });

    it('the deployed settings reference the webhook signing key through Key Vault', () => {
        const refs = repoFilesUnder('infra', '.bicep').flatMap((f) => keyVaultReferences(f.text));
        expect(refs.length).toBeGreaterThan(0);
        expect(refs.map(referenceProblem)).toEqual(refs.map(() => undefined));
    });
});

describe('settings checker (negative cases)', () => {
    it('accepts the consistent in-memory world', () => {
        expect(checkSettings(input())).toEqual([]);
    });

    it('reports a setting missing from the Bicep, even when a comment mentions it', () => {
        const problems = checkSettings(input({ bicepFiles: [bicep("// KEY_VAULT_URL: 'x'\n  SIGNING_KEY: ''\n")] }));
        expect(problems).toEqual(['KEY_VAULT_URL: not set by any Bicep file']);
    });

    it('reports a setting missing from local.settings.sample.json', () => {
        const problems = checkSettings(input({ sampleSettings: sample({ SIGNING_KEY: '' }) }));
        expect(problems).toEqual(['KEY_VAULT_URL: missing from local.settings.sample.json']);
    });

    it('reports a setting the schema does not declare, in a settings-only file', () => {
        const text = "  KEY_VAULT_URL: uri\n  KEYVAULT_URI: uri\n  SIGNING_KEY: ''\n  name: 'x'\n";
        const problems = checkSettings(
            input({ bicepFiles: [bicep(text)], settingsOnlyFiles: ['infra/app/settings.bicep'] }),
        );
        expect(problems).toEqual([
            'KEYVAULT_URI: infra/app/settings.bicep:2 sets a setting the configuration schema does not declare',
        ]);
    });

    it('reports a SecretUri that pins a version', () => {
        const pinned =
            "  SIGNING_KEY: '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/signing-key/0123abcd)'";
        const problems = checkSettings(input({ bicepFiles: [bicep(`  KEY_VAULT_URL: uri\n${pinned}\n`)] }));
        expect(problems).toHaveLength(1);
        expect(problems[0]).toContain('pins a version (SecretUri has a version segment)');
    });

    it('reports SecretVersion=, also in the sample settings', () => {
        const ref = '@Microsoft.KeyVault(VaultName=kv;SecretName=signing-key;SecretVersion=0123abcd)';
        const problems = checkSettings(input({ sampleSettings: sample({ KEY_VAULT_URL: 'u', SIGNING_KEY: ref }) }));
        expect(problems).toEqual([
            `local.settings.sample.json: Key Vault reference pins a version (SecretVersion=): ${ref}`,
        ]);
    });

    it('reports a secret set to a literal value in the Bicep or the sample', () => {
        const problems = checkSettings(
            input({
                bicepFiles: [bicep("  KEY_VAULT_URL: uri\n  SIGNING_KEY: 'not-a-reference-0123456789'\n")],
                sampleSettings: sample({ KEY_VAULT_URL: 'u', SIGNING_KEY: 'hunter2-hunter2-hunter2' }),
            }),
        );
        expect(problems).toEqual([
            "SIGNING_KEY: infra/app/settings.bicep:2 must be '' or a Key Vault reference, not a literal value",
            'SIGNING_KEY: local.settings.sample.json must not hold a secret value',
        ]);
    });
});

describe('Key Vault reference parsing', () => {
    it('reads through interpolations that contain parentheses', () => {
        const text =
            "x: '@Microsoft.KeyVault(SecretUri=https://${name}${environment().suffixes.keyvaultDns}/secrets/k/)'";
        expect(keyVaultReferences(text)).toEqual(['SecretUri=https://{x}{x}/secrets/k/']);
    });

    it.each([
        ['SecretUri=https://kv.vault.azure.net/secrets/name', undefined],
        ['SecretUri=https://kv.vault.azure.net/secrets/name/', undefined],
        ['SecretUri={x}secrets/{x}', undefined],
        ['VaultName=kv;SecretName=name', undefined],
        ['SecretUri=https://kv.vault.azure.net/secrets/name/{x}', 'pins a version (SecretUri has a version segment)'],
        ['secreturi=https://kv.vault.azure.net/SECRETS/name/abc', 'pins a version (SecretUri has a version segment)'],
        ['VaultName=kv;SecretName=name;SecretVersion=', 'pins a version (SecretVersion=)'],
        ['SecretUri=https://kv.vault.azure.net/keys/name', 'has a SecretUri without /secrets/<name>'],
        ['VaultName=kv', 'is malformed (needs SecretUri, or VaultName and SecretName)'],
    ])('%s -> %s', (body, expected) => {
        expect(referenceProblem(body)).toBe(expected);
    });
});
