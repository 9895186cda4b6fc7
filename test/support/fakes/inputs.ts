import { addDays } from '../../../shared/domain/time';
import { type CreateInput, type PreflightInput } from '../../../shared/rotation/contracts';
import { APP_ID, APP_OBJECT_ID, ROTATION_ID, SECRET_NAME, START, VAULT_URL } from './world';

/** Activity inputs as the orchestrator builds them for the default world. */
export function preflightInput(overrides: Partial<PreflightInput> = {}): PreflightInput {
    return {
        vaultUrl: VAULT_URL,
        secretName: SECRET_NAME,
        rotationId: ROTATION_ID,
        dryRun: false,
        asOf: START,
        ...overrides,
    };
}

export function createInput(overrides: Partial<CreateInput> = {}): CreateInput {
    return {
        rotationId: ROTATION_ID,
        vaultUrl: VAULT_URL,
        secretName: SECRET_NAME,
        appId: APP_ID,
        appObjectId: APP_OBJECT_ID,
        startDateTime: START,
        endDateTime: addDays(new Date(START), 180).toISOString(),
        ...overrides,
    };
}

/** The orchestration input a starter would send. */
export function rotationInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return { vaultUrl: VAULT_URL, secretName: SECRET_NAME, rotationId: ROTATION_ID, trigger: 'timer', ...overrides };
}

/** Every secret text the world issued, found anywhere in `haystack`. */
export function leakedSecrets(secretTexts: readonly string[], haystack: unknown): string[] {
    const text = typeof haystack === 'string' ? haystack : JSON.stringify(haystack);
    return secretTexts.filter((s) => text.includes(s));
}
