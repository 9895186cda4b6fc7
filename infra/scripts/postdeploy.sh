#!/bin/sh
# azd postdeploy hook: (re)creates the Key Vault event subscription once the Event Grid function exists. It runs
# after every deployment (idempotent): the subscription's AzureFunction destination is validated against the
# deployed function, so it can never be part of the first provision, and no flag has to survive between
# environments.
set -eu
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
require_env AZURE_RESOURCE_GROUP AZURE_FUNCTION_APP_NAME KEY_VAULT_SYSTEM_TOPIC_NAME AZURE_STORAGE_ACCOUNT_NAME \
  DEAD_LETTER_CONTAINER_NAME

function_exists() {
  az functionapp function show --resource-group "$AZURE_RESOURCE_GROUP" --name "$AZURE_FUNCTION_APP_NAME" \
    --function-name onKeyVaultEvent --query id --output none 2>/dev/null
}
# Flex Consumption indexes functions shortly after the package lands.
retry "$RETRY_ATTEMPTS" "$RETRY_DELAY" function_exists || die 'function onKeyVaultEvent was not found after deployment; is it registered?'

az deployment group create --resource-group "$AZURE_RESOURCE_GROUP" --name keyVaultEvents \
  --template-file "$(dirname "$0")/../app/keyVaultEvents.bicep" \
  --parameters systemTopicName="$KEY_VAULT_SYSTEM_TOPIC_NAME" functionAppName="$AZURE_FUNCTION_APP_NAME" \
  storageAccountName="$AZURE_STORAGE_ACCOUNT_NAME" deadLetterContainerName="$DEAD_LETTER_CONTAINER_NAME" \
  --output none
log 'Key Vault SecretNearExpiry/SecretExpired events now reach onKeyVaultEvent'
