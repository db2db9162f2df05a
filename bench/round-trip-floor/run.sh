#!/usr/bin/env bash
# App CPU per request of: no Redis, one GET, one HGETALL, the Load script by EVAL and by EVALSHA,
# and RedisSessionStore.LoadAsync. wrk -c64, 4 s warm-up + 10 s per endpoint, loopback only;
# redis-server and the app are started here and stopped by PID. Usage: bench/round-trip-floor/run.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PORT="${PORT:-18096}"; RP="${REDIS_PORT:-6396}"
command -v wrk >/dev/null && command -v redis-server >/dev/null || { echo "needs wrk and redis-server (apt-get install -y wrk redis-server)" >&2; exit 2; }
dotnet publish "$here/RoundTripFloor.csproj" -c Release -o "$here/out" --nologo -v quiet >&2
redis-server --port "$RP" --bind 127.0.0.1 --save '' --appendonly no >/dev/null 2>&1 &
rpid=$!
cd "$here/out"
PORT=$PORT REDIS_URL=127.0.0.1:$RP ASPNETCORE_ENVIRONMENT=Production dotnet RoundTripFloor.dll >/dev/null 2>&1 &
apid=$!
trap 'kill $apid $rpid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -s "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.2; done
echo "| endpoint | req/s | app CPU µs/req |"
echo "|---|---:|---:|"
for ep in health get hgetall eval-load evalsha-load store-load; do
  wrk -t1 -c64 -d4s "http://127.0.0.1:$PORT/$ep" >/dev/null 2>&1
  t0=$(awk '{print $14+$15}' "/proc/$apid/stat")
  out=$(wrk -t1 -c64 -d10s "http://127.0.0.1:$PORT/$ep" 2>&1)
  t1=$(awk '{print $14+$15}' "/proc/$apid/stat")
  n=$(echo "$out" | grep -oE "[0-9]+ requests in" | grep -oE "^[0-9]+")
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  echo "| $ep | $rps | $(( (t1 - t0) * 1000000 / $(getconf CLK_TCK) / n )) |"
done
