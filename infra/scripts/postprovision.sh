#!/bin/sh
# azd postprovision hook:
#  1. grants the identity its Microsoft Graph permissions (or says who must);
#  2. lets operators sign in to the dashboard (dashboard-sign-in.sh; not fatal: a pasted token still works);
#  3. seeds the consumer webhook signing key once. The deployer holds no standing access to the vault: the hook
#     gives itself Key Vault Secrets Officer on the vault for the few seconds it needs and removes it on exit
#     (creating a role assignment needs what provisioning already needed: Owner, User Access Administrator or
#     Role Based Access Control Administrator on the resource group).
set -eu
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
require_env AZURE_KEY_VAULT_NAME SIGNING_KEY_SECRET_NAME AZURE_PRINCIPAL_ID AZURE_RESOURCE_GROUP

graph_status=0
"$(dirname "$0")/grant-graph-permissions.sh" || graph_status=$?
[ "$graph_status" = 0 ] || [ "$graph_status" = 2 ] || die 'granting the Graph permissions failed'
"$(dirname "$0")/dashboard-sign-in.sh" ||
  log 'the dashboard sign-in is not set up (see above); until it is, the dashboard takes a pasted token'

OFFICER='b86a8fe4-44ce-4948-aee5-eccb2c155cd7' # Key Vault Secrets Officer
vault_id=$(az keyvault show --name "$AZURE_KEY_VAULT_NAME" --resource-group "$AZURE_RESOURCE_GROUP" --query id --output tsv)
held=$(az role assignment list --assignee "$AZURE_PRINCIPAL_ID" --role "$OFFICER" --scope "$vault_id" \
  --query 'length(@)' --output tsv)
temporary=''
cleanup() {
  [ -z "$temporary" ] || az role assignment delete --ids "$temporary" --output none || log "remove $temporary by hand"
  [ -z "${key_file:-}" ] || rm -f "$key_file"
}
trap cleanup EXIT
if [ "$held" = 0 ]; then
  temporary=$(az role assignment create --assignee-object-id "$AZURE_PRINCIPAL_ID" \
    --assignee-principal-type "${AZURE_PRINCIPAL_TYPE:-User}" --role "$OFFICER" --scope "$vault_id" \
    --description 'Temporary: azd postprovision seeds the webhook signing key' --query id --output tsv)
fi

# Prints "present", "absent" or "unknown" (e.g. the temporary role has not propagated yet).
signing_key_state() {
  if err=$(az keyvault secret show --vault-name "$AZURE_KEY_VAULT_NAME" --name "$SIGNING_KEY_SECRET_NAME" \
    --query id --output none 2>&1); then
    echo present
  elif printf '%s' "$err" | grep -q 'SecretNotFound'; then
    echo absent
  else
    echo unknown
  fi
}

state=unknown
i=0
while [ "$state" = unknown ] && [ "$i" -lt "$RETRY_ATTEMPTS" ]; do
  state=$(signing_key_state)
  [ "$state" != unknown ] || { log 'waiting for Key Vault access to propagate'; sleep "$RETRY_DELAY"; }
  i=$((i + 1))
done

case "$state" in
  present) log "signing key $SIGNING_KEY_SECRET_NAME exists; leaving it unchanged" ;;
  absent)
    # Never overwrite: a new version would silently change the key consumers verify webhooks with.
    umask 077
    key_file=$(mktemp)
    openssl rand -base64 48 | tr -d '\n' >"$key_file"
    az keyvault secret set --vault-name "$AZURE_KEY_VAULT_NAME" --name "$SIGNING_KEY_SECRET_NAME" \
      --file "$key_file" --encoding utf-8 --content-type 'hmac-sha256-key' --output none
    log "created signing key $SIGNING_KEY_SECRET_NAME"
    ;;
  *) die "cannot read $SIGNING_KEY_SECRET_NAME in $AZURE_KEY_VAULT_NAME; may you create role assignments on the vault?" ;;
esac

[ "$graph_status" = 0 ] || log 'REMINDER: the Graph permissions are not granted yet (see above); nothing rotates until they are.'
log 'Next: make the identity an owner of each app it manages (infra/scripts/add-app-owner.sh <app-client-id>),'
log 'onboard credentials (infra/scripts/onboard-credential.sh), then unpause: azd env set ROTATION_PAUSED false && azd provision'
