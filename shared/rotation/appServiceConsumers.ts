import { discoverReferences, isThrottled } from '../appService/discovery';
import { type AppServicePort, type AppSettingReference } from '../appService/ports';
import {
    parseReference,
    parseSiteId,
    referencesSecret,
    siteLabel,
    type SiteRef,
    versionless,
} from '../appService/references';
import { errorCodeOf } from '../errors/RotatorError';
import { type Consumer, type ConsumersConfig } from './consumers';
import { type Finding } from './contracts';
import { type ConsumerRefresherPort, type RefreshOutcome, type RefreshRequest } from './ports';

type AppServiceConsumer = Extract<Consumer, { type: 'appService' }>;

const pinFix = (vaultUrl: string, secretName: string) =>
    `drop the version from the reference: @Microsoft.KeyVault(SecretUri=${new URL(vaultUrl).origin}/secrets/${secretName}/)` +
    ', or opt this secret into unpinOnRotate in the consumer configuration';

/**
 * Preflight for App Service consumers (declared, and discovered when discovery scopes are set): a reference to
 * the managed secret that pins a version is blocking — that app would keep the old secret after the rotation
 * (seed 000) — unless the operator opted the secret into unpinOnRotate. A site whose references cannot be read
 * is blocking too: a pin is then not ruled out. Throttling is rethrown, so the activity is retried later.
 */
export async function appServiceFindings(
    port: AppServicePort,
    config: ConsumersConfig,
    vaultUrl: string,
    secretName: string,
    discoveryScopes: readonly string[],
): Promise<Finding[]> {
    const findings: Finding[] = [];
    const unpin = config.unpinOnRotate(vaultUrl, secretName);
    const declared = config
        .consumersFor(vaultUrl, secretName)
        .filter((c): c is AppServiceConsumer => c.type === 'appService');
    const checked = new Set<string>();

    const judge = (site: SiteRef, refs: readonly AppSettingReference[], origin: string) => {
        const mine = refs.filter((r) => {
            const parsed = parseReference(r.reference);
            return parsed !== undefined && referencesSecret(parsed, vaultUrl, secretName);
        });
        for (const ref of mine) {
            const parsed = parseReference(ref.reference);
            if (!parsed) continue;
            const where = `${origin} App Service ${siteLabel(site)} setting ${ref.setting}`;
            if (parsed.secretVersion !== '') {
                findings.push(
                    unpin
                        ? {
                              severity: 'warning',
                              code: 'pinned_reference_unpin',
                              message: `${where} pins version ${parsed.secretVersion} of ${secretName}; after publish it will be rewritten to ${versionless(parsed, vaultUrl)} (unpinOnRotate)`,
                          }
                        : {
                              severity: 'error',
                              code: 'pinned_reference',
                              message: `${where} pins version ${parsed.secretVersion} of ${secretName}: it would keep using the old secret after rotation. Fix: ${pinFix(vaultUrl, secretName)}`,
                          },
                );
            } else if (ref.status !== 'Resolved') {
                findings.push({
                    severity: 'warning',
                    code: 'reference_unresolved',
                    message: `${where} does not resolve now (${ref.status}${ref.details ? `: ${ref.details}` : ''})`,
                });
            }
        }
        return mine.length;
    };

    for (const consumer of declared) {
        const site = parseSiteId(consumer.resourceId);
        if (!site) continue;
        checked.add(consumer.resourceId.toLowerCase());
        let refs: AppSettingReference[];
        try {
            refs = await port.listReferences(site);
        } catch (error) {
            if (isThrottled(error)) throw error;
            findings.push({
                severity: 'error',
                code: 'consumer_unreadable',
                message: `could not read the Key Vault references of App Service ${siteLabel(site)} (consumer ${consumer.name}, ${errorCodeOf(error)}): a version pin cannot be ruled out; give the rotator its App Service role on it or fix the resource id`,
            });
            continue;
        }
        if (judge(site, refs, `consumer ${consumer.name}:`) === 0) {
            findings.push({
                severity: 'warning',
                code: 'reference_missing',
                message: `consumer ${consumer.name}: App Service ${siteLabel(site)} has no Key Vault reference to ${secretName}`,
            });
        }
    }

    if (discoveryScopes.length > 0) {
        const discovery = await discoverReferences(port, discoveryScopes, { includeSlots: true });
        const bySite = new Map<string, { site: SiteRef; refs: AppSettingReference[] }>();
        for (const ref of discovery.references) {
            const id = siteKey(ref.site);
            if (checked.has(id)) continue;
            const entry = bySite.get(id) ?? { site: ref.site, refs: [] };
            entry.refs.push({
                setting: ref.setting,
                reference: rebuild(ref.parsed),
                status: ref.status,
                details: undefined,
                activeVersion: undefined,
            });
            bySite.set(id, entry);
        }
        for (const { site, refs } of bySite.values()) judge(site, refs, 'discovered:');
        for (const failure of discovery.failures) {
            findings.push({
                severity: 'error',
                code: 'discovery_incomplete',
                message: `App Service discovery could not read ${failure.where} (${failure.code}): a version pin there cannot be ruled out`,
            });
        }
    }
    return findings;
}

function siteKey(site: SiteRef): string {
    return `/subscriptions/${site.subscriptionId}/resourceGroups/${site.resourceGroup}/providers/Microsoft.Web/sites/${site.name}${site.slot ? `/slots/${site.slot}` : ''}`.toLowerCase();
}

function rebuild(parsed: NonNullable<ReturnType<typeof parseReference>>): string {
    return parsed.vaultHost !== undefined
        ? `@Microsoft.KeyVault(SecretUri=https://${parsed.vaultHost}/secrets/${parsed.secretName}/${parsed.secretVersion})`
        : `@Microsoft.KeyVault(VaultName=${parsed.vaultName};SecretName=${parsed.secretName}${parsed.secretVersion ? `;SecretVersion=${parsed.secretVersion}` : ''})`;
}

/**
 * Refresh and confirm for one App Service consumer, one poll per call: rewrite a pin when the operator opted in
 * (a configuration change, so App Service restarts the app and refetches), otherwise ask for the documented
 * re-resolution (no restart); then every reference to the secret must be Resolved and, where the service reports
 * the version, be the new one. Not yet: retryable (the orchestrator polls). A pin or a missing reference: final.
 */
export class AppServiceRefresher implements ConsumerRefresherPort {
    constructor(
        private readonly port: AppServicePort,
        private readonly config: ConsumersConfig,
    ) {}

    async refresh(consumer: Consumer, request: RefreshRequest): Promise<RefreshOutcome> {
        if (consumer.type !== 'appService') {
            return { ok: false, retryable: false, detail: `${consumer.type} is not an App Service consumer` };
        }
        const site = parseSiteId(consumer.resourceId);
        if (!site) return { ok: false, retryable: false, detail: 'invalid App Service resource id' };
        const label = siteLabel(site);
        try {
            const mine = (refs: readonly AppSettingReference[]) =>
                refs.filter((r) => {
                    const parsed = parseReference(r.reference);
                    return parsed !== undefined && referencesSecret(parsed, request.vaultUrl, request.secretName);
                });
            const before = mine(await this.port.listReferences(site));
            if (before.length === 0) {
                return {
                    ok: false,
                    retryable: false,
                    detail: `${label} has no Key Vault reference to ${request.secretName}`,
                };
            }
            const pinned = before.filter((r) => {
                const version = parseReference(r.reference)?.secretVersion ?? '';
                return version !== '' && version !== request.secretVersion;
            });
            const notes: string[] = [];
            let after: AppSettingReference[];
            if (pinned.length > 0) {
                if (!this.config.unpinOnRotate(request.vaultUrl, request.secretName)) {
                    const list = pinned
                        .map((r) => `${r.setting} → ${parseReference(r.reference)?.secretVersion}`)
                        .join(', ');
                    return {
                        ok: false,
                        retryable: false,
                        detail: `${label} pins an old version (${list}); it would keep the old secret. Fix: ${pinFix(request.vaultUrl, request.secretName)}`,
                    };
                }
                for (const ref of pinned) {
                    const parsed = parseReference(ref.reference);
                    if (!parsed) continue;
                    const result = await this.port.rewriteSetting(
                        site,
                        ref.setting,
                        ref.reference,
                        versionless(parsed, request.vaultUrl),
                    );
                    if (result === 'changed') {
                        return {
                            ok: false,
                            retryable: false,
                            detail: `${label} setting ${ref.setting} changed while being unpinned; left as is`,
                        };
                    }
                    notes.push(`unpinned ${ref.setting} (was version ${parsed.secretVersion}; unpinOnRotate)`);
                }
                after = mine(await this.port.listReferences(site));
            } else {
                after = mine(await this.port.refreshReferences(site));
                notes.push('references refreshed');
            }
            const waiting = after.filter((r) => r.status !== 'Resolved');
            if (waiting.length > 0) {
                const list = waiting.map((r) => `${r.setting}: ${r.status}`).join(', ');
                return { ok: false, retryable: true, detail: `${label} references not resolved yet (${list})` };
            }
            const stale = after.filter(
                (r) => r.activeVersion !== undefined && r.activeVersion !== request.secretVersion,
            );
            if (stale.length > 0) {
                const list = stale.map((r) => `${r.setting} → ${r.activeVersion}`).join(', ');
                return { ok: false, retryable: true, detail: `${label} still resolves an older version (${list})` };
            }
            const reported = after.every((r) => r.activeVersion === request.secretVersion);
            const settings = after.map((r) => r.setting).join(', ');
            const how = reported
                ? `resolve to version ${request.secretVersion}`
                : `resolve versionless after publish of ${request.secretVersion}, so to it (the service does not report the version)`;
            return { ok: true, detail: `${label} ${settings} ${how}; ${notes.join('; ')}` };
        } catch (error) {
            // Throttled or unavailable: poll again; anything else is final for this consumer.
            const code = errorCodeOf(error);
            const retryable = code === 'throttled' || code === 'unavailable';
            return { ok: false, retryable, detail: `${label}: Resource Manager call failed (${code})` };
        }
    }
}

/** Routes each consumer to its refresher by type. */
export class RoutingRefresher implements ConsumerRefresherPort {
    constructor(
        private readonly http: ConsumerRefresherPort,
        private readonly appService: ConsumerRefresherPort,
    ) {}

    refresh(consumer: Consumer, request: RefreshRequest): Promise<RefreshOutcome> {
        return consumer.type === 'appService'
            ? this.appService.refresh(consumer, request)
            : this.http.refresh(consumer, request);
    }
}
