#!/bin/sh
# Lets operators sign in to the deployed dashboard (authorization code + PKCE, no pasted token) with the operator
# API registration: adds the page, https://<function app host>/api/dashboard, as a single-page-application redirect
# URI (keeping any others), then grants the registration's delegated user_impersonation scope to itself for all
# users, so operators are not asked to consent. Idempotent. Run by postprovision.sh; a failure is not fatal there:
# the dashboard still accepts a pasted token.
#   infra/scripts/dashboard-sign-in.sh
set -eu
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
[ $# -eq 0 ] || die 'usage: dashboard-sign-in.sh (reads ROTATOR_OPERATOR_API_APP_ID and AZURE_FUNCTION_APP_HOSTNAME)'
require_env ROTATOR_OPERATOR_API_APP_ID AZURE_FUNCTION_APP_HOSTNAME
app_id=$ROTATOR_OPERATOR_API_APP_ID
redirect="https://$AZURE_FUNCTION_APP_HOSTNAME/api/dashboard"

object_id=$(az ad app show --id "$app_id" --query id --output tsv) ||
  die "cannot read the operator API app registration $app_id"
uris=$(az ad app show --id "$app_id" --query 'spa.redirectUris[]' --output tsv)
if printf '%s\n' "$uris" | grep -Fqx "$redirect"; then
  log "the dashboard redirect URI $redirect is registered"
else
  # Graph replaces the whole list on PATCH: send the existing URIs and the page's.
  list=$(printf '%s\n%s\n' "$uris" "$redirect" | grep -v '^$' | sed 's/.*/"&"/' | paste -sd, -)
  az rest --method PATCH --uri "$GRAPH_URL/applications/$object_id" --headers 'Content-Type=application/json' \
    --body "{\"spa\": {\"redirectUris\": [$list]}}" --output none ||
    die "cannot add the redirect URI $redirect to $app_id (you need to own the registration, or the Application Administrator role)"
  log "registered the dashboard redirect URI $redirect"
fi

# Tenant-wide consent for the dashboard to use the operator API as the operator. The page asks for nothing else,
# and users without an app role still get 403 from the API.
sp_id=$(az ad sp show --id "$app_id" --query id --output tsv)
granted=$(az rest --method GET --uri "$GRAPH_URL/oauth2PermissionGrants?\$filter=clientId%20eq%20'$sp_id'%20and%20consentType%20eq%20'AllPrincipals'" \
  --query "value[?resourceId=='$sp_id'].scope" --output tsv)
if printf '%s\n' "$granted" | tr ' ' '\n' | grep -Fqx user_impersonation; then
  log 'operators need no consent prompt (user_impersonation is granted for all users)'
elif az rest --method POST --uri "$GRAPH_URL/oauth2PermissionGrants" --headers 'Content-Type=application/json' \
  --body "{\"clientId\": \"$sp_id\", \"consentType\": \"AllPrincipals\", \"resourceId\": \"$sp_id\", \"scope\": \"user_impersonation\"}" \
  --output none; then
  log 'granted user_impersonation for all users: operators sign in without a consent prompt'
else
  log 'could not grant consent for all users (needs Cloud Application Administrator or Application Administrator);'
  log 'each operator is asked to consent on first sign-in, or an admin grants it once: Enterprise applications >'
  log "the operator API ($app_id) > Permissions > Grant admin consent"
fi
