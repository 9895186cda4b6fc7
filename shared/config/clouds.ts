import clouds from './clouds.json';

/**
 * Public endpoints of each Azure cloud. The Bicep loads the same JSON (infra/app/rotatorSettings.bicep), so the
 * deployed settings and the app's defaults cannot disagree. Bicep's environment().graph is the retired Azure AD
 * Graph, which is why Microsoft Graph hosts live here.
 */
export type CloudName = keyof typeof clouds;

export interface CloudEndpoints {
    /** Entra sign-in host (authority) for token requests and the JWKS. */
    readonly authorityHost: string;
    /** Microsoft Graph host; its `/.default` scope is what the rotator asks tokens for. */
    readonly graph: string;
    /** Key Vault resource; its `/.default` scope. */
    readonly keyVault: string;
    /** Azure Resource Manager endpoint; also its token audience (`/.default` scope). */
    readonly resourceManager: string;
    /** Host in the `iss` of v1.0 access tokens (`https://sts.windows.net/{tid}/` in the public cloud). */
    readonly issuerV1Host: string;
    /** Host in the `iss` of v2.0 access tokens (`https://login.microsoftonline.com/{tid}/v2.0`). */
    readonly issuerV2Host: string;
}

export const CLOUD_NAMES = Object.keys(clouds) as [CloudName, ...CloudName[]];

export function cloudEndpoints(name: CloudName): CloudEndpoints {
    return clouds[name];
}
