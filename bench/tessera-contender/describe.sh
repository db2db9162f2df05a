#!/usr/bin/env bash
# One line for the report: what this contender is, with the versions it runs.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
deps="$here/out/TesseraContender.deps.json"
v() { grep -o "\"$1/[0-9][^\"]*\"" "$deps" 2>/dev/null | head -1 | sed 's|.*/||; s|"||g'; }
commit="$(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "Tessera ($commit) AddTessera + UseTessera: hash per session, Lua load+refresh, delta commits, HINCRBY counter for /view (StackExchange.Redis $(v StackExchange.Redis)); Release publish, defaults (Server GC, TieredPGO)"
