#!/bin/sh
# azd postprovision hook: seeds the consumer webhook signing key once, then lists what still needs a human.
set -eu
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
require_env AZURE_KEY_VAULT_NAME SIGNING_KEY_SECRET_NAME

# Prints "present", "absent" or "unknown" (e.g. the deployer's Key Vault role has not propagated yet).
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
    trap 'rm -f "$key_file"' EXIT
    openssl rand -base64 48 | tr -d '\n' >"$key_file"
    az keyvault secret set --vault-name "$AZURE_KEY_VAULT_NAME" --name "$SIGNING_KEY_SECRET_NAME" \
      --file "$key_file" --encoding utf-8 --content-type 'hmac-sha256-key' --output none
    log "created signing key $SIGNING_KEY_SECRET_NAME"
    ;;
  *) die "cannot read $SIGNING_KEY_SECRET_NAME in $AZURE_KEY_VAULT_NAME; does the deployer hold Key Vault Secrets Officer?" ;;
esac

if [ "${ROTATOR_DEPLOY_GRAPH:-true}" = false ]; then
  log 'Graph permissions were NOT granted by Bicep. A Privileged Role Administrator must run:'
  log '  infra/scripts/grant-graph-permissions.sh'
fi
log 'Next: make the identity an owner of each app it manages (infra/scripts/add-app-owner.sh <app-client-id>),'
log 'onboard credentials (infra/scripts/onboard-credential.sh), then unpause: azd env set ROTATION_PAUSED false && azd provision'
