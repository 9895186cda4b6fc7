#!/bin/sh
# Admin fallback for infra/app/graph.bicep (deployGraphResources=false). Run once, signed in with `az login` as a
# Privileged Role Administrator (app-role grants) who may also create app registrations. Idempotent.
#   set -a; eval "$(azd env get-values)"; set +a; infra/scripts/grant-graph-permissions.sh
set -eu
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
require_env ROTATOR_IDENTITY_PRINCIPAL_ID ROTATOR_OPERATOR_API_AUDIENCE

graph_sp_id=$(az ad sp show --id "$GRAPH_APP_ID" --query id --output tsv)

# Least privilege: OwnedBy (only apps the identity owns) + sign-in logs. Never Application.ReadWrite.All.
for permission in Application.ReadWrite.OwnedBy AuditLog.Read.All; do
  role_id=$(graph_role_id "$permission")
  [ -n "$role_id" ] || die "Microsoft Graph has no app role $permission"
  granted=$(az rest --method GET \
    --uri "$GRAPH_URL/servicePrincipals/$ROTATOR_IDENTITY_PRINCIPAL_ID/appRoleAssignments" \
    --query "length(value[?appRoleId=='$role_id'])" --output tsv)
  if [ "$granted" = 0 ]; then
    az rest --method POST --uri "$GRAPH_URL/servicePrincipals/$ROTATOR_IDENTITY_PRINCIPAL_ID/appRoleAssignments" \
      --headers 'Content-Type=application/json' \
      --body "{\"principalId\":\"$ROTATOR_IDENTITY_PRINCIPAL_ID\",\"resourceId\":\"$graph_sp_id\",\"appRoleId\":\"$role_id\"}" \
      --output none
    log "granted $permission"
  else
    log "$permission already granted"
  fi
done

# Operator API app registration with the Rotation.Read / Rotation.Write app roles.
app_id=$(az ad app list --identifier-uri "$ROTATOR_OPERATOR_API_AUDIENCE" --query '[0].appId' --output tsv)
if [ -z "$app_id" ]; then
  roles_file=$(mktemp)
  trap 'rm -f "$roles_file"' EXIT
  cat >"$roles_file" <<JSON
[
  {"id": "$(new_uuid)", "value": "Rotation.Read", "displayName": "Read rotations",
   "description": "List credentials, rotations and their evidence.",
   "allowedMemberTypes": ["User", "Application"], "isEnabled": true},
  {"id": "$(new_uuid)", "value": "Rotation.Write", "displayName": "Operate rotations",
   "description": "Start, approve, pause, resume and roll back rotations.",
   "allowedMemberTypes": ["User", "Application"], "isEnabled": true}
]
JSON
  app_id=$(az ad app create --display-name 'Entra credential rotator operator API' \
    --sign-in-audience AzureADMyOrg --identifier-uris "$ROTATOR_OPERATOR_API_AUDIENCE" \
    --app-roles "@$roles_file" --query appId --output tsv)
  log "created operator API app registration $app_id"
fi
if ! az ad sp show --id "$app_id" --query id --output none 2>/dev/null; then
  az ad sp create --id "$app_id" --output none
fi
# Only principals assigned Rotation.Read or Rotation.Write can obtain a token for the API.
az ad sp update --id "$app_id" --set appRoleAssignmentRequired=true --output none
log "operator API ready: audience $ROTATOR_OPERATOR_API_AUDIENCE, app id $app_id"
