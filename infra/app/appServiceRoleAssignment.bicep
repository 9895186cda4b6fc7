// One role assignment for the rotator identity on this resource group (used by ../appServiceRole.bicep).

@description('Principal (object) id of the rotator\'s managed identity.')
param principalId string

@description('Resource id of the role definition to assign.')
param roleDefinitionId string

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, principalId, roleDefinitionId)
  properties: {
    principalId: principalId
    roleDefinitionId: roleDefinitionId
    principalType: 'ServicePrincipal'
  }
}
