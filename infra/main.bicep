targetScope = 'subscription'

// Entra credential rotator: Function App (Flex Consumption) + Durable task hub storage + Key Vault + Event Grid.
// Every resource and role assignment is written out in plain Bicep in app/resources.bicep (no registry modules,
// so it compiles offline). The Graph permissions and the operator API app registration are not Azure resources:
// the azd hooks in scripts/ create them (see infra/README.md).

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

@minLength(36)
@maxLength(36)
@description('Client (application) id of the operator API app registration; scripts/preprovision.sh creates it and sets ROTATOR_OPERATOR_API_APP_ID.')
param operatorApiAppId string

@minLength(4)
@maxLength(6)
@description('Random suffix of the vault name, generated per environment by scripts/preprovision.sh and cleared by `azd down`: a purge-protected vault keeps its name for 90 days after deletion.')
param vaultSuffix string

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

@description('Cloud whose Entra, Microsoft Graph and Key Vault endpoints the app uses: AzureCloud, AzureUSGovernment or AzureChinaCloud (shared/config/clouds.json).')
param cloud string = environment().name

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module resources 'app/resources.bicep' = {
  name: 'rotatorResources'
  scope: rg
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
    vaultSuffix: vaultSuffix
    operatorApiAppId: operatorApiAppId
    rotationPaused: rotationPaused
    nodeVersion: nodeVersion
    additionalKeyVaultUrls: additionalKeyVaultUrls
    consumersConfigLocation: consumersConfigLocation
    maxCredentialLifetimeDays: maxCredentialLifetimeDays
    taskHubName: taskHubName
    cloud: cloud
  }
}

// Outputs become azd environment values; the hook scripts in infra/scripts read them.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = resources.outputs.functionAppName
output AZURE_FUNCTION_APP_HOSTNAME string = resources.outputs.functionAppHostName
output AZURE_KEY_VAULT_NAME string = resources.outputs.keyVaultName
output AZURE_KEY_VAULT_ENDPOINT string = resources.outputs.keyVaultUri
output AZURE_STORAGE_ACCOUNT_NAME string = resources.outputs.storageAccountName
output KEY_VAULT_SYSTEM_TOPIC_NAME string = resources.outputs.keyVaultSystemTopicName
output DEAD_LETTER_CONTAINER_NAME string = resources.outputs.deadLetterContainerName
output SIGNING_KEY_SECRET_NAME string = resources.outputs.signingKeySecretName
output ROTATOR_IDENTITY_PRINCIPAL_ID string = resources.outputs.identityPrincipalId
output ROTATOR_IDENTITY_CLIENT_ID string = resources.outputs.identityClientId
output ROTATOR_GRAPH_URL string = resources.outputs.graphBaseUrl
