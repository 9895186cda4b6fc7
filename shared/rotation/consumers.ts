import { z } from 'zod';

import { inputError } from '../errors/RotatorError';
import { SITE_ID } from '../appService/references';
import { isValidSecretName, normalizeVaultUrl } from './markers';

/**
 * Consumer refresh configuration: which consumers to tell about a new secret version, in order.
 *
 * ```json
 * { "consumers": [
 *   { "vaultUrl": "https://kv.vault.azure.net", "secretName": "graph-client-secret",
 *     "refresh": [
 *       { "name": "worker", "type": "webhook", "url": "https://worker.example/refresh", "onFailure": "abort" },
 *       { "name": "worker-health", "type": "probe", "url": "https://worker.example/health", "onFailure": "abort" }
 *     ] } ] }
 * ```
 * A `webhook` gets a signed POST naming the secret and its new fingerprint (never the value); a `probe` is a
 * health URL that reports `{"secretFingerprint":"…"}` and counts as refreshed once it shows the new one; an
 * `appService` is an App Service or Functions app (optionally a slot) by resource id whose app settings hold Key
 * Vault references to the secret: preflight refuses a version pin, refresh forces the references to re-resolve,
 * and it counts as switched once every reference to the secret resolves. `unpinOnRotate` (per secret, off by
 * default) lets the rotator rewrite a pinned reference to the versionless form instead of refusing.
 */
const url = z.url({ protocol: /^https?$/ });

const base = {
    name: z
        .string()
        .min(1)
        .max(64)
        .regex(/^[A-Za-z0-9._-]+$/),
    onFailure: z.enum(['abort', 'continue']).default('abort'),
};

export const ConsumerSchema = z.discriminatedUnion('type', [
    z.object({
        ...base,
        type: z.literal('webhook'),
        url,
        timeoutSeconds: z.number().int().min(1).max(120).default(30),
        /**
         * This consumer's own HMAC key: the name of a secret in the rotator's vault (KEY_VAULT_URL) holding it.
         * Without it the shared CONSUMER_WEBHOOK_SIGNING_KEY signs, and every consumer holding that key could
         * forge requests to the others.
         */
        signingKeySecretName: z.string().refine(isValidSecretName, 'not a valid Key Vault secret name').optional(),
    }),
    z.object({
        ...base,
        type: z.literal('probe'),
        url,
        /** How long to keep polling for the new fingerprint before declaring failure. */
        maxWaitSeconds: z.number().int().min(1).max(86_400).default(600),
        intervalSeconds: z.number().int().min(1).max(3_600).default(15),
    }),
    z.object({
        ...base,
        type: z.literal('appService'),
        /** `/subscriptions/{id}/resourceGroups/{rg}/providers/Microsoft.Web/sites/{name}[/slots/{slot}]`. */
        resourceId: z.string().regex(SITE_ID, 'must be an App Service site or slot resource id'),
        /** How long to keep polling the references for a clean resolution before declaring failure. */
        maxWaitSeconds: z.number().int().min(1).max(86_400).default(600),
        intervalSeconds: z.number().int().min(1).max(3_600).default(30),
    }),
]);

export type Consumer = z.output<typeof ConsumerSchema>;

const EntrySchema = z.object({
    vaultUrl: z.url({ protocol: /^https$/ }),
    secretName: z.string().refine(isValidSecretName, 'not a valid Key Vault secret name'),
    refresh: z.array(ConsumerSchema).max(20),
    unpinOnRotate: z.boolean().default(false),
});

export const ConsumersConfigSchema = z.object({ consumers: z.array(EntrySchema) }).strict();

export interface ConsumersConfig {
    /** Consumers for a managed secret, in refresh order; empty when none are declared. */
    consumersFor(vaultUrl: string, secretName: string): readonly Consumer[];
    /** The operator let the rotator rewrite version-pinned App Service references to this secret. */
    unpinOnRotate(vaultUrl: string, secretName: string): boolean;
    readonly entries: number;
}

/** Validates the whole document; errors name the entry (index and secret), never a URL's credentials. */
export function parseConsumersConfig(document: unknown): ConsumersConfig {
    const parsed = ConsumersConfigSchema.safeParse(document);
    if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) => `${describePath(document, issue.path)}: ${issue.message}`);
        throw inputError(`invalid consumer configuration: ${problems.join('; ')}`);
    }
    const map = new Map<string, Consumer[]>();
    const unpin = new Set<string>();
    for (const [index, entry] of parsed.data.consumers.entries()) {
        const key = keyOf(entry.vaultUrl, entry.secretName);
        if (map.has(key))
            throw inputError(`invalid consumer configuration: consumers[${index}] duplicates ${entry.secretName}`);
        const names = new Set<string>();
        for (const consumer of entry.refresh) {
            if (names.has(consumer.name)) {
                throw inputError(
                    `invalid consumer configuration: consumers[${index}] (${entry.secretName}) repeats consumer ${consumer.name}`,
                );
            }
            names.add(consumer.name);
        }
        map.set(key, entry.refresh);
        if (entry.unpinOnRotate) unpin.add(key);
    }
    return {
        consumersFor: (vaultUrl, secretName) => map.get(keyOf(vaultUrl, secretName)) ?? [],
        unpinOnRotate: (vaultUrl, secretName) => unpin.has(keyOf(vaultUrl, secretName)),
        entries: map.size,
    };
}

export const EMPTY_CONSUMERS: ConsumersConfig = { consumersFor: () => [], unpinOnRotate: () => false, entries: 0 };

function keyOf(vaultUrl: string, secretName: string): string {
    return `${normalizeVaultUrl(vaultUrl)}|${secretName.toLowerCase()}`;
}

function describePath(document: unknown, path: readonly PropertyKey[]): string {
    const [top, index, ...rest] = path;
    if (top !== 'consumers' || typeof index !== 'number') return path.map(String).join('.') || '(document)';
    const entries = (document as { consumers?: { secretName?: unknown }[] }).consumers;
    const secret = entries?.[index]?.secretName;
    const label = typeof secret === 'string' ? ` (${secret})` : '';
    return `consumers[${index}]${label}${rest.length > 0 ? `.${rest.map(String).join('.')}` : ''}`;
}
