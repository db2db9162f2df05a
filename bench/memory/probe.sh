#!/usr/bin/env bash
# Redis bytes per session: for each contender (a peers-bench contender folder: run.sh reads PORT and
# REDIS_URL), a fresh redis-server on a free loopback port, SESSIONS logins with one counter bump
# each (sessions.mjs), and INFO memory used_memory before and after. Prints one line per contender
# and, for one sample key, its type, encoding, MEMORY USAGE and contents.
# Usage: bench/memory/probe.sh [CONTENDER_DIR ...]
#   default: this repository's tessera-contender, and copies of the harness's aspnet-builtin and
#   express-connect-redis (built in a scratch folder, so the shared harness is not written to).
# Env: SESSIONS (20000), PEERS_BENCH (../../shared/peers-bench), SCRATCH (/tmp/tessera-memory-probe).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
harness="${PEERS_BENCH:-$here/../../../shared/peers-bench}"
scratch="${SCRATCH:-/tmp/tessera-memory-probe}"
sessions="${SESSIONS:-20000}"
mkdir -p "$scratch"

if [[ $# -eq 0 ]]; then
  for peer in aspnet-builtin express-connect-redis; do
    [[ -d "$scratch/$peer" ]] || cp -r "$harness/contenders/$peer" "$scratch/$peer"
    chmod -R u+w "$scratch/$peer"
  done
  set -- "$here/../tessera-contender" "$scratch/aspnet-builtin" "$scratch/express-connect-redis"
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

REDIS_PID=""; APP_PGID=""
cleanup() {
  if [[ -n "$APP_PGID" ]]; then
    kill -TERM -- "-$APP_PGID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 -- "-$APP_PGID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$APP_PGID" 2>/dev/null || true
    APP_PGID=""
  fi
  if [[ -n "$REDIS_PID" ]]; then kill -TERM "$REDIS_PID" 2>/dev/null || true; wait "$REDIS_PID" 2>/dev/null || true; REDIS_PID=""; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

used() { redis-cli -h 127.0.0.1 -p "$rport" INFO memory | tr -d '\r' | sed -n 's/^used_memory:\([0-9]*\)$/\1/p'; }

printf '%-28s %8s %12s %12s %10s\n' contender sessions used_before used_after bytes/sess
for dir in "$@"; do
  name="$(basename "$(cd "$dir" && pwd)")"
  [[ "$name" == tessera-contender ]] && name="tessera ($(cd "$dir" && git rev-parse --short HEAD 2>/dev/null || echo "$dir"))"
  PREPARE_ONLY=1 timeout 900 "$dir/run.sh" >/dev/null
  rport="$(free_port)"; aport="$(free_port)"
  redis-server --bind 127.0.0.1 --port "$rport" --save '' --appendonly no --daemonize no --logfile "$scratch/redis-$rport.log" &
  REDIS_PID=$!
  for _ in $(seq 50); do redis-cli -p "$rport" PING 2>/dev/null | grep -q PONG && break; sleep 0.1; done
  PORT="$aport" REDIS_URL="127.0.0.1:$rport" setsid "$dir/run.sh" > "$scratch/app-$aport.log" 2>&1 &
  APP_PGID=$!
  for _ in $(seq 900); do curl -sf "http://127.0.0.1:$aport/health" >/dev/null && break; sleep 0.1; done
  curl -sf "http://127.0.0.1:$aport/health" >/dev/null || { echo "$name did not start (see $scratch/app-$aport.log)" >&2; exit 1; }
  # One login first so connections, scripts and lazy structures exist before the baseline.
  timeout 60 node "$here/sessions.mjs" "http://127.0.0.1:$aport" 1 >/dev/null
  redis-cli -p "$rport" FLUSHALL >/dev/null
  sleep 0.5
  before="$(used)"
  timeout 600 node "$here/sessions.mjs" "http://127.0.0.1:$aport" "$sessions" >/dev/null
  sleep 0.5
  after="$(used)"
  keys="$(redis-cli -p "$rport" DBSIZE)"
  printf '%-28s %8s %12s %12s %10s\n' "$name" "$keys" "$before" "$after" "$(( (after - before) / sessions ))"
  key="$(redis-cli -p "$rport" RANDOMKEY)"
  {
    echo "  sample $key: $(redis-cli -p "$rport" TYPE "$key") $(redis-cli -p "$rport" OBJECT ENCODING "$key"), MEMORY USAGE $(redis-cli -p "$rport" MEMORY USAGE "$key") bytes"
    if [[ "$(redis-cli -p "$rport" TYPE "$key")" == hash ]]; then
      redis-cli -p "$rport" HGETALL "$key" | paste - - | sed 's/^/    /'
    else
      echo "    $(redis-cli -p "$rport" GET "$key" | head -c 400)"
    fi
  } >&2
  cleanup
done
