#!/bin/sh
# Creates (once) the operator API app registration and prints its client id. Idempotent: it finds the registration
# of this azd environment by its tag. The registration issues v2.0 access tokens (aud = client id), its identifier
# URI is the default form api://<client id> (allowed by tenant app-management policies), and only principals
# assigned Rotation.Read, Rotation.Write or Rotation.Admin can get a token for it. It exposes one delegated scope,
# user_impersonation, which the dashboard asks for when an operator signs in (dashboard-sign-in.sh adds the page's
# redirect URI once the function app exists).
# Needs: the right to create app registrations (default for members unless restricted; otherwise the Application
# Developer role). Run by preprovision.sh.
#   infra/scripts/operator-api.sh <azd-environment-name>
set -eu
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
[ $# -eq 1 ] || die 'usage: operator-api.sh <azd-environment-name>'

# The delegated scope the dashboard signs in with. Users still need an app role: the scope alone grants nothing.
user_impersonation_scope() {
  cat <<JSON
{"id": "$(new_uuid)", "value": "user_impersonation", "type": "User", "isEnabled": true,
 "adminConsentDisplayName": "Use the rotator's operator API as the signed-in operator",
 "adminConsentDescription": "Lets the rotator dashboard call the operator API on behalf of the signed-in operator, within the app roles the operator holds.",
 "userConsentDisplayName": "Use the rotator's operator API as you",
 "userConsentDescription": "Lets the rotator dashboard call the operator API as you, within the roles you hold."}
JSON
}
tag="entra-credential-rotator:$1"

app_id=$(az ad app list --filter "tags/any(t:t eq '$tag')" --query '[0].appId' --output tsv) ||
  die 'cannot list app registrations; sign in with `azd auth login` and `az login` to the target tenant'
if [ -z "$app_id" ]; then
  body=$(mktemp)
  trap 'rm -f "$body"' EXIT
  cat >"$body" <<JSON
{
  "displayName": "Entra credential rotator operator API ($1)",
  "signInAudience": "AzureADMyOrg",
  "tags": ["$tag"],
  "api": {"requestedAccessTokenVersion": 2, "oauth2PermissionScopes": [$(user_impersonation_scope)]},
  "appRoles": [
    {"id": "$(new_uuid)", "value": "Rotation.Read", "displayName": "Read rotations",
     "description": "List credentials, rotations and their evidence.",
     "allowedMemberTypes": ["User", "Application"], "isEnabled": true},
    {"id": "$(new_uuid)", "value": "Rotation.Write", "displayName": "Operate rotations",
     "description": "Start, approve, pause, resume and roll back rotations.",
     "allowedMemberTypes": ["User", "Application"], "isEnabled": true},
    {"id": "$(new_uuid)", "value": "Rotation.Admin", "displayName": "Enroll credentials",
     "description": "Decide which Key Vault secret holds which application credential (enroll, unenroll, import).",
     "allowedMemberTypes": ["User", "Application"], "isEnabled": true}
  ]
}
JSON
  if ! app_id=$(az rest --method POST --uri "$GRAPH_URL/applications" --headers 'Content-Type=application/json' \
    --body "@$body" --query appId --output tsv); then
    log 'creating the operator API app registration was refused.'
    log 'You need the right to register applications: the Application Developer role (or Cloud Application'
    log 'Administrator / Application Administrator), or the tenant setting "Users can register applications".'
    die 'ask an admin, or have them run: infra/scripts/operator-api.sh <env> and azd env set ROTATOR_OPERATOR_API_APP_ID <id>'
  fi
  log "created operator API app registration $app_id"
fi
# v2.0 tokens (aud = client id) and the default identifier URI; both are idempotent updates.
az ad app update --id "$app_id" --set api.requestedAccessTokenVersion=2 --output none
az ad app update --id "$app_id" --identifier-uris "api://$app_id" --output none
# Registrations created before the dashboard signed in have no scope yet. Graph replaces the whole scope list on
# PATCH, so only a registration without scopes is changed here; one with other scopes was customised by hand.
if [ -z "$(az ad app show --id "$app_id" --query "api.oauth2PermissionScopes[?value=='user_impersonation'].id" \
  --output tsv)" ]; then
  scopes=$(az ad app show --id "$app_id" --query 'length(api.oauth2PermissionScopes)' --output tsv)
  [ "$scopes" = 0 ] || die "app registration $app_id exposes other scopes but not user_impersonation; add it by hand (Expose an API)"
  object_id=$(az ad app show --id "$app_id" --query id --output tsv)
  az rest --method PATCH --uri "$GRAPH_URL/applications/$object_id" --headers 'Content-Type=application/json' \
    --body "{\"api\": {\"oauth2PermissionScopes\": [$(user_impersonation_scope | tr -d '\n')]}}" --output none
  log "added the delegated scope user_impersonation to $app_id (the dashboard signs in with it)"
fi
if ! az ad sp show --id "$app_id" --query id --output none 2>/dev/null; then
  az ad sp create --id "$app_id" --output none
fi
az ad sp update --id "$app_id" --set appRoleAssignmentRequired=true --output none
printf '%s\n' "$app_id"
