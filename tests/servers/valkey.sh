#!/usr/bin/env bash
# Builds valkey-server once from the Valkey source tarball and prints the binary's path.
# The build is cached outside the repository, keyed by the tarball's SHA-256:
#   ${XDG_CACHE_HOME:-~/.cache}/tessera/valkey/<sha256>/valkey-server
# so a second run (or a second worktree) prints the path at once. A lock file makes parallel callers wait
# for one build instead of running two. The test fixtures (tests/Tessera.TestUtils/ValkeyServer.cs)
# look in the same place and fail with this script's name when the binary is missing.
# The tarball is, first found: $TESSERA_VALKEY_TARBALL; shared/servers/valkey-*.tar.gz in the repository's
# parent folders (../shared/servers from a worktree under /work); /work/shared/servers/valkey-*.tar.gz.
# Needs: make, a C compiler and pkg-config (apt-get install build-essential pkg-config; ./test.sh does it).
# $TESSERA_VALKEY_SERVER, when set, names a valkey-server to use instead (nothing is built).
# The build uses the C library's malloc (MALLOC=libc): it skips building jemalloc, a minute on 2 cores, and
# the tests check behaviour, not allocator figures.
# Usage: tests/servers/valkey.sh            prints the path of valkey-server on stdout (building it first
#                                           when it is not cached), progress on stderr.
#        tests/servers/valkey.sh --cached   prints the path only when it is already built; exit 3 otherwise.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cached_only=false
[[ "${1:-}" == --cached ]] && cached_only=true

if [[ -n "${TESSERA_VALKEY_SERVER:-}" ]]; then
  [[ -x "$TESSERA_VALKEY_SERVER" ]] || { echo "valkey: TESSERA_VALKEY_SERVER=$TESSERA_VALKEY_SERVER is not an executable file." >&2; exit 1; }
  echo "$TESSERA_VALKEY_SERVER"; exit 0
fi

tarball="${TESSERA_VALKEY_TARBALL:-}"
if [[ -z "$tarball" ]]; then
  dir="$repo"
  while [[ "$dir" != / && -z "$tarball" ]]; do
    dir="$(dirname "$dir")"
    for candidate in "$dir"/shared/servers/valkey-*.tar.gz; do
      [[ -f "$candidate" ]] && tarball="$candidate"
    done
  done
  if [[ -z "$tarball" ]]; then
    for candidate in /work/shared/servers/valkey-*.tar.gz; do
      [[ -f "$candidate" ]] && tarball="$candidate"
    done
  fi
fi
[[ -n "$tarball" && -f "$tarball" ]] || {
  echo "valkey: no Valkey source tarball: set TESSERA_VALKEY_TARBALL, or put valkey-<version>.tar.gz in shared/servers/ beside the repository (/work/shared/servers)." >&2
  exit 1
}

sha="$(sha256sum "$tarball" | cut -d' ' -f1)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/tessera/valkey/$sha"
if [[ -x "$cache/valkey-server" ]]; then echo "$cache/valkey-server"; exit 0; fi
if $cached_only; then
  echo "valkey: valkey-server is not built yet (expected $cache/valkey-server). Build it once with tests/servers/valkey.sh (./test.sh does this before the tests; about 2 minutes on 2 cores)." >&2
  exit 3
fi

for tool in make cc pkg-config; do
  command -v "$tool" >/dev/null || {
    echo "valkey: '$tool' is missing, so Valkey cannot be built from $tarball. Install it with: sudo apt-get install -y build-essential pkg-config (./test.sh does this for you)." >&2
    exit 1
  }
done

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9   # another build of the same tarball: wait for it, then use its binary
if [[ -x "$cache/valkey-server" ]]; then echo "$cache/valkey-server"; exit 0; fi

build="$(mktemp -d "${TMPDIR:-/tmp}/tessera-valkey-build.XXXXXX")"
trap 'rm -rf "$build"' EXIT
echo "valkey: building $(basename "$tarball") (once; cached in $cache) ..." >&2
start=$SECONDS
tar -xzf "$tarball" -C "$build" --strip-components=1
if ! make -C "$build" -j"$(nproc)" BUILD_TLS=no MALLOC=libc >"$build/make.log" 2>&1; then
  tail -n 40 "$build/make.log" >&2
  echo "valkey: the build failed (log above). It needs build-essential and pkg-config: sudo apt-get install -y build-essential pkg-config." >&2
  exit 1
fi
"$build/src/valkey-server" --version >&2
cp "$build/src/valkey-server" "$cache/valkey-server.tmp"
mv "$cache/valkey-server.tmp" "$cache/valkey-server"   # appears whole, or not at all
echo "valkey: built in $((SECONDS - start)) s" >&2
echo "$cache/valkey-server"
