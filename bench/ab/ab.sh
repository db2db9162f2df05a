#!/usr/bin/env bash
# A/B of two peers-bench contender builds on one fresh redis-server (free loopback port): both run side by
# side, 1,000 logins each, then alternating bounded wrk runs (3 s warm-up + DUR s) on one endpoint, so the
# box's noise hits both alike. Prints req/s, Redis CPU and app CPU (process group, /proc) per request.
# Usage: bench/ab/ab.sh DIR_A DIR_B   (e.g. a copy of main's bench/tessera-contender, and this one)
# Env: EP (view), DUR (8), ROUNDS (3), PEERS_BENCH (../../../shared/peers-bench).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
H="${PEERS_BENCH:-$here/../../../shared/peers-bench}"
A="$1"; B="$2"; scratch="$(mktemp -d)"
ep=${EP:-view}; dur=${DUR:-8}; rounds=${ROUNDS:-3}
fp() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
RP=$(fp)
redis-server --bind 127.0.0.1 --port $RP --save '' --appendonly no --daemonize no --logfile $scratch/redis.log & RPID=$!
PG=()
cleanup() { for g in "${PG[@]}"; do kill -TERM -- -$g 2>/dev/null || true; done; kill $RPID 2>/dev/null || true; }
trap cleanup EXIT
sleep 0.5
declare -A PORT
for name in A B; do
  dir=$([[ $name == A ]] && echo "$A" || echo "$B")
  PREPARE_ONLY=1 timeout 900 "$dir/run.sh" >/dev/null
  p=$(fp); PORT[$name]=$p
  PORT=$p REDIS_URL=127.0.0.1:$RP setsid $dir/run.sh > $scratch/$name.log 2>&1 &
  PG+=($!)
  for _ in $(seq 300); do curl -sf http://127.0.0.1:$p/health >/dev/null && break; sleep 0.2; done
  timeout 60 node $H/lib/client.mjs login http://127.0.0.1:$p 1000 $scratch/$name.cookies >/dev/null
done
cpu() { redis-cli -p $RP INFO cpu | tr -d '\r' | awk -F: '/^used_cpu_(sys|user):/{t+=$2} END{printf "%.6f", t}'; }
gt() { cat /proc/[0-9]*/stat 2>/dev/null | awk -v g="$1" '{ s = $0; sub(/^.*\) /, "", s); n = split(s, a, " "); if (a[3] == g) t += a[12] + a[13] } END { print t + 0 }'; }
i=0
for r in $(seq $rounds); do for name in A B; do
  g=${PG[$([[ $name == A ]] && echo 0 || echo 1)]}
  COOKIE_FILE=$scratch/$name.cookies WRK_METHOD=GET WRK_PATH=/$ep timeout 30 wrk -t1 -c64 -d3s -s $H/lib/sessions.lua http://127.0.0.1:${PORT[$name]}/$ep >/dev/null
  a=$(cpu); t0=$(gt $g)
  out=$(COOKIE_FILE=$scratch/$name.cookies WRK_METHOD=GET WRK_PATH=/$ep timeout 30 wrk -t1 -c64 -d${dur}s -s $H/lib/sessions.lua http://127.0.0.1:${PORT[$name]}/$ep)
  b=$(cpu); t1=$(gt $g)
  n=$(echo "$out" | grep -oE "[0-9]+ requests in" | grep -oE "^[0-9]+")
  python3 -c "print('$ep $name round $r: req/s %.0f  redis µs/req %.2f  app µs/req %.1f' % ($n/$dur, ($b-$a)/$n*1e6, ($t1-$t0)*1e6/$(getconf CLK_TCK)/$n))"
done; done
