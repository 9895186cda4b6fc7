# Shared helpers for the azd hook and admin scripts. Sourced, not run.
# Scripts never print secret values: secrets go through files with mode 600, never through arguments or stdout.

# shellcheck disable=SC2034 # used by the scripts that source this file
GRAPH_APP_ID='00000003-0000-0000-c000-000000000000'
# Microsoft Graph of the cloud the deployment runs in (main.bicep output ROTATOR_GRAPH_URL; public cloud before
# the first provision).
# shellcheck disable=SC2034
GRAPH_URL="${ROTATOR_GRAPH_URL:-https://graph.microsoft.com}/v1.0"

log() { printf '[rotator] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# require_env NAME... : fail early, naming every missing variable at once.
require_env() {
  missing=''
  for name in "$@"; do
    eval "value=\${$name:-}"
    [ -n "$value" ] || missing="$missing $name"
  done
  [ -z "$missing" ] || die "missing environment values:$missing (run inside azd, or: set -a; eval \"\$(azd env get-values)\"; set +a)"
}

# Role assignments and function indexing take minutes to propagate; slow tenants can wait longer.
RETRY_ATTEMPTS=${ROTATOR_RETRY_ATTEMPTS:-20}
RETRY_DELAY=${ROTATOR_RETRY_DELAY:-15}

# retry ATTEMPTS DELAY_SECONDS command...
retry() {
  attempts=$1 delay=$2
  shift 2
  i=1
  until "$@"; do
    [ "$i" -lt "$attempts" ] || return 1
    log "not ready yet (attempt $i of $attempts); retrying in ${delay}s"
    sleep "$delay"
    i=$((i + 1))
  done
}

new_uuid() {
  if command -v uuidgen >/dev/null 2>&1; then uuidgen | tr 'A-F' 'a-f'; else cat /proc/sys/kernel/random/uuid; fi
}

# graph_role_id VALUE : id of a Microsoft Graph application permission (app role) by its name.
graph_role_id() {
  az ad sp show --id "$GRAPH_APP_ID" --query "appRoles[?value=='$1'].id | [0]" --output tsv
}
