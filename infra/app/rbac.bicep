// Every Azure role assignment in one place, each scoped to the single resource that needs it. Names are
// deterministic (guid of scope, principal, role) so re-provisioning is idempotent.

@description('Principal (object) id of the rotator\'s user-assigned identity.')
param rotatorPrincipalId string

param storageAccountName string
param appInsightsName string
param keyVaultName string
param notificationTopicName string

@description('Principal id of the Key Vault system topic\'s identity (writes undeliverable events). Empty to skip.')
param systemTopicPrincipalId string = ''

param deadLetterContainerName string

@description('Person or pipeline running azd: gets Key Vault Secrets Officer to onboard credentials. Empty to skip.')
param deployerPrincipalId string = ''

@allowed(['User', 'ServicePrincipal', 'Group'])
param deployerPrincipalType string = 'User'

var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Storage Blob Data Owner
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe' // Storage Blob Data Contributor
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage Queue Data Contributor
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // Storage Table Data Contributor
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb' // Monitoring Metrics Publisher
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7' // Key Vault Secrets Officer
  eventGridDataSender: 'd5a91429-5739-47e2-a06b-3470a27159e7' // EventGrid Data Sender
}

// Durable task hub (Azure Storage backend): leases and history in blobs, work items in queues, state in tables.
var durableStorageRoles = [
  roles.storageBlobDataOwner
  roles.storageQueueDataContributor
  roles.storageTableDataContributor
]

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName

  resource blobService 'blobServices' existing = {
    name: 'default'

    resource deadLetters 'containers' existing = {
      name: deadLetterContainerName
    }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource notificationTopic 'Microsoft.EventGrid/topics@2025-02-15' existing = {
  name: notificationTopicName
}

resource durableStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in durableStorageRoles: {
    name: guid(storage.id, rotatorPrincipalId, roleId)
    scope: storage
    properties: {
      principalId: rotatorPrincipalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    }
  }
]

resource telemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, rotatorPrincipalId, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    principalId: rotatorPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
  }
}

// Officer, not Administrator: writes secret versions and tags, cannot change the vault's access control.
resource rotatorSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, rotatorPrincipalId, roles.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    principalId: rotatorPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
  }
}

resource notifications 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(notificationTopic.id, rotatorPrincipalId, roles.eventGridDataSender)
  scope: notificationTopic
  properties: {
    principalId: rotatorPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.eventGridDataSender)
  }
}

// Scoped to the dead-letter container only: the system topic never sees the task hub or the deployment package.
resource deadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(systemTopicPrincipalId)) {
  name: guid(storage::blobService::deadLetters.id, systemTopicPrincipalId, roles.storageBlobDataContributor)
  scope: storage::blobService::deadLetters
  properties: {
    principalId: systemTopicPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
  }
}

resource deployerSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(vault.id, deployerPrincipalId, roles.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
  }
}
