#!/usr/bin/env bash
# Times the operators' tools against a Redis that generate.sh filled: tessera stats, list (a page,
# and a rare filter that walks the whole keyspace), cleanup --dry-run, a user's devices (the heavy
# user's 100 and a typical one), and the dashboard's overview (OverviewProbe). Wall time of each
# process, one run each, in order. Usage: bench/million/measure.sh 127.0.0.1:PORT [CLI_DIR] [PROBE_DIR]
#   CLI_DIR / PROBE_DIR: directories with a Release build of Tessera.Cli / OverviewProbe
#   (built here into bench/million/out when not given).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"; root="$here/../.."
redis="${1:?usage: measure.sh 127.0.0.1:PORT [CLI_DIR] [PROBE_DIR]}"
case "$redis" in 127.0.0.1:*|localhost:*) ;; *) echo "loopback only" >&2; exit 2;; esac
cli="${2:-$here/out/cli}"; probe="${3:-$here/out/probe}"
[ -f "$cli/Tessera.Cli.dll" ] || dotnet build "$root/src/Tessera.Cli" -c Release -o "$cli" --nologo -v quiet >&2
[ -f "$probe/OverviewProbe.dll" ] || dotnet build "$here/OverviewProbe" -c Release -o "$probe" --nologo -v quiet >&2
t() { # label, command...: wall time, the last line of output
  local label="$1"; shift
  local s e out; s=$(date +%s.%N); out="$(timeout 600 "$@" 2>&1 | tail -n 2 | tr "\n" " ")"; e=$(date +%s.%N)
  printf '| %s | %.2f s | %s |\n' "$label" "$(echo "$e - $s" | bc)" "${out:0:110}"
}
echo "keys: $(redis-cli -h "${redis%:*}" -p "${redis#*:}" dbsize); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| command | wall time | last line |"
echo "|---|---:|---|"
t "tessera stats" dotnet "$cli/Tessera.Cli.dll" stats --top 5 --redis "$redis"
t "tessera stats --sample 10000" dotnet "$cli/Tessera.Cli.dll" stats --sample 10000 --redis "$redis"
t "tessera list --limit 50" dotnet "$cli/Tessera.Cli.dll" list --limit 50 --redis "$redis"
t "tessera list --no-ttl --limit 5000 (walks every key)" dotnet "$cli/Tessera.Cli.dll" list --no-ttl --limit 5000 --redis "$redis"
t "tessera cleanup (dry run)" dotnet "$cli/Tessera.Cli.dll" cleanup --redis "$redis"
t "tessera user sessions heavy (100 devices)" dotnet "$cli/Tessera.Cli.dll" user sessions heavy --redis "$redis"
t "tessera user sessions u7" dotnet "$cli/Tessera.Cli.dll" user sessions u7 --redis "$redis"
# Ctrl+C: SIGINT to the CLI process (its own PID, not a shell's) 5 s into a full stats scan; how long until it exits.
# Job control on (set -m): a non-interactive shell starts background jobs with SIGINT ignored.
set -m
dotnet "$cli/Tessera.Cli.dll" stats --redis "$redis" >/dev/null 2>&1 &
pid=$!; sleep 5; s=$(date +%s.%N); kill -INT "$pid"; set +e; wait "$pid"; code=$?; set -e; e=$(date +%s.%N)
set +m
printf '| tessera stats, SIGINT after 5 s | exit %s, %.2f s after the signal | |\n' "$code" "$(echo "$e - $s" | bc)"
dotnet "$probe/OverviewProbe.dll" "$redis" 3 ${RESAMPLES:-20} ${TRUE_SESSIONS:-}
