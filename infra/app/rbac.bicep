// Every Azure role assignment in one table, each scoped to the single resource that needs it. The description
// of each assignment says why it exists (it shows in the portal). Assignment names are deterministic (guid of
// scope, principal and role), so re-provisioning is idempotent.

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

var rotator = { principalId: rotatorPrincipalId, principalType: 'ServicePrincipal' }

var rotatorAssignments = [
  // Durable task hub (Azure Storage backend): leases and history in blobs, work items in queues, state in tables.
  union(rotator, {
    scope: storage.id
    role: roles.storageBlobDataOwner
    why: 'Durable task hub leases and history, deployment package, rotator state'
  })
  union(rotator, {
    scope: storage.id
    role: roles.storageQueueDataContributor
    why: 'Durable task hub work-item and control queues'
  })
  union(rotator, {
    scope: storage.id
    role: roles.storageTableDataContributor
    why: 'Durable task hub instance and history tables'
  })
  union(rotator, {
    scope: appInsights.id
    role: roles.monitoringMetricsPublisher
    why: 'Telemetry with local auth disabled'
  })
  // Officer, not Administrator: writes secret versions and tags, cannot change who has access to the vault.
  union(rotator, {
    scope: vault.id
    role: roles.keyVaultSecretsOfficer
    why: 'Writes rotated secret versions and tags; resolves Key Vault references'
  })
  union(rotator, {
    scope: notificationTopic.id
    role: roles.eventGridDataSender
    why: 'Publishes rotation lifecycle notifications with an Entra token'
  })
]

// Scoped to the dead-letter container only: the system topic never sees the task hub or the deployment package.
var systemTopicAssignments = empty(systemTopicPrincipalId)
  ? []
  : [
      {
        principalId: systemTopicPrincipalId
        principalType: 'ServicePrincipal'
        scope: storage::blobService::deadLetters.id
        role: roles.storageBlobDataContributor
        why: 'Key Vault system topic writes events it could not deliver'
      }
    ]

var deployerAssignments = empty(deployerPrincipalId)
  ? []
  : [
      {
        principalId: deployerPrincipalId
        principalType: deployerPrincipalType
        scope: vault.id
        role: roles.keyVaultSecretsOfficer
        why: 'Deployer seeds the webhook signing key and onboards credentials'
      }
    ]

module assignments 'br/public:avm/ptn/authorization/resource-role-assignment:0.1.2' = [
  for a in concat(rotatorAssignments, systemTopicAssignments, deployerAssignments): {
    name: take('rbac-${guid(a.scope, a.principalId, a.role)}', 64)
    params: {
      resourceId: a.scope
      principalId: a.principalId
      principalType: a.principalType
      roleDefinitionId: a.role
      description: a.why
      enableTelemetry: false
    }
  }
]
