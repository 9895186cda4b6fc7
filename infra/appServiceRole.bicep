// Least privilege for App Service consumers (optional): a custom role with exactly the Resource Manager actions the
// rotator uses on sites and slots, assigned to the rotator identity on the resource groups the operator chooses.
// Deploy once per subscription that holds consumers, e.g.
//   az deployment sub create -l <region> -f infra/appServiceRole.bicep \
//     -p principalId=<rotator identity principal id> resourceGroupNames='["rg-agents"]'
// The action lists match shared/appService/roleActions.ts (a unit test compares the compiled template with it).
targetScope = 'subscription'

@description('Principal (object) id of the rotator\'s managed identity.')
param principalId string

@description('Resource groups (in this subscription) whose App Service apps are consumers or are searched by discovery.')
@minLength(1)
param resourceGroupNames string[]

@description('Also grant rewriting a pinned reference (unpinOnRotate). It adds the action that reads every app setting value.')
param allowUnpin bool = false

// Read the Key Vault references (never a value) and ask App Service to re-resolve them (no restart).
var referenceActions = [
  'Microsoft.Web/sites/read'
  'Microsoft.Web/sites/slots/read'
  'Microsoft.Web/sites/config/read'
  'Microsoft.Web/sites/slots/config/read'
  'Microsoft.Web/sites/config/write'
  'Microsoft.Web/sites/slots/config/write'
]

// unpinOnRotate only: rewriting one setting is a read-modify-write of the whole settings dictionary.
var unpinActions = [
  'Microsoft.Web/sites/config/list/action'
  'Microsoft.Web/sites/slots/config/list/action'
]

var scopes = [for name in resourceGroupNames: '${subscription().id}/resourceGroups/${name}']

resource referenceRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, 'entra-credential-rotator', 'app-service-references')
  properties: {
    // Custom role names are unique in the directory: the subscription id keeps one per subscription apart.
    roleName: 'Entra Credential Rotator - App Service references (${subscription().subscriptionId})'
    description: 'Reads App Service Key Vault reference status and forces re-resolution after a rotation.'
    type: 'CustomRole'
    permissions: [
      {
        actions: referenceActions
        notActions: []
      }
    ]
    assignableScopes: scopes
  }
}

resource unpinRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (allowUnpin) {
  name: guid(subscription().id, 'entra-credential-rotator', 'app-service-unpin')
  properties: {
    roleName: 'Entra Credential Rotator - App Service unpin (${subscription().subscriptionId})'
    description: 'Reads app settings so the rotator can rewrite a version-pinned Key Vault reference (unpinOnRotate).'
    type: 'CustomRole'
    permissions: [
      {
        actions: unpinActions
        notActions: []
      }
    ]
    assignableScopes: scopes
  }
}

module referenceAssignments 'app/appServiceRoleAssignment.bicep' = [
  for name in resourceGroupNames: {
    name: 'rotator-app-service-${uniqueString(name)}'
    scope: resourceGroup(name)
    params: {
      principalId: principalId
      roleDefinitionId: referenceRole.id
    }
  }
]

module unpinAssignments 'app/appServiceRoleAssignment.bicep' = [
  for name in (allowUnpin ? resourceGroupNames : []): {
    name: 'rotator-app-service-unpin-${uniqueString(name)}'
    scope: resourceGroup(name)
    params: {
      principalId: principalId
      roleDefinitionId: unpinRole.id
    }
  }
]

output referenceRoleId string = referenceRole.id
