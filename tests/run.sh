#!/usr/bin/env bash
# The test command of README.md: installs what is missing (as root on
# Debian), builds, runs every suite, then runs them again under ASan+UBSan.
# Extra arguments go to `meson setup` (e.g. -Dwerror=true).
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=(meson ninja-build pkg-config gcc g++ libpq-dev libpg-query-dev libprotobuf-c-dev
           libssl-dev check postgresql-15 postgresql-contrib valgrind python3)
missing=()
for p in "${need_pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "run.sh: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "run.sh: missing packages: ${missing[*]} (install them, or run as root)" >&2
  fi
fi

builddir=${STRATA_BUILDDIR:-build}
asandir=${STRATA_ASANDIR:-build-asan}

echo "== build ($builddir)"
if [ -d "$builddir" ]; then meson setup --reconfigure "$builddir" "$@" >/dev/null
else meson setup "$builddir" "$@" >/dev/null; fi
ninja -C "$builddir"
echo "== tests"
meson test -C "$builddir" --print-errorlogs --num-processes 2

echo "== tests under ASan+UBSan ($asandir)"
if [ -d "$asandir" ]; then meson setup --reconfigure "$asandir" -Db_sanitize=address,undefined -Db_lundef=false "$@" >/dev/null
else meson setup "$asandir" -Db_sanitize=address,undefined -Db_lundef=false "$@" >/dev/null; fi
ninja -C "$asandir"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  meson test -C "$asandir" --print-errorlogs --num-processes 2 --no-suite slow

if [ "${STRATA_VALGRIND:-1}" = 1 ]; then
  echo "== tests under valgrind"
  meson test -C "$builddir" --setup=valgrind --print-errorlogs --num-processes 2 --no-suite slow
fi
echo "== all test runs passed"
