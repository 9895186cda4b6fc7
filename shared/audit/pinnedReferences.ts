import { discoverReferences } from '../appService/discovery';
import { type AppServicePort } from '../appService/ports';
import { siteId } from '../appService/references';

export interface PinnedReference {
    /** Site or slot resource id. */
    readonly site: string;
    readonly setting: string;
    readonly vaultName: string;
    readonly secretName: string;
    readonly secretVersion: string;
    readonly status: string;
}

export interface PinnedReferenceAudit {
    readonly scopes: readonly string[];
    readonly sites: number;
    readonly references: number;
    /** Every Key Vault reference that names a secret version, in any vault. */
    readonly pinned: readonly PinnedReference[];
    /** What could not be read: the list above is then incomplete, never "clean". */
    readonly failures: readonly { readonly where: string; readonly code: string }[];
    readonly armCalls: number;
}

/**
 * The App Service half of the seed-000 five-minute audit: every app setting in the given subscriptions or resource
 * groups (sites and slots) whose Key Vault reference pins a secret version. A pinned reference never follows a
 * rotation. Sites the identity cannot read are not listed by Resource Manager at all; scopes or sites that fail
 * are reported as failures.
 */
export async function auditPinnedReferences(
    port: AppServicePort,
    scopes: readonly string[],
): Promise<PinnedReferenceAudit> {
    const discovery = await discoverReferences(port, scopes, { includeSlots: true });
    const pinned = discovery.references
        .filter((r) => r.parsed.secretVersion !== '')
        .map((r) => ({
            site: siteId(r.site),
            setting: r.setting,
            vaultName: r.parsed.vaultName,
            secretName: r.parsed.secretName,
            secretVersion: r.parsed.secretVersion,
            status: r.status,
        }))
        .sort((a, b) => a.site.localeCompare(b.site) || a.setting.localeCompare(b.setting));
    return {
        scopes,
        sites: discovery.sites,
        references: discovery.references.length,
        pinned,
        failures: discovery.failures,
        armCalls: discovery.armCalls,
    };
}

export function formatPinnedAudit(result: PinnedReferenceAudit): string {
    const parts = [
        `${result.sites} App Service apps and slots, ${result.references} Key Vault references; ${result.pinned.length} pin a secret version.`,
    ];
    if (result.pinned.length > 0) {
        parts.push('', 'Version-pinned references (they keep the old secret after every rotation; drop the version):');
        for (const p of result.pinned) {
            parts.push(
                `  ! ${p.site}`,
                `      ${p.setting} → vault ${p.vaultName}, secret ${p.secretName}, version ${p.secretVersion} (${p.status})`,
            );
        }
    }
    if (result.failures.length > 0) {
        parts.push('', 'Could not read (the list above is incomplete):');
        for (const f of result.failures) parts.push(`  ? ${f.where} (${f.code})`);
    }
    parts.push('', `${result.armCalls} Resource Manager calls.`);
    return parts.join('\n');
}
