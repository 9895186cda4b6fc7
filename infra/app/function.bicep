// Flex Consumption Function App running as the rotator identity. Every connection is identity-based: the storage
// account has shared keys disabled and App Insights has local auth disabled.

param name string
param location string = resourceGroup().location
param tags object = {}

@description('Resource id of the FC1 (Flex Consumption) plan.')
param appServicePlanId string

@allowed(['20', '22'])
param nodeVersion string = '22'

param storageAccountName string

@description('Blob container the platform deploys the app package from.')
param deploymentContainerName string

param applicationInsightsName string

@description('Resource id of the user-assigned identity.')
param identityId string

@description('Client id of the user-assigned identity.')
param identityClientId string

@description('The rotator\'s own settings (app/rotatorSettings.bicep).')
param rotatorSettings object

@minValue(40) // the lowest scale-out limit Flex Consumption accepts
@description('Upper bound on scale-out. The rotator is bound by Graph throttling, not CPU, so the minimum suffices.')
param maximumInstanceCount int = 40

param instanceMemoryMB int = 2048

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// Durable Functions on the Azure Storage backend needs blob, queue and table endpoints. No FUNCTIONS_WORKER_RUNTIME
// or FUNCTIONS_EXTENSION_VERSION: Flex Consumption takes the runtime from functionAppConfig and rejects both.
var platformSettings = {
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
  AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

module site 'br/public:avm/res/web/site:0.9.0' = {
  name: 'rotator-flex-consumption'
  params: {
    kind: 'functionapp,linux'
    name: name
    location: location
    tags: union(tags, { 'azd-service-name': 'rotator' })
    serverFarmResourceId: appServicePlanId
    managedIdentities: {
      systemAssigned: false
      userAssignedResourceIds: [identityId]
    }
    // Key Vault references resolve with the same identity (it holds Key Vault Secrets Officer on the vault).
    keyVaultAccessIdentityResourceId: identityId
    httpsOnly: true
    basicPublishingCredentialsPolicies: [
      { name: 'ftp', allow: false }
      { name: 'scm', allow: false }
    ]
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
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
      alwaysOn: false
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    // Platform settings last: a rotator setting can never override how the host reaches its storage.
    appSettingsKeyValuePairs: union(rotatorSettings, platformSettings)
  }
}

output name string = site.outputs.name
output resourceId string = site.outputs.resourceId
output defaultHostname string = site.outputs.defaultHostname
