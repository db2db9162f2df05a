#!/usr/bin/env bash
# Starts a redis-server of its own on a free loopback port and fills it with COUNT realistic Tessera
# sessions (default 1,000,000; see generate.py for the mix), pipelined through `redis-cli --pipe`.
# Leaves the server running for the measurements and prints its endpoint and PID (the redis-server's
# own, not a shell's); stop it with `kill PID`, or run with STOP=1 to stop it at the end.
#   bench/million/generate.sh            # 1,000,000 sessions
#   COUNT=20000 STOP=1 bench/million/generate.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
COUNT="${COUNT:-1000000}"; USERS="${USERS:-$((COUNT * 3 / 20))}"; PREFIX="${PREFIX:-session:}"
DIR="${DIR:-$(mktemp -d /tmp/tessera-million.XXXXXX)}"; mkdir -p "$DIR"
command -v redis-server >/dev/null && command -v redis-cli >/dev/null && command -v python3 >/dev/null ||
  { echo "needs redis-server, redis-cli (apt-get install -y redis-server redis-tools) and python3" >&2; exit 2; }
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$DIR" --logfile "$DIR/redis.log" >/dev/null 2>&1 </dev/null &
pid=$!   # the redis-server itself: bash forks and execs it
echo "$pid" > "$DIR/redis.pid"; echo "127.0.0.1:$port" > "$DIR/endpoint"
trap '[ "${STOP:-0}" = 1 ] && kill "$pid" 2>/dev/null; true' EXIT
for _ in $(seq 1 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$port" ping >/dev/null || { echo "redis-server did not answer within 10 s" >&2; exit 1; }
read -r secs micros <<<"$(redis-cli -p "$port" time | tr '\n' ' ')"
now_ms=$(( secs * 1000 + micros / 1000 ))
before="$(redis-cli -p "$port" info memory | awk -F: '/^used_memory:/{print $2+0}')"
start=$(date +%s.%N)
python3 "$here/generate.py" --count "$COUNT" --users "$USERS" --prefix "$PREFIX" --now-ms "$now_ms" |
  timeout 900 redis-cli -p "$port" --pipe --pipe-timeout 60 | tail -n 2 >&2
end=$(date +%s.%N)
after="$(redis-cli -p "$port" info memory | awk -F: '/^used_memory:/{print $2+0}')"
keys="$(redis-cli -p "$port" dbsize)"
printf 'wrote %s sessions (%s keys) in %.1f s; used_memory +%d MiB (%d bytes per session)\n' \
  "$COUNT" "$keys" "$(echo "$end - $start" | bc)" $(( (after - before) / 1048576 )) $(( (after - before) / COUNT ))
echo "endpoint 127.0.0.1:$port  redis-server PID $pid  dir $DIR"
[ "${STOP:-0}" = 1 ] || echo "stop it with: kill $pid"
