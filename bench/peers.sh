#!/usr/bin/env bash
# The whole-request load run: Tessera's contender beside the stock ASP.NET session and the peer
# stacks, on one Redis, with ../shared/peers-bench (the steering repo's harness; see its README).
# Usage: bench/peers.sh   (knobs of the harness pass through: DURATION, CONNS, ENDPOINTS, PIN, ...)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
harness="${PEERS_BENCH:-$here/../../shared/peers-bench}"
[[ -x "$harness/bench.sh" ]] || { echo "peers-bench harness not found at $harness (set PEERS_BENCH)" >&2; exit 2; }
export CONTENDERS="${CONTENDERS:-aspnet-builtin express-connect-redis express-connect-redis-cluster2 php-fpm-redis}"
export CONTENDER_DIRS="$here/tessera-contender${CONTENDER_DIRS:+ $CONTENDER_DIRS}"
exec "$harness/bench.sh"
