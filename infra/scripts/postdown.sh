#!/bin/sh
# azd postdown hook: the deleted vault stays soft-deleted (purge protection) with its name for 90 days, so the next
# provision of this environment must use a new vault name. Its secrets stay recoverable until then:
#   az keyvault recover --name <old vault name>   (see infra/README.md, "Roll back").
set -eu
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
azd env set ROTATOR_VAULT_SUFFIX ''
log 'vault name suffix cleared; the next azd up creates a vault with a new name'
