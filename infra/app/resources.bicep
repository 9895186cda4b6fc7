// Every Azure resource of the rotator and every role assignment it needs, in plain Bicep.
// Everything runs as one user-assigned identity with the narrowest role that covers what the code does;
// infra/README.md has the table "operation -> role -> scope", and test/unit/infra checks it against the compiled
// template and the adapters.

param location string
param tags object
@minLength(13)
@maxLength(13)
@description('Short unique token for resource names (uniqueString in main.bicep).')
param resourceToken string
@description('Per-environment suffix of the vault name (see main.bicep).')
param vaultSuffix string
@description('Client id of the operator API app registration: the v2 token audience; api://<it> is the v1 one.')
param operatorApiAppId string
param rotationPaused bool
@allowed(['20', '22'])
param nodeVersion string
param additionalKeyVaultUrls string
param consumersConfigLocation string
param maxCredentialLifetimeDays string
param taskHubName string
param cloud string

@minValue(40) // the lowest scale-out limit Flex Consumption accepts
@description('Upper bound on scale-out. The rotator is bound by Graph throttling, not CPU, so the minimum suffices.')
param maximumInstanceCount int = 40

param instanceMemoryMB int = 2048

var functionAppName = 'func-rotator-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'
var deadLetterContainerName = 'eventgrid-deadletter'
var stateContainerName = 'rotator-state'
var signingKeySecretName = 'consumer-webhook-signing-key'

// Built-in role definition ids (the same in every tenant).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  eventGridDataSender: 'd5a91429-5739-47e2-a06b-3470a27159e7'
}

// One dedicated identity: it is Tier-0 (it can add credentials to every app it owns), so nothing else shares it.
resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-rotator-${resourceToken}'
  location: location
  tags: tags
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: 'st${resourceToken}'
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false // identity-based connections only: no account key exists to leak or rotate
    allowCrossTenantReplication: false // object replication may not copy task hub history or state to another tenant
    defaultToOAuthAuthentication: true
    dnsEndpointType: 'Standard'
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }

  resource blobService 'blobServices' = {
    name: 'default'

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
      properties: { publicAccess: 'None' }
    }

    resource deadLetters 'containers' = {
      name: deadLetterContainerName
      properties: { publicAccess: 'None' }
    }

    resource stateContainer 'containers' = {
      name: stateContainerName
      properties: { publicAccess: 'None' }
    }
  }
}

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-${resourceToken}'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-${resourceToken}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    DisableLocalAuth: true // telemetry is sent with the identity (Monitoring Metrics Publisher)
  }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-${resourceToken}-${vaultSuffix}'
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true // access policies cannot be scoped or audited like role assignments
    enableSoftDelete: true
    enablePurgeProtection: true // a deleted secret version is the rollback path; keep it recoverable
    softDeleteRetentionInDays: 90
    // Off: with template deployment on, anyone with Contributor could have ARM read a managed secret.
    enabledForDeployment: false
    enabledForTemplateDeployment: false
    enabledForDiskEncryption: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

// System topic on the vault: source of SecretNearExpiry / SecretExpired. Its own identity writes dead letters.
// The subscription to the app's function is created after the code is deployed (scripts/postdeploy.sh).
resource keyVaultTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: 'evgst-kv-${resourceToken}'
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: vault.id
    topicType: 'Microsoft.KeyVault.vaults'
  }
}

// Custom topic for the rotator's lifecycle notifications (CloudEvents 1.0, shared/adapters/eventGridNotifier.ts).
// Keys disabled: publishers use Entra tokens only.
resource notificationTopic 'Microsoft.EventGrid/topics@2025-02-15' = {
  name: 'evgt-rotator-${resourceToken}'
  location: location
  tags: tags
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: 'plan-${resourceToken}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

module rotatorSettings 'rotatorSettings.bicep' = {
  name: 'rotatorSettings'
  params: {
    cloud: cloud
    identityClientId: identity.properties.clientId
    keyVaultName: vault.name
    keyVaultUri: vault.properties.vaultUri
    keyVaultResourceId: vault.id
    keyVaultSystemTopicId: keyVaultTopic.id
    notificationTopicEndpoint: notificationTopic.properties.endpoint
    operatorApiAppId: operatorApiAppId
    // The dashboard signs in with the operator API registration itself (a SPA redirect URI to the page and a
    // delegated user_impersonation scope, both added by the azd hooks), so operators need no second registration.
    dashboardClientId: operatorApiAppId
    signingKeySecretName: signingKeySecretName
    stateStoreLocation: '${storage.properties.primaryEndpoints.blob}${stateContainerName}'
    additionalKeyVaultUrls: additionalKeyVaultUrls
    consumersConfigLocation: consumersConfigLocation
    maxCredentialLifetimeDays: maxCredentialLifetimeDays
    rotationPaused: rotationPaused
    taskHubName: taskHubName
  }
}

// Durable Functions on the Azure Storage backend needs blob, queue and table endpoints, reached with the identity.
// No FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION, WEBSITE_* content settings: Flex Consumption takes the
// runtime from functionAppConfig and rejects them.
var platformSettings = {
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.properties.clientId
  AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
  AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.properties.clientId};Authorization=AAD'
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: functionAppName
  location: location
  tags: union(tags, { 'azd-service-name': 'rotator' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references resolve with the same identity (it holds Key Vault Secrets Officer on the vault).
    keyVaultReferenceIdentity: identity.id
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'node'
        version: nodeVersion
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      // Platform settings last: a rotator setting can never override how the host reaches its storage.
      appSettings: map(items(union(rotatorSettings.outputs.appSettings, platformSettings)), s => {
        name: s.key
        value: s.value
      })
    }
  }

  // azd publishes to Flex with an Entra token (/api/publish); basic-auth publishing stays off.
  resource ftp 'basicPublishingCredentialsPolicies' = {
    name: 'ftp'
    properties: { allow: false }
  }

  resource scm 'basicPublishingCredentialsPolicies' = {
    name: 'scm'
    properties: { allow: false }
  }
}

// Role assignments: each one at the narrowest scope that covers the operations in infra/README.md.
var rotatorAssignments = [
  {
    name: 'blob'
    role: roles.storageBlobDataOwner
    why: 'Functions host storage and Durable task hub blobs (leases, history), deployment package, rotator state'
  }
  {
    name: 'queue'
    role: roles.storageQueueDataContributor
    why: 'Durable task hub work-item and control queues'
  }
  {
    name: 'table'
    role: roles.storageTableDataContributor
    why: 'Durable task hub instance and history tables'
  }
]

resource rotatorStorageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for a in rotatorAssignments: {
    name: guid(storage.id, identity.id, a.role)
    scope: storage
    properties: {
      principalId: identity.properties.principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', a.role)
      description: a.why
    }
  }
]

resource rotatorTelemetryRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, identity.id, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    description: 'Telemetry with local auth disabled'
  }
}

// Officer, not Administrator: every secret data action the rotator performs (get, set, update tags, delete,
// recover, purge of its stash), and it cannot change who has access to the vault.
resource rotatorVaultRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identity.id, roles.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
    description: 'Reads and writes managed secret versions and tags; resolves Key Vault references'
  }
}

resource rotatorPublishRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(notificationTopic.id, identity.id, roles.eventGridDataSender)
  scope: notificationTopic
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.eventGridDataSender)
    description: 'Publishes rotation lifecycle notifications with an Entra token'
  }
}

// Scoped to the dead-letter container only: the system topic never sees the task hub or the deployment package.
resource deadLetterRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage::blobService::deadLetters.id, keyVaultTopic.id, roles.storageBlobDataContributor)
  scope: storage::blobService::deadLetters
  properties: {
    principalId: keyVaultTopic.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    description: 'Key Vault system topic writes events it could not deliver'
  }
}

output functionAppName string = functionApp.name
// Flex apps may get a unique default host name (<name>-<hash>.<region>-01.azurewebsites.net): read it, never build it.
output functionAppHostName string = functionApp.properties.defaultHostName
output keyVaultName string = vault.name
output keyVaultUri string = vault.properties.vaultUri
output storageAccountName string = storage.name
output keyVaultSystemTopicName string = keyVaultTopic.name
output deadLetterContainerName string = deadLetterContainerName
output signingKeySecretName string = signingKeySecretName
output identityPrincipalId string = identity.properties.principalId
output identityClientId string = identity.properties.clientId
output graphBaseUrl string = rotatorSettings.outputs.appSettings.GRAPH_BASE_URL
