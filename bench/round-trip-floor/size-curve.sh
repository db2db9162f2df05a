#!/usr/bin/env bash
# Redis CPU and app CPU per session read at 64 B, 2 KB and 32 KB (one value of that size; the shape of
# aspnet/Benchmarks' DistributedCache scenario), through RedisSessionStore.LoadAsync (a plain HGETALL).
# wrk -c64, 4 s warm-up + 10 s per size, loopback only; redis-server and the app are started here and
# stopped by PID. Usage: bench/round-trip-floor/size-curve.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PORT="${PORT:-18097}"; RP="${REDIS_PORT:-6397}"
command -v wrk >/dev/null && command -v redis-server >/dev/null || { echo "needs wrk and redis-server (apt-get install -y wrk redis-server)" >&2; exit 2; }
dotnet publish "$here/RoundTripFloor.csproj" -c Release -o "$here/out" --nologo -v quiet >&2
redis-server --port "$RP" --bind 127.0.0.1 --save '' --appendonly no >/dev/null 2>&1 &
rpid=$!
for _ in $(seq 1 50); do redis-cli -p "$RP" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
cd "$here/out"
PORT=$PORT REDIS_URL=127.0.0.1:$RP ASPNETCORE_ENVIRONMENT=Production dotnet RoundTripFloor.dll >/dev/null 2>&1 &
apid=$!
trap 'kill $apid $rpid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -s "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.2; done
redis_cpu() { redis-cli -p "$RP" info cpu | tr -d '\r' | awk -F: '/^used_cpu_(sys|user):/ {s += $2} END {printf "%.6f", s}'; }
echo "| session size | req/s | app CPU µs/read | Redis CPU µs/read |"
echo "|---:|---:|---:|---:|"
for size in 64 2048 32768; do
  wrk -t1 -c64 -d4s "http://127.0.0.1:$PORT/read-$size" >/dev/null 2>&1
  t0=$(awk '{print $14+$15}' "/proc/$apid/stat"); r0=$(redis_cpu)
  out=$(wrk -t1 -c64 -d10s "http://127.0.0.1:$PORT/read-$size" 2>&1)
  t1=$(awk '{print $14+$15}' "/proc/$apid/stat"); r1=$(redis_cpu)
  n=$(echo "$out" | grep -oE "[0-9]+ requests in" | grep -oE "^[0-9]+")
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  app=$(( (t1 - t0) * 1000000 / $(getconf CLK_TCK) / n ))
  rcpu=$(awk -v a="$r0" -v b="$r1" -v n="$n" 'BEGIN {printf "%.1f", (b - a) * 1000000 / n}')
  echo "| $size B | $rps | $app | $rcpu |"
done
