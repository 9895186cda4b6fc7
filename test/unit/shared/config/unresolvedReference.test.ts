import { describe, expect, it } from 'vitest';

import { loadConfig } from '../../../../shared/config/loadConfig';
import { isRotatorError } from '../../../../shared/errors/RotatorError';

const base = {
    ENTRA_TENANT_ID: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    KEY_VAULT_URL: 'https://kv-rotator.vault.azure.net',
    EVENT_GRID_TOPIC_ENDPOINT: 'https://topic.westeurope-1.eventgrid.azure.net/api/events',
    OPERATOR_API_AUDIENCE: 'api://entra-credential-rotator',
};

describe('loadConfig: App Service Key Vault references', () => {
    it('refuses an unresolved reference in a sensitive setting and names only the setting', () => {
        const reference =
            '@Microsoft.KeyVault(SecretUri=https://kv-rotator.vault.azure.net/secrets/webhook-signing-key)';
        let caught: unknown;
        try {
            loadConfig({ ...base, CONSUMER_WEBHOOK_SIGNING_KEY: reference });
        } catch (error) {
            caught = error;
        }
        expect(isRotatorError(caught)).toBe(true);
        const message = (caught as Error).message;
        expect(message).toContain('CONSUMER_WEBHOOK_SIGNING_KEY');
        expect(message).not.toContain('webhook-signing-key)');
    });

    it('accepts a resolved value', () => {
        const config = loadConfig({ ...base, CONSUMER_WEBHOOK_SIGNING_KEY: 'a-long-enough-signing-key-value' });
        expect(config.consumers.webhookSigningKey?.reveal()).toBe('a-long-enough-signing-key-value');
    });

    it('refuses CLOCK_SOURCE_URL outside local sandboxes', () => {
        expect(() => loadConfig({ ...base, CLOCK_SOURCE_URL: 'https://localhost:8443/_emulator/clock' })).toThrow(
            /CLOCK_SOURCE_URL/,
        );
    });
});
