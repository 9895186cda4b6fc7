targetScope = 'subscription'

// Entra credential rotator: Function App (Flex Consumption) + Durable task hub storage + Key Vault + Event Grid.
// Everything runs as one user-assigned identity with the narrowest roles that work (see infra/README.md).

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; used to derive a short unique token for every resource name.')
param environmentName string

@minLength(1)
@description('Primary location for all resources. Must offer the Flex Consumption plan.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of the person or pipeline running azd. Gets Key Vault Secrets Officer on the vault to onboard credentials. Leave empty to skip.')
param principalId string = ''

@allowed(['User', 'ServicePrincipal', 'Group'])
@description('Kind of principal in principalId.')
param principalType string = 'User'

@description('Create the Graph app-role grants and the operator API app registration with the Microsoft Graph Bicep extension. Needs a deployer with Application.ReadWrite.All and AppRoleAssignment.ReadWrite.All; set false and run infra/scripts/grant-graph-permissions.sh as an admin instead.')
param deployGraphResources bool = true

@description('Create the Key Vault event subscription. The first deploy leaves it false because the target function exists only after code deployment; the postdeploy hook creates it and sets this true.')
param wireKeyVaultEvents bool = false

@description('Start with rotations paused: scans and alerts run, no credential is changed until an operator unpauses.')
param rotationPaused bool = true

@allowed(['20', '22'])
@description('Node.js major version of the Function App.')
param nodeVersion string = '22'

@description('More vault URLs the rotator may manage, comma-separated. Grant the identity Key Vault Secrets Officer on each yourself.')
param additionalKeyVaultUrls string = ''

@description('Where the consumer refresh configuration lives (optional).')
param consumersConfigLocation string = ''

@description('Tenant app-management policy maximum credential lifetime in days, if one applies (optional).')
param maxCredentialLifetimeDays string = ''

@description('Durable Functions task hub name (host.json reads %TASKHUB_NAME%).')
param taskHubName string = 'EntraRotator'

var abbrs = loadJsonContent('./abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = '${abbrs.webSitesFunctions}rotator-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'
var deadLetterContainerName = 'eventgrid-deadletter'
var stateContainerName = 'rotator-state'
var signingKeySecretName = 'consumer-webhook-signing-key'
// Identifier URIs of single-tenant apps must use an allowed format: api://<tenant id>/<name> needs no verified domain.
var operatorApiAudience = 'api://${tenant().tenantId}/entra-credential-rotator-${resourceToken}'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

// One dedicated identity: it is Tier-0 (it can add credentials to every app it owns), so nothing else shares it.
module identity 'br/public:avm/res/managed-identity/user-assigned-identity:0.4.1' = {
  name: 'rotatorIdentity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}rotator-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'br/public:avm/res/storage/storage-account:0.8.3' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false // identity-based connections only; no account keys to leak or rotate
    dnsEndpointType: 'Standard'
    minimumTlsVersion: 'TLS1_2'
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    blobServices: {
      containers: [
        { name: deploymentContainerName }
        { name: deadLetterContainerName }
        { name: stateContainerName }
      ]
    }
  }
}

module logAnalytics 'br/public:avm/res/operational-insights/workspace:0.11.1' = {
  name: 'logAnalytics'
  scope: rg
  params: {
    name: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    location: location
    tags: tags
    dataRetention: 30
  }
}

module monitoring 'br/public:avm/res/insights/component:0.6.0' = {
  name: 'appInsights'
  scope: rg
  params: {
    name: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
    workspaceResourceId: logAnalytics.outputs.resourceId
    disableLocalAuth: true // telemetry is sent with the identity (Monitoring Metrics Publisher)
  }
}

module keyVault 'br/public:avm/res/key-vault/vault:0.13.3' = {
  name: 'keyVault'
  scope: rg
  params: {
    name: '${abbrs.keyVaultVaults}${resourceToken}'
    location: location
    tags: tags
    sku: 'standard'
    enableRbacAuthorization: true // access policies cannot be scoped or audited like role assignments
    enablePurgeProtection: true // a deleted secret version is the rollback path; keep it recoverable
    softDeleteRetentionInDays: 90
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

// System topic on the vault: source of SecretNearExpiry / SecretExpired. Its own identity writes dead letters.
module keyVaultTopic 'br/public:avm/res/event-grid/system-topic:0.6.1' = {
  name: 'keyVaultSystemTopic'
  scope: rg
  params: {
    name: '${abbrs.eventGridSystemTopics}kv-${resourceToken}'
    location: location
    tags: tags
    source: keyVault.outputs.resourceId
    topicType: 'Microsoft.KeyVault.vaults'
    managedIdentities: {
      systemAssigned: true
    }
  }
}

// Custom topic for the rotator's lifecycle notifications. Keys disabled: publishers use Entra tokens only.
module notificationTopic 'br/public:avm/res/event-grid/topic:0.6.1' = {
  name: 'notificationTopic'
  scope: rg
  params: {
    name: '${abbrs.eventGridTopics}rotator-${resourceToken}'
    location: location
    tags: tags
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

module appServicePlan 'br/public:avm/res/web/serverfarm:0.1.1' = {
  name: 'appServicePlan'
  scope: rg
  params: {
    name: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: tags
    sku: {
      name: 'FC1'
      tier: 'FlexConsumption'
    }
    reserved: true
  }
}

module rotatorSettings 'app/rotatorSettings.bicep' = {
  name: 'rotatorSettings'
  scope: rg
  params: {
    identityClientId: identity.outputs.clientId
    keyVaultName: keyVault.outputs.name
    keyVaultUri: keyVault.outputs.uri
    keyVaultResourceId: keyVault.outputs.resourceId
    keyVaultSystemTopicId: keyVaultTopic.outputs.resourceId
    notificationTopicName: notificationTopic.outputs.name
    operatorApiAudience: operatorApiAudience
    signingKeySecretName: signingKeySecretName
    stateStoreLocation: '${storage.outputs.primaryBlobEndpoint}${stateContainerName}'
    additionalKeyVaultUrls: additionalKeyVaultUrls
    consumersConfigLocation: consumersConfigLocation
    maxCredentialLifetimeDays: maxCredentialLifetimeDays
    rotationPaused: rotationPaused
    taskHubName: taskHubName
  }
}

module functionApp 'app/function.bicep' = {
  name: 'functionApp'
  scope: rg
  params: {
    name: functionAppName
    location: location
    tags: tags
    appServicePlanId: appServicePlan.outputs.resourceId
    nodeVersion: nodeVersion
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    applicationInsightsName: monitoring.outputs.name
    identityId: identity.outputs.resourceId
    identityClientId: identity.outputs.clientId
    rotatorSettings: rotatorSettings.outputs.appSettings
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbacAssignments'
  scope: rg
  params: {
    rotatorPrincipalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    appInsightsName: monitoring.outputs.name
    keyVaultName: keyVault.outputs.name
    notificationTopicName: notificationTopic.outputs.name
    systemTopicPrincipalId: keyVaultTopic.outputs.?systemAssignedMIPrincipalId ?? ''
    deadLetterContainerName: deadLetterContainerName
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
  }
}

module graph 'app/graph.bicep' = if (deployGraphResources) {
  name: 'graphPermissions'
  scope: rg
  params: {
    rotatorPrincipalId: identity.outputs.principalId
    operatorApiUniqueName: 'entra-credential-rotator-${resourceToken}'
    operatorApiIdentifierUri: operatorApiAudience
  }
}

module keyVaultEvents 'app/keyVaultEvents.bicep' = if (wireKeyVaultEvents) {
  name: 'keyVaultEvents'
  scope: rg
  params: {
    systemTopicName: keyVaultTopic.outputs.name
    functionAppName: functionApp.outputs.name
    storageAccountName: storage.outputs.name
    deadLetterContainerName: deadLetterContainerName
  }
  dependsOn: [rbac]
}

// Outputs become azd environment values; the hook scripts in infra/scripts read them.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_KEY_VAULT_ENDPOINT string = keyVault.outputs.uri
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output KEY_VAULT_SYSTEM_TOPIC_NAME string = keyVaultTopic.outputs.name
output DEAD_LETTER_CONTAINER_NAME string = deadLetterContainerName
output SIGNING_KEY_SECRET_NAME string = signingKeySecretName
output ROTATOR_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output ROTATOR_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output ROTATOR_OPERATOR_API_AUDIENCE string = operatorApiAudience
output ROTATOR_OPERATOR_API_APP_ID string = deployGraphResources ? graph!.outputs.operatorApiAppId : ''
