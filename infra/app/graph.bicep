// Microsoft Graph objects, declared with the Microsoft Graph Bicep extension:
//  - application permissions for the rotator identity (least privilege: OwnedBy, never Application.ReadWrite.All);
//  - the operator API app registration exposing the Rotation.Read / Rotation.Write app roles.
// The deployer needs Application.ReadWrite.All and AppRoleAssignment.ReadWrite.All (delegated). Without them set
// deployGraphResources=false and have an admin run infra/scripts/grant-graph-permissions.sh instead.

// The public registry alias (br/public) resolves to the same registry as the AVM modules.
extension 'br/public:extensions/microsoftgraph/v1.0:1.0.0'

@description('Principal (object) id of the rotator\'s user-assigned identity.')
param rotatorPrincipalId string

@description('Immutable unique name of the operator API app registration in the tenant.')
param operatorApiUniqueName string

@description('Identifier URI of the operator API; tokens for it carry this audience.')
param operatorApiIdentifierUri string

// Well-known ids of Microsoft Graph application permissions (the same in every tenant; Graph permissions
// reference). Fixed ids avoid a lambda over the Graph service principal's appRoles inside a resource loop.
var graphAppRoles = [
  {
    // addPassword/removePassword only on apps whose owners include the identity.
    name: 'Application.ReadWrite.OwnedBy'
    id: '18a4783c-866b-4cc7-a460-3d5e5662c884'
  }
  {
    // Sign-in logs: proves an old secret is unused before it is removed.
    name: 'AuditLog.Read.All'
    id: 'b0afded3-3588-46d8-8b3d-9842eff778da'
  }
]

var operatorRoles = [
  {
    value: 'Rotation.Read'
    displayName: 'Read rotations'
    description: 'List credentials, rotations and their evidence.'
  }
  {
    value: 'Rotation.Write'
    displayName: 'Operate rotations'
    description: 'Start, approve, pause, resume and roll back rotations.'
  }
]

resource graphServicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: '00000003-0000-0000-c000-000000000000' // Microsoft Graph
}

resource graphPermissions 'Microsoft.Graph/appRoleAssignedTo@v1.0' = [
  for role in graphAppRoles: {
    appRoleId: role.id
    principalId: rotatorPrincipalId
    resourceId: graphServicePrincipal.id
  }
]

resource operatorApi 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: operatorApiUniqueName
  displayName: 'Entra credential rotator operator API (${operatorApiUniqueName})'
  signInAudience: 'AzureADMyOrg'
  identifierUris: [operatorApiIdentifierUri]
  api: {
    requestedAccessTokenVersion: 2
  }
  appRoles: [
    for role in operatorRoles: {
      id: guid(operatorApiUniqueName, role.value) // stable across deployments, so assignments survive
      value: role.value
      displayName: role.displayName
      description: role.description
      allowedMemberTypes: ['User', 'Application']
      isEnabled: true
    }
  ]
}

// Assignment required: only principals given a role can get a token for the API at all.
resource operatorApiServicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: operatorApi.appId
  appRoleAssignmentRequired: true
}

output operatorApiAppId string = operatorApi.appId
output operatorApiServicePrincipalId string = operatorApiServicePrincipal.id
