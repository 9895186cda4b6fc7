// The rotator's own app settings, one key per name in shared/config/schema.ts (a unit test keeps them in sync).
// Secrets appear only as versionless Key Vault references, so a rotated secret is picked up without a redeploy.

@description('Cloud name as environment().name spells it; selects hosts from shared/config/clouds.json.')
param cloud string

@description('Client id of the user-assigned identity the app authenticates with.')
param identityClientId string

@description('Name of the vault holding managed secrets and the webhook signing key.')
param keyVaultName string

@description('Vault URI, e.g. https://kv-x.vault.azure.net/')
param keyVaultUri string

@description('Resource id of the vault: the `topic` field of its Event Grid events.')
param keyVaultResourceId string

@description('Resource id of the vault\'s Event Grid system topic.')
param keyVaultSystemTopicId string

@description('Publish endpoint of the custom topic for lifecycle notifications.')
param notificationTopicEndpoint string

@description('Client id of the operator API app registration (audience of v2 tokens; api://<it> is the v1 audience).')
param operatorApiAppId string

@description('Name of the vault secret holding the consumer webhook HMAC key.')
param signingKeySecretName string

@description('Blob container URL for the rotator\'s state (the identity holds Storage Blob Data Owner on the account).')
param stateStoreLocation string

@description('Client id of the app registration the dashboard signs in with (authorization code + PKCE; a SPA redirect URI https://<app>/api/dashboard). Empty: the dashboard asks for a pasted token.')
param dashboardClientId string = ''

param additionalKeyVaultUrls string = ''
@description('Optional App Service discovery scopes: /subscriptions/<id>[/resourceGroups/<name>], comma-separated.')
param appServiceDiscoveryScopes string = ''
param consumersConfigLocation string = ''
param maxCredentialLifetimeDays string = ''
param rotationPaused bool = true
param taskHubName string = 'EntraRotator'

@description('NCRONTAB (six fields, UTC) for the tenant-wide scan.')
param scanSchedule string = '0 0 2 * * *'

// Policy defaults match the schema defaults; set here so the portal shows the effective values.
param rotateBeforeDays int = 30
param alertThresholdDays string = '30,7'
param gracePeriodDays int = 7
param newCredentialLifetimeDays int = 180
param maxCredentialsPerApp int = 5
param propagationTimeoutSeconds int = 300
param signInLogLatencyMinutes int = 30
param tokenLifetimeMinutes int = 90
param usageGateRecheckHours int = 24
param usageGateMaxChecks int = 3
@description('Days a finished rotation\'s history record is kept (dry runs: historyDryRunRetentionDays).')
param historyRetentionDays int = 400
param historyDryRunRetentionDays int = 30

// One table of cloud endpoints for the app and the template, so the two cannot disagree.
var endpoints = loadJsonContent('../../shared/config/clouds.json')[cloud]

output appSettings object = {
  // Identity and endpoints. Managed identity only: no client secret exists in Azure.
  ENTRA_TENANT_ID: tenant().tenantId
  // environment().graph is the retired Azure AD Graph, so Microsoft Graph comes from the shared table.
  AZURE_CLOUD: cloud
  ENTRA_AUTHORITY_HOST: endpoints.authorityHost
  GRAPH_BASE_URL: endpoints.graph
  ROTATOR_AUTH_MODE: 'managed-identity'
  AZURE_CLIENT_ID: identityClientId
  AZURE_CLIENT_SECRET: ''
  ALLOW_LOCAL_ENDPOINTS: 'false'
  // Key Vault. Key Vault events carry the vault id as `topic`; the system topic id is listed for the same vault.
  KEY_VAULT_URL: keyVaultUri
  ADDITIONAL_KEY_VAULT_URLS: additionalKeyVaultUrls
  KEY_VAULT_EVENT_TOPICS: '${keyVaultResourceId},${keyVaultSystemTopicId}'
  // Resource Manager (App Service consumers) of this cloud.
  RESOURCE_MANAGER_URL: endpoints.resourceManager
  RESOURCE_MANAGER_AUDIENCE: endpoints.resourceManager
  APP_SERVICE_DISCOVERY_SCOPES: appServiceDiscoveryScopes
  // Notifications: the identity holds EventGrid Data Sender, and the topic has local (key) auth disabled.
  EVENT_GRID_TOPIC_ENDPOINT: notificationTopicEndpoint
  EVENT_GRID_TOPIC_KEY: ''
  // Operator API: the app registration issues v2 tokens (aud = client id); v1 tokens carry the identifier URI.
  OPERATOR_API_AUDIENCE: 'api://${operatorApiAppId}'
  OPERATOR_API_CLIENT_ID: operatorApiAppId
  DASHBOARD_CLIENT_ID: dashboardClientId
  // Schedule and policy.
  SCAN_SCHEDULE: scanSchedule
  ROTATE_BEFORE_DAYS: string(rotateBeforeDays)
  ALERT_THRESHOLD_DAYS: alertThresholdDays
  GRACE_PERIOD_DAYS: string(gracePeriodDays)
  NEW_CREDENTIAL_LIFETIME_DAYS: string(newCredentialLifetimeDays)
  MAX_CREDENTIAL_LIFETIME_DAYS: maxCredentialLifetimeDays
  MAX_CREDENTIALS_PER_APP: string(maxCredentialsPerApp)
  // Verification and the usage gate.
  PROPAGATION_TIMEOUT_SECONDS: string(propagationTimeoutSeconds)
  SIGNIN_LOG_LATENCY_MINUTES: string(signInLogLatencyMinutes)
  TOKEN_LIFETIME_MINUTES: string(tokenLifetimeMinutes)
  USAGE_GATE_RECHECK_HOURS: string(usageGateRecheckHours)
  USAGE_GATE_MAX_CHECKS: string(usageGateMaxChecks)
  // Retention of the immutable rotation records in the state store (the timer scan purges older ones).
  HISTORY_RETENTION_DAYS: string(historyRetentionDays)
  HISTORY_DRY_RUN_RETENTION_DAYS: string(historyDryRunRetentionDays)
  // Share of each documented quota (Graph writes, sign-in reads, vault writes) this app paces itself to.
  QUOTA_SHARE_PERCENT: '100'
  // Consumers. The signing key is resolved by the platform with the identity; no version, so rotation is picked up.
  CONSUMERS_CONFIG_LOCATION: consumersConfigLocation
  CONSUMER_WEBHOOK_SIGNING_KEY: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${signingKeySecretName})'
  // Operations. CLOCK_SOURCE_URL follows an emulator's virtual clock: sandboxes only, never in Azure.
  STATE_STORE_LOCATION: stateStoreLocation
  CLOCK_SOURCE_URL: ''
  ROTATION_PAUSED: rotationPaused ? 'true' : 'false'
  TASKHUB_NAME: taskHubName
}
