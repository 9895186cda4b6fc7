#!/bin/sh
# azd preprovision hook: per-environment values the template needs before it runs.
#  - ROTATOR_VAULT_SUFFIX: a random vault-name suffix. A purge-protected vault keeps its name for 90 days after
#    `azd down`, so postdown.sh clears the suffix and the next `azd up` gets a fresh name.
#  - ROTATOR_OPERATOR_API_APP_ID: the operator API app registration (operator-api.sh).
set -eu
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
require_env AZURE_ENV_NAME

if [ -z "${ROTATOR_VAULT_SUFFIX:-}" ]; then
  suffix=$(new_uuid | tr -d '-' | cut -c1-5)
  azd env set ROTATOR_VAULT_SUFFIX "$suffix"
  log "vault name suffix for this environment: $suffix"
fi

app_id=$("$(dirname "$0")/operator-api.sh" "$AZURE_ENV_NAME")
if [ "${ROTATOR_OPERATOR_API_APP_ID:-}" != "$app_id" ]; then
  azd env set ROTATOR_OPERATOR_API_APP_ID "$app_id"
fi
log "operator API: client id $app_id (v2.0 tokens), identifier URI api://$app_id"
