import { WebSiteManagementClient, type ApiKVReference } from '@azure/arm-appservice';
import { createWebSiteManagement, type WebSiteManagementContext } from '@azure/arm-appservice/api';
import { type TokenCredential } from '@azure/identity';

import { type AppServicePort, type AppSettingReference } from '../appService/ports';
import { parseSiteId, type SiteRef } from '../appService/references';
import { fromUpstreamError } from './upstreamError';

/** The App Service api-version this adapter speaks (the SDK's default; the refresh call uses it too). */
export const APP_SERVICE_API_VERSION = '2025-05-01';

export interface ArmAppServiceOptions {
    readonly endpoint: string;
    /** `<audience>/.default` of the cloud's Resource Manager. */
    readonly scope: string;
    /** Pipeline policies for tests (e.g. trusting a local CA); never set in production. */
    readonly additionalPolicies?: NonNullable<
        ConstructorParameters<typeof WebSiteManagementClient>[2]
    >['additionalPolicies'];
}

/**
 * App Service through the official ARM client (`@azure/arm-appservice`), one client per subscription. The
 * refresh of Key Vault references is documented but not in the SDK's operation list, so it goes through the
 * same SDK's REST context (same pipeline: token, retries, Retry-After on 429). Errors map to the taxonomy; a
 * 429 that outlasts the SDK's retries is retryable, never a verdict.
 */
export class ArmAppService implements AppServicePort {
    readonly #clients = new Map<string, WebSiteManagementClient>();
    readonly #contexts = new Map<string, WebSiteManagementContext>();

    constructor(
        private readonly credential: TokenCredential,
        private readonly options: ArmAppServiceOptions,
    ) {}

    private clientOptions() {
        return {
            endpoint: this.options.endpoint,
            credentials: { scopes: [this.options.scope] },
            ...(this.options.additionalPolicies ? { additionalPolicies: this.options.additionalPolicies } : {}),
        };
    }

    private client(subscriptionId: string): WebSiteManagementClient {
        let client = this.#clients.get(subscriptionId);
        if (!client) {
            client = new WebSiteManagementClient(this.credential, subscriptionId, this.clientOptions());
            this.#clients.set(subscriptionId, client);
        }
        return client;
    }

    private context(subscriptionId: string): WebSiteManagementContext {
        let context = this.#contexts.get(subscriptionId);
        if (!context) {
            context = createWebSiteManagement(this.credential, subscriptionId, this.clientOptions());
            this.#contexts.set(subscriptionId, context);
        }
        return context;
    }

    async listSites(scope: string, options: { includeSlots?: boolean } = {}): Promise<SiteRef[]> {
        const match = /^\/subscriptions\/([^/]+)(?:\/resourceGroups\/([^/]+))?$/i.exec(scope);
        if (!match?.[1]) throw fromUpstreamError('resourceManager', 'list sites', new Error(`bad scope ${scope}`));
        const [, subscriptionId, resourceGroup] = match;
        const apps = this.client(subscriptionId).webApps;
        const sites: SiteRef[] = [];
        try {
            const pages = resourceGroup ? apps.listByResourceGroup(resourceGroup) : apps.list();
            for await (const site of pages) {
                const ref = site.id ? parseSiteId(site.id) : undefined;
                if (!ref) continue;
                sites.push(ref);
                if (options.includeSlots) {
                    for await (const slot of apps.listSlots(ref.resourceGroup, ref.name)) {
                        const slotRef = slot.id ? parseSiteId(slot.id) : undefined;
                        if (slotRef) sites.push(slotRef);
                    }
                }
            }
        } catch (error) {
            throw fromUpstreamError('resourceManager', 'list sites', error);
        }
        return sites;
    }

    async listReferences(site: SiteRef): Promise<AppSettingReference[]> {
        const apps = this.client(site.subscriptionId).webApps;
        const out: AppSettingReference[] = [];
        try {
            const pages = site.slot
                ? apps.listAppSettingsKeyVaultReferencesSlot(site.resourceGroup, site.name, site.slot)
                : apps.listAppSettingsKeyVaultReferences(site.resourceGroup, site.name);
            for await (const item of pages) out.push(toReference(item));
        } catch (error) {
            throw fromUpstreamError('resourceManager', 'list config references', error);
        }
        return out;
    }

    async refreshReferences(site: SiteRef): Promise<AppSettingReference[]> {
        const path =
            '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Web/sites/{name}' +
            (site.slot ? '/slots/{slot}' : '') +
            '/config/configreferences/appsettings/refresh';
        const args = [site.subscriptionId, site.resourceGroup, site.name, ...(site.slot ? [site.slot] : [])];
        // The REST context's `path` is typed loosely; this is the one route used through it.
        const context = this.context(site.subscriptionId) as unknown as {
            path(
                path: string,
                ...args: string[]
            ): {
                post(options: { queryParameters: Record<string, string> }): Promise<{ status: string; body: unknown }>;
            };
        };
        let response: { status: string; body: unknown };
        try {
            response = await context
                .path(path, ...args)
                .post({ queryParameters: { 'api-version': APP_SERVICE_API_VERSION } });
        } catch (error) {
            throw fromUpstreamError('resourceManager', 'refresh config references', error);
        }
        const status = Number(response.status);
        if (status !== 200) {
            const body = response.body as { error?: { code?: unknown } } | undefined;
            const code = typeof body?.error?.code === 'string' ? body.error.code : undefined;
            throw fromUpstreamError('resourceManager', 'refresh config references', { statusCode: status, code });
        }
        const value = (response.body as { value?: unknown[] } | undefined)?.value ?? [];
        return value.map((raw) => {
            const item = raw as { name?: string; properties?: Record<string, unknown> };
            const p = item.properties ?? {};
            return toReference({
                name: item.name,
                reference: str(p['reference']),
                status: str(p['status']) as ApiKVReference['status'],
                details: str(p['details']),
                activeVersion: str(p['activeVersion']),
            });
        });
    }

    async rewriteSetting(
        site: SiteRef,
        setting: string,
        expected: string,
        replacement: string,
    ): Promise<'rewritten' | 'changed'> {
        const apps = this.client(site.subscriptionId).webApps;
        try {
            const current = site.slot
                ? await apps.listApplicationSettingsSlot(site.resourceGroup, site.name, site.slot)
                : await apps.listApplicationSettings(site.resourceGroup, site.name);
            const properties = { ...(current.properties ?? {}) };
            if (properties[setting] === replacement) return 'rewritten';
            // Someone changed it since we looked: do not overwrite their edit.
            if (properties[setting] !== expected) return 'changed';
            properties[setting] = replacement;
            if (site.slot) {
                await apps.updateApplicationSettingsSlot(site.resourceGroup, site.name, site.slot, { properties });
            } else {
                await apps.updateApplicationSettings(site.resourceGroup, site.name, { properties });
            }
            return 'rewritten';
        } catch (error) {
            throw fromUpstreamError('resourceManager', 'rewrite app setting', error);
        }
    }
}

function str(value: unknown): string | undefined {
    return typeof value === 'string' ? value : undefined;
}

function toReference(
    item: Pick<ApiKVReference, 'name' | 'reference' | 'status' | 'details' | 'activeVersion'>,
): AppSettingReference {
    return {
        setting: item.name ?? '',
        reference: item.reference ?? '',
        status: item.status ?? 'Unknown',
        details: item.details ?? undefined,
        activeVersion: item.activeVersion ?? undefined,
    };
}
