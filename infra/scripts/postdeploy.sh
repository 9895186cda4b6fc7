#!/bin/sh
# azd postdeploy hook: (re)creates the Key Vault event subscription once the Event Grid function exists. It runs
# after every deployment (idempotent): the subscription's AzureFunction destination is validated against the
# deployed function, so it can never be part of the first provision, and no flag has to survive between
# environments.
set -eu
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
require_env AZURE_SUBSCRIPTION_ID AZURE_RESOURCE_GROUP AZURE_FUNCTION_APP_NAME KEY_VAULT_SYSTEM_TOPIC_NAME \
  AZURE_STORAGE_ACCOUNT_NAME DEAD_LETTER_CONTAINER_NAME

# The signing key is a Key Vault reference. If the app resolved it before the identity's vault role propagated,
# the reference stays unresolved (the app refuses to start its services) until a restart: check and restart.
# A relative URI makes az rest use the Resource Manager endpoint of the signed-in cloud.
site="/subscriptions/$AZURE_SUBSCRIPTION_ID/resourceGroups/$AZURE_RESOURCE_GROUP/providers/Microsoft.Web/sites/$AZURE_FUNCTION_APP_NAME"
references_resolved() {
  unresolved=$(az rest --method GET --uri "$site/config/configreferences/appsettings?api-version=2023-12-01" \
    --query "length(value[?properties.status != 'Resolved'])" --output tsv) || return 1
  [ "$unresolved" = 0 ] && return 0
  log "$unresolved Key Vault reference(s) not resolved yet; restarting the app"
  az functionapp restart --resource-group "$AZURE_RESOURCE_GROUP" --name "$AZURE_FUNCTION_APP_NAME" --output none
  return 1
}
retry "$RETRY_ATTEMPTS" "$RETRY_DELAY" references_resolved ||
  die 'Key Vault references of the app do not resolve; does the identity hold Key Vault Secrets Officer on the vault, and does the signing key exist?'

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
