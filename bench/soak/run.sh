#!/usr/bin/env bash
# Soak: 32 clients of mixed session load (login, read, counter, write) through a fault proxy to a real
# redis-server, a fault every 30 s (blackhole, late replies, resets every 300 ms, 50 ms latency) for
# [minutes] (default 10). Reports responses by status, any outside 200/401/503, reads that got another
# user's session, and the RSS growth; exits 1 if any response was outside 200/401/503. Not in CI.
set -euo pipefail
cd "$(dirname "$0")"
dotnet build Soak.csproj -c Release --nologo -v quiet
exec dotnet bin/Release/net10.0/Soak.dll "${1:-10}"
