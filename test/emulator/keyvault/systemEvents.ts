import { randomUUID } from 'node:crypto';

import { currentVersion, type EmittedMarks, type SecretRecord, type SecretVersionRecord } from './model';
import { vaultName, vaultResourceId } from './vault';
import { secretId } from './wire';

export type SecretEventType =
    | 'Microsoft.KeyVault.SecretNewVersionCreated'
    | 'Microsoft.KeyVault.SecretNearExpiry'
    | 'Microsoft.KeyVault.SecretExpired';

/** "The event is triggered 30 days before the expiration date" (api-fidelity §5.1). */
export const NEAR_EXPIRY_SECONDS = 30 * 86_400;

/**
 * A Key Vault system-topic event in EventGrid schema (§5.2): `topic` is the vault's ARM id (the SDK's
 * deserializer requires it), `subject` the secret name, and `data` keeps Key Vault's PascalCase keys.
 */
export function secretEvent(
    type: SecretEventType,
    origin: string,
    secret: SecretRecord,
    version: SecretVersionRecord,
    now: Date,
): Record<string, unknown> {
    return {
        id: randomUUID(),
        topic: vaultResourceId(origin),
        subject: secret.name,
        eventType: type,
        eventTime: now.toISOString(),
        data: {
            Id: secretId(origin, secret.name, version.version),
            VaultName: vaultName(origin),
            ObjectType: 'Secret',
            ObjectName: secret.name,
            Version: version.version,
            NBF: version.nbf ?? null,
            EXP: version.exp ?? null,
        },
        dataVersion: '1',
        metadataVersion: '1',
    };
}

export interface DueEvent {
    readonly type: SecretEventType;
    readonly secret: SecretRecord;
    readonly version: SecretVersionRecord;
}

/**
 * The expiry events due at `nowSeconds`, scanning like the service does: only the current version of each
 * secret counts, only while enabled, and each event fires once per version (`marks` records what fired).
 * A clock jump past both thresholds raises NearExpiry and then Expired, as two successive scans would.
 */
export function dueExpiryEvents(secrets: readonly SecretRecord[], marks: EmittedMarks, nowSeconds: number): DueEvent[] {
    const due: DueEvent[] = [];
    for (const secret of secrets) {
        const version = currentVersion(secret);
        if (!version.enabled || version.exp === undefined) continue;
        if (nowSeconds >= version.exp - NEAR_EXPIRY_SECONDS && !marks.nearExpiry.includes(version.version)) {
            marks.nearExpiry.push(version.version);
            due.push({ type: 'Microsoft.KeyVault.SecretNearExpiry', secret, version });
        }
        if (nowSeconds >= version.exp && !marks.expired.includes(version.version)) {
            marks.expired.push(version.version);
            due.push({ type: 'Microsoft.KeyVault.SecretExpired', secret, version });
        }
    }
    return due;
}
