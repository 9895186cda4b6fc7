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

# Graph application permissions that are a path to Global Administrator.
TIER0='^(Application|AppRoleAssignment|Directory|RoleManagement)\.ReadWrite\.|^RoleAssignmentSchedule\.ReadWrite\.'

# Prints the Tier-0 Graph permissions granted to the app's service principal, one per line.
tier0_grants() {
  graph_sp_id=$(az ad sp show --id "$GRAPH_APP_ID" --query id --output tsv)
  granted=$(az rest --method GET --uri "$GRAPH_URL/servicePrincipals(appId='$target_app_id')/appRoleAssignments" \
    --query "value[?resourceId=='$graph_sp_id'].appRoleId" --output tsv) || die 'cannot read the app role grants'
  az ad sp show --id "$GRAPH_APP_ID" --query 'appRoles[].[id, value]' --output tsv |
    awk -v granted="$granted" 'BEGIN { n = split(granted, ids, /[ \t\n]+/); for (i = 1; i <= n; i++) g[ids[i]] = 1 }
      ($1 in g) { print $2 }' | grep -E "$TIER0" || true
}

app_object_id=$(az ad app show --id "$target_app_id" --query id --output tsv)
if az ad sp show --id "$target_app_id" --query id --output none 2>/dev/null; then
  dangerous=$(tier0_grants)
  directory_roles=$(az rest --method GET --query 'length(value)' --output tsv \
    --uri "$GRAPH_URL/servicePrincipals(appId='$target_app_id')/transitiveMemberOf/microsoft.graph.directoryRole") ||
    die 'cannot read the directory roles of the app'
else
  dangerous='' directory_roles=0 # no service principal in this tenant: no grants or roles here
fi
if { [ -n "$dangerous" ] || [ "$directory_roles" != 0 ]; } && [ "$allow_privileged" != --allow-privileged ]; then
  log "app $target_app_id is privileged: Graph permissions [${dangerous:-none}], directory roles: $directory_roles"
  die 'rotate it by hand, or pass --allow-privileged after a security review'
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
