#!/usr/bin/env bash
# Native AOT check: publishes the peers-bench contender (bench/tessera-contender: Tessera.AspNetCore in a
# minimal-API app) with PublishAot=true, warnings as errors (so a trim or AOT warning anywhere in Tessera,
# its dependencies or the app fails the publish), runs the native binary against a redis-server started
# here on a free loopback port, and runs the peers-bench contract check (../shared/peers-bench/lib/client.mjs
# check: 14 checks: login, counting views, peek, isolation, logout, a garbage cookie). Then it measures
# start-up of the native binary beside the JIT build of the same app (bin/Release of the solution build):
# time from exec to the first 200 on GET /health, to the first 200 on POST /login (the first Redis work),
# and resident memory (VmRSS after the contract check, VmHWM the peak).
# The publish (2-4 minutes on 2 cores) is cached outside the repository, keyed by a hash of its inputs
# (the contender, src/Tessera, src/Tessera.AspNetCore, the props files): ${XDG_CACHE_HOME:-~/.cache}/tessera/aot/<hash>.
# Needs: the .NET 10 SDK, clang and zlib1g-dev (Native AOT's linker and zlib), node >= 18 (the contract
# client), redis-server, curl. ./test.sh installs them with apt.
# Env: PEERS_BENCH (the harness; default ../shared/peers-bench beside the repository, else
# /work/shared/peers-bench), RUNS (start-up measurements per build, default 1; the median is printed).
# Usage: tests/aot/run.sh          exit 0 when the publish and the contract check passed.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
start=$SECONDS
runs="${RUNS:-1}"
[[ "$runs" =~ ^[1-9][0-9]?$ ]] || { echo "aot: RUNS must be a whole number from 1 to 99 (start-up measurements per build), not '$runs'." >&2; exit 2; }

for tool in dotnet clang node redis-server curl; do
  command -v "$tool" >/dev/null || { echo "aot: $tool is required: sudo apt-get install -y clang zlib1g-dev nodejs redis-server curl (./test.sh does this)." >&2; exit 1; }
done
[[ -f /usr/include/zlib.h ]] || { echo "aot: zlib1g-dev is required by Native AOT: sudo apt-get install -y zlib1g-dev (./test.sh does this)." >&2; exit 1; }

harness="${PEERS_BENCH:-}"
if [[ -z "$harness" ]]; then
  for candidate in "$repo/../shared/peers-bench" /work/shared/peers-bench; do
    [[ -f "$candidate/lib/client.mjs" ]] && { harness="$candidate"; break; }
  done
fi
[[ -n "$harness" && -f "$harness/lib/client.mjs" ]] || { echo "aot: the peers-bench harness (lib/client.mjs) was not found: set PEERS_BENCH." >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/tessera-aot.XXXXXX")"
redis_pid="" app_pid=""
cleanup() {
  local code=$?
  [[ -n "$app_pid" ]] && kill "$app_pid" 2>/dev/null && wait "$app_pid" 2>/dev/null || true
  [[ -n "$redis_pid" ]] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null || true
  rm -rf "$work"
  if ((code == 0)); then echo "aot: ok in $((SECONDS - start)) s"; else echo "aot: FAILED (exit $code) after $((SECONDS - start)) s" >&2; fi
}
trap cleanup EXIT

free_port() {
  local port
  for _ in $(seq 1 100); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  echo "aot: no free port found" >&2; return 1
}

# 1. The native publish, cached by the hash of what goes into it.
contender="$repo/bench/tessera-contender"
stamp="$( (cd "$repo" && cat Directory.Build.props Directory.Packages.props global.json src/Directory.Build.props \
  bench/tessera-contender/TesseraContender.csproj bench/tessera-contender/Program.cs bench/tessera-contender/appsettings.json \
  && find src/Tessera src/Tessera.AspNetCore \( -name '*.cs' -o -name '*.csproj' -o -name '*.txt' \) -not -path '*/obj/*' -not -path '*/bin/*' | sort | xargs cat) \
  | sha256sum | cut -c1-16)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/tessera/aot/$stamp"
native="$cache/TesseraContender"
if [[ ! -x "$native" ]]; then
  echo "aot: publishing bench/tessera-contender with PublishAot=true (inputs $stamp; a few minutes on 2 cores) ..."
  publish_start=$SECONDS
  # Its own artifacts folder: the solution's bin/ and obj/ stay as the solution build left them.
  if ! dotnet publish "$contender/TesseraContender.csproj" -c Release -r linux-x64 -p:PublishAot=true \
      -p:TreatWarningsAsErrors=true --artifacts-path "$work/artifacts" -o "$work/native" --nologo >"$work/publish.log" 2>&1; then
    grep -E "warning|error" "$work/publish.log" >&2 || tail -n 40 "$work/publish.log" >&2
    echo "aot: the Native AOT publish failed (above); a trim or AOT warning counts as a failure." >&2
    exit 1
  fi
  if grep -qE "warning (IL|SYSLIB|ASP)" "$work/publish.log"; then
    grep -E "warning" "$work/publish.log" >&2
    echo "aot: the Native AOT publish warned (above)." >&2
    exit 1
  fi
  mkdir -p "$cache"
  cp "$work/native/TesseraContender" "$cache/TesseraContender.tmp"
  cp "$work/native/appsettings.json" "$cache/appsettings.json"
  mv "$cache/TesseraContender.tmp" "$native"
  echo "aot: published in $((SECONDS - publish_start)) s, $(($(stat -c %s "$native") / 1024 / 1024)) MiB"
else
  echo "aot: the native contender for inputs $stamp is cached ($native)"
fi

jit="$contender/bin/Release/net10.0/TesseraContender.dll"
if [[ ! -f "$jit" ]]; then
  dotnet build "$contender/TesseraContender.csproj" -c Release --nologo -v quiet >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
fi

# 2. redis-server for both.
redis_port="$(free_port)"
mkdir -p "$work/redis"
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work/redis" --save '' --appendonly no --daemonize no --logfile "$work/redis/log" &
redis_pid=$!
for _ in $(seq 1 50); do redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Starts a contender (native binary, or dotnet + dll), measures, runs the contract check when asked, stops it.
# Prints: health_ms login_ms rss_kib hwm_kib
measure() {
  local what="$1" check="$2" port t0 health="" login="" rss hwm
  port="$(free_port)"
  redis-cli -p "$redis_port" flushall >/dev/null
  t0="$(now_ms)"
  if [[ "$what" == native ]]; then
    (cd "$cache" && PORT="$port" REDIS_URL="127.0.0.1:$redis_port" ASPNETCORE_ENVIRONMENT=Production exec "$native") >"$work/app.log" 2>&1 &
  else
    (cd "$(dirname "$jit")" && PORT="$port" REDIS_URL="127.0.0.1:$redis_port" ASPNETCORE_ENVIRONMENT=Production exec dotnet "$jit") >"$work/app.log" 2>&1 &
  fi
  app_pid=$!
  while (($(now_ms) - t0 < 30000)); do
    if [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health" 2>/dev/null)" == 200 ]]; then health=$(($(now_ms) - t0)); break; fi
    kill -0 "$app_pid" 2>/dev/null || break
    sleep 0.005
  done
  [[ -n "$health" ]] || { cat "$work/app.log" >&2; echo "aot: the $what contender never answered /health" >&2; return 1; }
  [[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/login?user=first")" == 200 ]] && login=$(($(now_ms) - t0))
  [[ -n "$login" ]] || { cat "$work/app.log" >&2; echo "aot: the $what contender's first login was not 200" >&2; return 1; }
  if [[ "$check" == check ]]; then
    if ! node "$harness/lib/client.mjs" check "http://127.0.0.1:$port" >"$work/check.log" 2>&1; then
      cat "$work/check.log" "$work/app.log" >&2; echo "aot: the $what contender failed the peers-bench contract" >&2; return 1
    fi
    sed 's/^/aot:   /' "$work/check.log" | tail -n 1 >&2
  fi
  rss="$(awk '/^VmRSS/ {print $2}' "/proc/$app_pid/status")"
  hwm="$(awk '/^VmHWM/ {print $2}' "/proc/$app_pid/status")"
  kill "$app_pid"; wait "$app_pid" 2>/dev/null || true; app_pid=""
  echo "$health $login $rss $hwm"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "aot: the native contender against redis-server 127.0.0.1:$redis_port: the peers-bench contract"
for build in native jit; do
  : >"$work/$build.txt"
  for run in $(seq 1 "$runs"); do
    # The contract on the first run of each build: the JIT build is the one peers-bench measures.
    measure "$build" "$([[ $run == 1 ]] && echo check || echo no)" >>"$work/$build.txt"
  done
done
printf 'aot: %-7s %18s %22s %14s %14s  (median of %s)\n' build "first /health 200" "first /login 200" "VmRSS" "VmHWM" "$runs"
for build in native jit; do
  printf 'aot: %-7s %15s ms %19s ms %10s MiB %10s MiB\n' "$build" \
    "$(cut -d' ' -f1 "$work/$build.txt" | median)" "$(cut -d' ' -f2 "$work/$build.txt" | median)" \
    "$(( $(cut -d' ' -f3 "$work/$build.txt" | median) / 1024 ))" "$(( $(cut -d' ' -f4 "$work/$build.txt" | median) / 1024 ))"
done
