#!/bin/sh
# Grants the rotator identity its three Microsoft Graph application permissions. Idempotent: grants only what is
# missing. Run by postprovision.sh; when the signed-in user may not grant them, it explains who can and exits 2,
# so an admin can run it later:
#   set -a; eval "$(azd env get-values)"; set +a; infra/scripts/grant-graph-permissions.sh
# Granting application permissions (app role assignments on Microsoft Graph) needs Privileged Role Administrator
# or Global Administrator (Cloud Application Administrator / Application Administrator cannot grant Graph roles).
set -eu
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
require_env ROTATOR_IDENTITY_PRINCIPAL_ID

graph_sp_id=$(az ad sp show --id "$GRAPH_APP_ID" --query id --output tsv)

# Least privilege: OwnedBy (only apps the identity owns) + sign-in logs, which Graph serves only with both
# AuditLog.Read.All and Directory.Read.All (the List signIns known issue). Never Application.ReadWrite.All.
for permission in Application.ReadWrite.OwnedBy AuditLog.Read.All Directory.Read.All; do
  role_id=$(graph_role_id "$permission")
  [ -n "$role_id" ] || die "Microsoft Graph has no app role $permission"
  granted=$(az rest --method GET \
    --uri "$GRAPH_URL/servicePrincipals/$ROTATOR_IDENTITY_PRINCIPAL_ID/appRoleAssignments" \
    --query "length(value[?appRoleId=='$role_id'])" --output tsv)
  if [ "$granted" = 0 ]; then
    if ! az rest --method POST --uri "$GRAPH_URL/servicePrincipals/$ROTATOR_IDENTITY_PRINCIPAL_ID/appRoleAssignments" \
      --headers 'Content-Type=application/json' \
      --body "{\"principalId\":\"$ROTATOR_IDENTITY_PRINCIPAL_ID\",\"resourceId\":\"$graph_sp_id\",\"appRoleId\":\"$role_id\"}" \
      --output none; then
      log "could not grant $permission: granting Microsoft Graph application permissions needs the"
      log 'Privileged Role Administrator (or Global Administrator) role. Ask one to run, once:'
      log '  set -a; eval "$(azd env get-values)"; set +a; infra/scripts/grant-graph-permissions.sh'
      exit 2
    fi
    log "granted $permission"
  else
    log "$permission already granted"
  fi
done
