import { type SiteRef } from './references';

/** One Key Vault reference of an app setting, as `GET …/config/configreferences/appsettings` reports it. */
export interface AppSettingReference {
    readonly setting: string;
    readonly reference: string;
    /** ResolveStatus: `Resolved`, `SecretNotFound`, `SecretVersionNotFound`, `AccessToKeyVaultDenied`, … */
    readonly status: string;
    readonly details: string | undefined;
    /** The resolved version when the service reports it (observed `null` for versionless references). */
    readonly activeVersion: string | undefined;
}

/** Azure Resource Manager for App Service sites and slots (reads, the reference refresh, one setting rewrite). */
export interface AppServicePort {
    /** Sites (and their slots) in a `/subscriptions/{id}[/resourceGroups/{rg}]` scope, every page. */
    listSites(scope: string, options?: { readonly includeSlots?: boolean }): Promise<SiteRef[]>;
    listReferences(site: SiteRef): Promise<AppSettingReference[]>;
    /** The documented forced re-resolution; answers the references as resolved now. No restart. */
    refreshReferences(site: SiteRef): Promise<AppSettingReference[]>;
    /**
     * Replaces one app setting's value (read-modify-write of the whole settings dictionary, which is how the
     * API works). A configuration change: App Service restarts the app and refetches every reference.
     */
    rewriteSetting(
        site: SiteRef,
        setting: string,
        expected: string,
        replacement: string,
    ): Promise<'rewritten' | 'changed'>;
}
