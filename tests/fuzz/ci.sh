#!/usr/bin/env bash
# The bounded fuzz step of CI: builds the libFuzzer targets with clang and
# runs each for FUZZ_SECONDS (default 25: six targets stay under 3 minutes).
# A crash, hang or broken property fails the step; its input is printed.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${FUZZ_BUILDDIR:-build-fuzz}
secs=${FUZZ_SECONDS:-25}
if [ -d "$build" ]; then CC=clang meson setup --reconfigure "$build" -Dfuzz=true >/dev/null
else CC=clang meson setup "$build" -Dfuzz=true >/dev/null; fi
ninja -C "$build"
export FUZZ_WORK=$(mktemp -d)
trap 'rm -rf "$FUZZ_WORK"' EXIT
for t in directives split lint api dir embed; do
  echo "== fuzz $t (${secs}s)"
  if ! bash tests/fuzz/run.sh "$t" "$secs" "$build" > "$FUZZ_WORK/$t.log" 2>&1; then
    tail -n 40 "$FUZZ_WORK/$t.log"
    exit 1
  fi
  grep -E '^(Done|stat::number_of_executed_units)' "$FUZZ_WORK/$t.log" || true
done
echo "== fuzz: all targets clean"
