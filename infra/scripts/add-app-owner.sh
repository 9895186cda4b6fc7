#!/bin/sh
# Makes the rotator identity an owner of one app registration, which is what Application.ReadWrite.OwnedBy needs.
# Adding owners is privileged (Application Administrator or the app's current owner), so onboarding stays a
# deliberate human step. Refuses Tier-0 apps: owning one would let the rotator mint credentials for it.
#   infra/scripts/add-app-owner.sh <app-client-id> [--allow-privileged]
set -eu
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
require_env ROTATOR_IDENTITY_PRINCIPAL_ID
[ $# -ge 1 ] || die 'usage: add-app-owner.sh <app-client-id> [--allow-privileged]'
target_app_id=$1
allow_privileged=${2:-}

app_object_id=$(az ad app show --id "$target_app_id" --query id --output tsv)

# Graph application permissions and directory roles that make an app Tier-0.
dangerous=$(az rest --method GET \
  --uri "$GRAPH_URL/servicePrincipals(appId='$target_app_id')/appRoleAssignments" \
  --query 'value[].appRoleId' --output tsv 2>/dev/null | while read -r role_id; do
  az ad sp show --id "$GRAPH_APP_ID" --query "appRoles[?id=='$role_id'].value | [0]" --output tsv
done | grep -E '^(Application\.ReadWrite\.All|AppRoleAssignment\.ReadWrite\.All|RoleManagement\.ReadWrite\.|Directory\.ReadWrite\.All)' || true)
directory_roles=$(az rest --method GET \
  --uri "$GRAPH_URL/servicePrincipals(appId='$target_app_id')/transitiveMemberOf/microsoft.graph.directoryRole" \
  --query 'length(value)' --output tsv 2>/dev/null || echo 0)
if { [ -n "$dangerous" ] || [ "$directory_roles" != 0 ]; } && [ "$allow_privileged" != --allow-privileged ]; then
  die "app $target_app_id is privileged (Graph: ${dangerous:-none}; directory roles: $directory_roles). Rotate it by hand, or pass --allow-privileged after a security review."
fi

already=$(az rest --method GET --uri "$GRAPH_URL/applications/$app_object_id/owners?\$select=id" \
  --query "length(value[?id=='$ROTATOR_IDENTITY_PRINCIPAL_ID'])" --output tsv)
if [ "$already" != 0 ]; then
  log "identity already owns $target_app_id"
  exit 0
fi
az rest --method POST --uri "$GRAPH_URL/applications/$app_object_id/owners/\$ref" \
  --headers 'Content-Type=application/json' \
  --body "{\"@odata.id\":\"$GRAPH_URL/directoryObjects/$ROTATOR_IDENTITY_PRINCIPAL_ID\"}" --output none
log "identity now owns $target_app_id"
