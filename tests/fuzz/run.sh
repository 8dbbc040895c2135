#!/usr/bin/env bash
# Runs one fuzz target: tests/fuzz/run.sh TARGET SECONDS [BUILDDIR]
# Needs a build with -Dfuzz=true (CC=clang meson setup build-fuzz -Dfuzz=true).
# The working corpus (in $FUZZ_WORK, default build-fuzz/fuzz-work) starts
# from tests/fuzz/corpus/TARGET, plus PostgreSQL's extension scripts for the
# SQL targets; crashes and hangs land there as crash-*/timeout-* files:
# minimize them (-minimize_crash=1) into tests/fuzz/regressions/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/../.."
t=$1 secs=$2 build=${3:-build-fuzz}
work=${FUZZ_WORK:-$build/fuzz-work}
corpus=$work/corpus-$t
mkdir -p "$corpus" "$work/artifacts-$t"
cp -n tests/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
case $t in
  split|lint|api|directives)
    for f in /usr/share/postgresql/*/extension/*.sql; do
      [ -f "$f" ] && cp -n "$f" "$corpus/ext-$(basename "$f")"
    done 2>/dev/null || true
    dict=tests/fuzz/sql.dict; [ "$t" = directives ] && dict=tests/fuzz/directives.dict ;;
  *) dict=tests/fuzz/tree.dict ;;
esac
exec nice -n 19 "$build/tests/fuzz/fuzz-$t" -dict="$dict" -max_total_time="$secs" -timeout=10 \
  -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
  -artifact_prefix="$work/artifacts-$t/" "$corpus"
