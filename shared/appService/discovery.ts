import { errorCodeOf, isRotatorError } from '../errors/RotatorError';
import { type AppServicePort, type AppSettingReference } from './ports';
import { parseReference, type ParsedReference, type SiteRef } from './references';

export interface DiscoveredReference {
    readonly site: SiteRef;
    readonly setting: string;
    readonly status: string;
    readonly parsed: ParsedReference;
}

export interface Discovery {
    readonly sites: number;
    readonly references: readonly DiscoveredReference[];
    /** Scopes or sites that could not be read: the answer is incomplete ("not proven"), never "none". */
    readonly failures: readonly { readonly where: string; readonly code: string }[];
    /** Resource Manager calls made (one list per scope page, one reference list per site or slot). */
    readonly armCalls: number;
}

/**
 * Bounded discovery: every site (and slot) in the given scopes and its Key Vault references. Costs one list call
 * per scope (plus one per page of 100+ sites, and one slot list per site when slots are included) and one
 * reference read per site or slot. Throttling is rethrown so the caller waits; other failures are collected.
 */
export async function discoverReferences(
    port: AppServicePort,
    scopes: readonly string[],
    options: { readonly includeSlots?: boolean; readonly concurrency?: number } = {},
): Promise<Discovery> {
    const references: DiscoveredReference[] = [];
    const failures: { where: string; code: string }[] = [];
    const sites: SiteRef[] = [];
    let armCalls = 0;
    for (const scope of scopes) {
        try {
            armCalls += 1;
            sites.push(...(await port.listSites(scope, { includeSlots: options.includeSlots === true })));
        } catch (error) {
            if (isThrottled(error)) throw error;
            failures.push({ where: scope, code: errorCodeOf(error) });
        }
    }
    if (options.includeSlots) armCalls += sites.filter((s) => s.slot === undefined).length;
    const queue = [...sites];
    const worker = async () => {
        for (let site = queue.shift(); site !== undefined; site = queue.shift()) {
            armCalls += 1;
            let found: AppSettingReference[];
            try {
                found = await port.listReferences(site);
            } catch (error) {
                if (isThrottled(error)) throw error;
                failures.push({ where: siteWhere(site), code: errorCodeOf(error) });
                continue;
            }
            for (const ref of found) {
                const parsed = parseReference(ref.reference);
                if (parsed) references.push({ site, setting: ref.setting, status: ref.status, parsed });
            }
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
    return { sites: sites.length, references, failures, armCalls };
}

function siteWhere(site: SiteRef): string {
    return `/subscriptions/${site.subscriptionId}/resourceGroups/${site.resourceGroup}/providers/Microsoft.Web/sites/${site.name}${site.slot ? `/slots/${site.slot}` : ''}`;
}

export function isThrottled(error: unknown): boolean {
    return isRotatorError(error) && error.code === 'throttled';
}
