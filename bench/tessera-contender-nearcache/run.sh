#!/usr/bin/env bash
# peers-bench contender: the Tessera contender (../tessera-contender) with the near cache on
# (TesseraOptions.NearCache.Enabled). Same build, same contract; compare the two in one run.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export TESSERA_NEAR_CACHE=1
exec "$here/../tessera-contender/run.sh"
