#!/usr/bin/env bash
# peers-bench contender: Tessera (this repository's src/) behind the bench HTTP contract.
# Env: PORT (listen port on 127.0.0.1), REDIS_URL (host:port). PREPARE_ONLY=1: build and exit.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# Rebuild only when this app or the library changed (idempotent).
stamp="$( (cat TesseraContender.csproj Program.cs appsettings.json "$root/Directory.Build.props" "$root/Directory.Packages.props"; find "$root/src/Tessera" "$root/src/Tessera.AspNetCore" -name '*.cs' -not -path '*/obj/*' -not -path '*/bin/*' | sort | xargs cat) | sha256sum | cut -c1-16)"
if [[ ! -f out/TesseraContender.dll || "$(cat out/.stamp 2>/dev/null)" != "$stamp" ]]; then
  rm -rf out
  dotnet publish TesseraContender.csproj -c Release -o out --nologo -v quiet >&2
  echo "$stamp" > out/.stamp
fi
[[ "${PREPARE_ONLY:-0}" == 1 ]] && exit 0
export ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production
cd out
exec dotnet TesseraContender.dll
