#!/bin/sh
# Applies the Key Vault tag contract to an existing secret so the rotator manages it (see infra/README.md):
#   entra-app-id = app client id, entra-key-id = password credential keyId, exp = that credential's endDateTime.
#   infra/scripts/onboard-credential.sh <vault> <secret> <app-client-id> <key-id> [rotate-before-days=N]
#       [grace-days=N] [lifetime-days=N]
set -eu
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
[ $# -ge 4 ] || die 'usage: onboard-credential.sh <vault> <secret> <app-client-id> <key-id> [tag=value...]'
vault=$1 secret=$2 app_id=$3 key_id=$4
shift 4

optional_tags=''
for tag in "$@"; do
  case "$tag" in
    rotate-before-days=[0-9]* | grace-days=[0-9]* | lifetime-days=[0-9]*) optional_tags="$optional_tags $tag" ;;
    *) die "unknown tag '$tag' (allowed: rotate-before-days, grace-days, lifetime-days)" ;;
  esac
done

# The secret's expiry mirrors the credential's end date, so Key Vault's near-expiry event fires on time.
end=$(az ad app credential list --id "$app_id" --query "[?keyId=='$key_id'].endDateTime | [0]" --output tsv)
[ -n "$end" ] || die "app $app_id has no password credential with keyId $key_id"
az keyvault secret show --vault-name "$vault" --name "$secret" --query id --output none ||
  die "secret $secret not found in $vault; store the current secret value first"

# shellcheck disable=SC2086 # optional_tags is a validated, space-separated list
az keyvault secret set-attributes --vault-name "$vault" --name "$secret" --expires "$end" \
  --content-type 'application/vnd.entra.client-secret' \
  --tags entra-app-id="$app_id" entra-key-id="$key_id" $optional_tags --output none
log "onboarded $vault/$secret -> app $app_id key $key_id (expires $end)"
# Tags describe; only an operator's enrollment makes the rotator act on the secret.
log "next: enroll it (role Rotation.Admin): npm run enroll -- add --api <app url> --secret $secret --app-id $app_id --key-id $key_id --reason <why>"
