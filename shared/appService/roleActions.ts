/**
 * The smallest set of Resource Manager actions the rotator needs for App Service consumers, assigned as custom
 * roles at the resource groups the operator chooses (infra/appServiceRole.bicep provisions them from these lists;
 * a unit test keeps both in step). Reading references never reveals a secret value: the value-reading action
 * (`config/list/action`) is only in the separate unpin role, for operators who opt a secret into unpinOnRotate.
 */
export const APP_SERVICE_REFERENCE_ACTIONS: readonly string[] = [
    // Discovery: list the sites (and slots) of a resource group.
    'Microsoft.Web/sites/read',
    'Microsoft.Web/sites/slots/read',
    // GET …/config/configreferences/appsettings: which settings reference which secret, pinned or not, resolved or not.
    'Microsoft.Web/sites/config/read',
    'Microsoft.Web/sites/slots/config/read',
    // POST …/config/configreferences/appsettings/refresh: the documented forced re-resolution (no restart).
    'Microsoft.Web/sites/config/write',
    'Microsoft.Web/sites/slots/config/write',
];

/** Added for unpinOnRotate only: rewriting one setting is a read-modify-write of all of them (values included). */
export const APP_SERVICE_UNPIN_ACTIONS: readonly string[] = [
    'Microsoft.Web/sites/config/list/action',
    'Microsoft.Web/sites/slots/config/list/action',
];

export const APP_SERVICE_REFERENCE_ROLE = 'Entra Credential Rotator - App Service references';
export const APP_SERVICE_UNPIN_ROLE = 'Entra Credential Rotator - App Service unpin';
