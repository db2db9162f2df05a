#!/usr/bin/env bash
# The near cache's memory per kept session (see Program.cs). Starts its own redis-server on a loopback
# port and stops it by PID. Usage: bench/near-cache-memory/run.sh   (COUNT=10000 by default)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RP="${REDIS_PORT:-6397}"
command -v redis-server >/dev/null || { echo "needs redis-server (apt-get install -y redis-server)" >&2; exit 2; }
dotnet build "$here/NearCacheMemory.csproj" -c Release -o "$here/out" --nologo -v quiet >&2
redis-server --port "$RP" --bind 127.0.0.1 --save '' --appendonly no >/dev/null 2>&1 &
rpid=$!
trap 'kill $rpid 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do redis-cli -p "$RP" ping >/dev/null 2>&1 && break; sleep 0.1; done
REDIS_URL="127.0.0.1:$RP" dotnet "$here/out/NearCacheMemory.dll"
