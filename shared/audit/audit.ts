import { classifyCredential } from '../domain/classify';
import { type Credential } from '../domain/credential';
import { type RotationPolicy } from '../domain/policy';
import { type ApplicationScannerPort, type ManagedSecretIndexPort } from '../scan/ports';
import { credentialKey } from '../scan/scanTenant';

export interface AuditRow {
    readonly appDisplayName: string | null;
    readonly appId: string;
    readonly keyId: string;
    readonly kind: Credential['kind'];
    readonly endDateTime: string;
    readonly daysRemaining: number;
    readonly state: string;
    readonly managed: boolean;
    /** Inside the alert window (or expired). */
    readonly urgent: boolean;
}

export interface AuditResult {
    readonly apps: number;
    readonly credentials: number;
    /** Credentials inside the alert window or expired, soonest first. */
    readonly urgent: readonly AuditRow[];
    /** Everything else, soonest first (bounded by `listLimit`). */
    readonly others: readonly AuditRow[];
    /** Apps with at least one urgent credential and no managed rotation for it. */
    readonly unmanagedApps: readonly string[];
}

/**
 * The seed-000 "five-minute audit": every app credential by expiry, which ones are inside the alert window, and
 * which apps have no managed rotation. Streams the tenant; keeps only urgent rows plus a bounded list of the rest.
 */
export async function auditTenant(
    deps: { scanner: ApplicationScannerPort; managed: ManagedSecretIndexPort; vaultUrls: readonly string[] },
    options: {
        now: Date;
        policy: RotationPolicy;
        listLimit?: number;
        onProgress?: (apps: number, pages: number) => void;
    },
): Promise<AuditResult> {
    const managed = new Set(
        (await deps.managed.listManaged(deps.vaultUrls)).map((r) => credentialKey(r.appId, r.keyId)),
    );
    const window = Math.max(...options.policy.alertThresholdDays, options.policy.rotateBeforeDays);
    const urgent: AuditRow[] = [];
    let others: AuditRow[] = [];
    const limit = options.listLimit ?? 50;
    const unmanagedApps = new Set<string>();
    let apps = 0;
    let credentials = 0;
    let pages = 0;
    for await (const page of deps.scanner.pages()) {
        pages += 1;
        for (const app of page) {
            apps += 1;
            for (const credential of app.credentials) {
                credentials += 1;
                const assessment = classifyCredential(credential, options.now, options.policy);
                const isManaged = managed.has(credentialKey(credential.appId, credential.keyId));
                const row: AuditRow = {
                    appDisplayName: app.displayName,
                    appId: credential.appId,
                    keyId: credential.keyId,
                    kind: credential.kind,
                    endDateTime: credential.endDateTime,
                    daysRemaining: Math.round(assessment.daysRemaining * 10) / 10,
                    state: assessment.state,
                    managed: isManaged,
                    urgent: assessment.expired || assessment.daysRemaining <= window,
                };
                if (row.urgent) {
                    urgent.push(row);
                    if (!isManaged) unmanagedApps.add(app.displayName ?? app.appId);
                } else {
                    others.push(row);
                    // Keep memory bounded on large tenants: only the soonest `limit` healthy rows survive.
                    if (others.length > limit * 4) others = soonest(others).slice(0, limit);
                }
            }
        }
        options.onProgress?.(apps, pages);
    }
    return {
        apps,
        credentials,
        urgent: soonest(urgent),
        others: soonest(others).slice(0, limit),
        unmanagedApps: [...unmanagedApps].sort(),
    };
}

function soonest(rows: AuditRow[]): AuditRow[] {
    return rows.sort((a, b) => a.endDateTime.localeCompare(b.endDateTime));
}

/** A fixed-width table for terminals. */
export function formatAudit(result: AuditResult): string {
    const line = (r: AuditRow): string =>
        [
            r.urgent ? '!' : ' ',
            r.state.padEnd(17),
            `${r.daysRemaining.toFixed(1)} d`.padStart(9),
            r.endDateTime.slice(0, 10),
            r.kind.padEnd(11),
            (r.managed ? 'managed' : 'UNMANAGED').padEnd(9),
            `${r.appDisplayName ?? '(no name)'} (${r.appId})`,
            `key ${r.keyId.slice(0, 8)}`,
        ].join('  ');
    const parts = [
        `${result.apps} apps, ${result.credentials} credentials; ${result.urgent.length} inside the alert window or expired.`,
        '',
        ...result.urgent.map(line),
        ...(result.others.length > 0
            ? ['', `Next ${result.others.length} to expire:`, ...result.others.map(line)]
            : []),
    ];
    if (result.unmanagedApps.length > 0) {
        parts.push('', `Apps with urgent credentials and no managed rotation: ${result.unmanagedApps.join(', ')}`);
    }
    return parts.join('\n');
}
