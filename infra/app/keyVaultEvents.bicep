// Delivers the vault's SecretNearExpiry / SecretExpired events to the app's Event Grid function.
// Deployed by main.bicep once wireKeyVaultEvents is true, and by infra/scripts/postdeploy.sh right after the first
// code deployment: an AzureFunction destination is validated against the deployed function, so it cannot exist
// before the code does.

param systemTopicName string
param functionAppName string
param storageAccountName string
param deadLetterContainerName string

@description('Event Grid trigger function that starts rotations.')
param functionName string = 'onKeyVaultEvent'

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = {
  name: systemTopicName
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource secretExpiry 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: systemTopic
  name: 'rotator-secret-expiry'
  properties: {
    // AzureFunction delivery goes through the platform: no webhook URL, so no function key in a query string.
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${functionApp.id}/functions/${functionName}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: [
        'Microsoft.KeyVault.SecretNearExpiry'
        'Microsoft.KeyVault.SecretExpired'
      ]
    }
    // Near-expiry fires once per version: retry for a day, then keep the event for a human rather than drop it.
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: storage.id
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
}

output eventSubscriptionId string = secretExpiry.id
