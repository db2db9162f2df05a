#!/usr/bin/env bash
# Runs every test on a fresh machine: installs what the tests start (redis-server, redis-sentinel,
# redis-cli; Chromium for the browser tests; curl and unzip for the adoption check; a C toolchain and
# pkg-config for Valkey; clang, zlib1g-dev and node for the Native AOT check) when it is missing, builds
# valkey-server once from the Valkey source tarball (tests/servers/valkey.sh: cached outside the repository
# by the tarball's SHA-256, about 2 minutes cold), runs `dotnet test`, then tests/adoption/run.sh (the
# packages in a fresh app and the CLI as a dotnet tool), then tests/aot/run.sh (the contender published with
# Native AOT passes the peers-bench contract; the publish is cached by its inputs' hash, 2-3 minutes cold).
# Usage: ./test.sh [extra dotnet test arguments]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v redis-sentinel >/dev/null || need+=(redis-sentinel)
command -v redis-cli >/dev/null || need+=(redis-tools)
command -v chromium >/dev/null || need+=(chromium)
command -v curl >/dev/null || need+=(curl)
command -v openssl >/dev/null || need+=(openssl)
command -v unzip >/dev/null || need+=(unzip)
{ command -v make && command -v cc; } >/dev/null || need+=(build-essential)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v clang >/dev/null || need+=(clang)
[[ -f /usr/include/zlib.h ]] || need+=(zlib1g-dev)
command -v node >/dev/null || need+=(nodejs)
if ((${#need[@]})); then
  echo "Installing ${need[*]} with apt-get ..." >&2
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v dotnet >/dev/null || { echo "The .NET SDK 10 is required: https://dot.net/download" >&2; exit 1; }

# Before the tests, so the Valkey suites' fixture finds the binary and a cold build does not count against any test.
valkey_server="$(tests/servers/valkey.sh)"
echo "valkey-server: $valkey_server"
dotnet build Tessera.slnx -c Release --nologo -v quiet
if (($#)); then
  dotnet test --solution Tessera.slnx -c Release --no-build "$@"
else
  # Latency bounds (the fault suite) are measured alone, after the rest, not beside Chromium and the topologies.
  dotnet test --solution Tessera.slnx -c Release --no-build -- --filter-not-trait "Category=Timing"
  dotnet test --project tests/Tessera.IntegrationTests/Tessera.IntegrationTests.csproj -c Release --no-build -- --filter-trait "Category=Timing"
fi
tests/adoption/run.sh
tests/aot/run.sh
