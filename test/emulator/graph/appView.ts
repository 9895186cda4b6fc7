import { keyView, passwordView } from '../entra/credentials';
import { type ApplicationRecord, type PasswordCredentialRecord } from '../entra/model';

/** Properties clients may set on create/PATCH; anything else is rejected like Graph's OData layer does. */
export const WRITABLE_APP_PROPERTIES = new Set([
    'displayName',
    'description',
    'notes',
    'tags',
    'identifierUris',
    'appRoles',
    'signInAudience',
    'api',
    'web',
    'spa',
    'publicClient',
    'requiredResourceAccess',
    'info',
    'isFallbackPublicClient',
    'serviceManagementReference',
    'keyCredentials',
    'optionalClaims',
    'groupMembershipClaims',
]);

const DEFAULTS: Record<string, unknown> = {
    applicationTemplateId: null,
    description: null,
    disabledByMicrosoftStatus: null,
    groupMembershipClaims: null,
    isDeviceOnlyAuthSupported: null,
    isFallbackPublicClient: null,
    notes: null,
    publisherDomain: 'emulator.onmicrosoft.com',
    serviceManagementReference: null,
    tags: [],
    tokenEncryptionKeyId: null,
    defaultRedirectUri: null,
    optionalClaims: null,
    api: {
        acceptMappedClaims: null,
        knownClientApplications: [],
        requestedAccessTokenVersion: null,
        oauth2PermissionScopes: [],
        preAuthorizedApplications: [],
    },
    info: { logoUrl: null, marketingUrl: null, privacyStatementUrl: null, supportUrl: null, termsOfServiceUrl: null },
    publicClient: { redirectUris: [] },
    requiredResourceAccess: [],
    web: {
        homePageUrl: null,
        logoutUrl: null,
        redirectUris: [],
        implicitGrantSettings: { enableAccessTokenIssuance: false, enableIdTokenIssuance: false },
    },
    spa: { redirectUris: [] },
};

export const APP_PROPERTIES: readonly string[] = [
    'id',
    'deletedDateTime',
    'appId',
    'createdDateTime',
    'displayName',
    'identifierUris',
    'signInAudience',
    'appRoles',
    'keyCredentials',
    'passwordCredentials',
    ...Object.keys(DEFAULTS),
];

/** The application resource as Graph returns it: secretText always null, `key` only when asked for (§1.1). */
export function applicationView(
    app: ApplicationRecord,
    options: { includeKeys?: boolean; isVisible?: (password: PasswordCredentialRecord) => boolean } = {},
): Record<string, unknown> {
    const visible = options.isVisible ?? (() => true);
    return {
        id: app.id,
        deletedDateTime: null,
        appId: app.appId,
        createdDateTime: app.createdDateTime,
        displayName: app.displayName,
        identifierUris: app.identifierUris,
        signInAudience: app.signInAudience,
        ...DEFAULTS,
        ...app.extra,
        appRoles: app.appRoles,
        keyCredentials: app.keyCredentials.map((key) => keyView(key, options.includeKeys === true)),
        passwordCredentials: app.passwordCredentials
            .filter((password) => visible(password))
            .map((password) => passwordView(password)),
    };
}
