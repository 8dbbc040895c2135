#!/usr/bin/env bash
# The test command of README.md: installs what is missing (as root on
# Debian), builds, runs every suite, then runs them again under ASan+UBSan.
# Extra arguments go to `meson setup` (e.g. -Dwerror=true).
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/install-deps.sh

builddir=${STRATA_BUILDDIR:-build}
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
asandir=${STRATA_ASANDIR:-build-asan}

echo "== build ($builddir)"
if [ -d "$builddir" ]; then meson setup --reconfigure "$builddir" "$@" >/dev/null
else meson setup "$builddir" "$@" >/dev/null; fi
ninja -C "$builddir"
echo "== tests"
meson test -C "$builddir" --print-errorlogs --num-processes 2 | tee -a "$summary"

echo "== tests under ASan+UBSan ($asandir)"
if [ -d "$asandir" ]; then meson setup --reconfigure "$asandir" -Db_sanitize=address,undefined -Db_lundef=false "$@" >/dev/null
else meson setup "$asandir" -Db_sanitize=address,undefined -Db_lundef=false "$@" >/dev/null; fi
ninja -C "$asandir"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  meson test -C "$asandir" --print-errorlogs --num-processes 2 --no-suite slow | tee -a "$summary"

if [ "${STRATA_VALGRIND:-1}" = 1 ]; then
  echo "== tests under valgrind"
  meson test -C "$builddir" --setup=valgrind --print-errorlogs --num-processes 2 --no-suite script | tee -a "$summary"
fi
echo "== all test runs passed"
# meson's per-run summaries, added up: one plain closing line
awk '/^Ok:/ {ok += $2} /^Fail:/ {f += $2} /^Timeout:/ {f += $2} END {printf "tests: %d passed, %d failed\n", ok, f}' "$summary"
