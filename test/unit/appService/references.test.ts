import { describe, expect, it } from 'vitest';

import { parseReference, parseSiteId, referencesSecret, versionless } from '../../../shared/appService/references';
import { parseConsumersConfig } from '../../../shared/rotation/consumers';

const VAULT = 'https://kv-ghent.vault.azure.net';
const SITE =
    '/subscriptions/5f1c6a3e-0d2b-4c8e-9a71-3b6e2d4f8c10/resourceGroups/rg-agents/providers/Microsoft.Web/sites/teams-agent';

describe('Key Vault reference syntax', () => {
    it.each([
        [`@Microsoft.KeyVault(SecretUri=${VAULT}/secrets/graph-client-secret/9c4fe2a1)`, '9c4fe2a1'],
        [`@Microsoft.KeyVault(SecretUri=${VAULT}/secrets/graph-client-secret/)`, ''],
        [`@Microsoft.KeyVault(SecretUri=${VAULT}/secrets/graph-client-secret)`, ''],
        ['@Microsoft.KeyVault(VaultName=kv-ghent;SecretName=graph-client-secret;SecretVersion=9c4fe2a1)', '9c4fe2a1'],
        ['@Microsoft.KeyVault(VaultName=KV-Ghent;SecretName=GRAPH-client-secret)', ''],
    ])('%s pins %j and names the managed secret', (text, version) => {
        const parsed = parseReference(text);
        expect(parsed?.secretVersion).toBe(version);
        expect(referencesSecret(parsed!, VAULT, 'graph-client-secret')).toBe(true);
        expect(referencesSecret(parsed!, 'https://kv-other.vault.azure.net', 'graph-client-secret')).toBe(false);
        expect(referencesSecret(parsed!, VAULT, 'other-secret')).toBe(false);
    });

    it('the fix keeps the form the operator wrote', () => {
        expect(versionless(parseReference(`@Microsoft.KeyVault(SecretUri=${VAULT}/secrets/s/v1)`)!, VAULT)).toBe(
            `@Microsoft.KeyVault(SecretUri=${VAULT}/secrets/s/)`,
        );
        expect(
            versionless(
                parseReference('@Microsoft.KeyVault(VaultName=kv-ghent;SecretName=s;SecretVersion=v1)')!,
                VAULT,
            ),
        ).toBe('@Microsoft.KeyVault(VaultName=kv-ghent;SecretName=s)');
    });

    it.each([
        'plain value',
        '@Microsoft.KeyVault(SecretUri=not a url)',
        '@Microsoft.KeyVault(SecretUri=https://x/keys/a)',
        '@Microsoft.KeyVault(VaultName=x)',
    ])('is not a reference: %s', (text) => expect(parseReference(text)).toBeUndefined());

    it('site and slot resource ids', () => {
        expect(parseSiteId(SITE)).toMatchObject({ resourceGroup: 'rg-agents', name: 'teams-agent', slot: undefined });
        expect(parseSiteId(`${SITE}/slots/staging`)?.slot).toBe('staging');
        expect(parseSiteId(`${SITE}/config/appsettings`)).toBeUndefined();
    });
});

describe('consumer configuration: appService', () => {
    const entry = (refresh: object[], extra: object = {}) => ({
        consumers: [{ vaultUrl: VAULT, secretName: 'graph-client-secret', refresh, ...extra }],
    });

    it('takes a site or slot by resource id; unpinOnRotate is off unless set', () => {
        const config = parseConsumersConfig(entry([{ name: 'teams', type: 'appService', resourceId: SITE }]));
        expect(config.consumersFor(VAULT, 'graph-client-secret')[0]).toMatchObject({
            type: 'appService',
            onFailure: 'abort',
            maxWaitSeconds: 600,
            intervalSeconds: 30,
        });
        expect(config.unpinOnRotate(VAULT, 'graph-client-secret')).toBe(false);
        const opted = parseConsumersConfig(entry([], { unpinOnRotate: true }));
        expect(opted.unpinOnRotate(`${VAULT}/`, 'GRAPH-CLIENT-SECRET')).toBe(true);
    });

    it('refuses a resource id that is not a site or slot, naming the entry', () => {
        expect(() =>
            parseConsumersConfig(entry([{ name: 'teams', type: 'appService', resourceId: `${SITE}/config/web` }])),
        ).toThrow(
            /consumers\[0\] \(graph-client-secret\)\.refresh\.0\.resourceId: must be an App Service site or slot resource id/,
        );
    });
});
