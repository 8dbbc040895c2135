#!/usr/bin/env bash
# The apply path and the test-database clone, side by side, on a durable
# cluster (fsync on, synchronous_commit on: one WAL flush per commit is
# real) and on an fsync-off one (what the test harness runs):
#
#   tests/bench/apply.sh [N [ROUNDS]]       (defaults 500 and 5)
#
# bench-apply: psql -1, psql a transaction per file, strata up, strata up
# --single-transaction, the no-op against psql's floor; bench-testdb: clone
# vs apply at 10/100/300 migrations. Run from the source tree after
# `ninja -C build`.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-500}
ROUNDS=${2:-5}
for mode in durable fsync-off; do
  (
    if [ "$mode" = fsync-off ]; then
      PG_EXTRA_OPTS="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    fi
    . tests/bench/cluster.sh
    echo "== $mode cluster: $(psql -Atc "SELECT string_agg(name || '=' || setting, ', ')
           FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes')")"
    machine_line
    echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
    STRATA_TEST_DSN="$dsn" build/tests/bench/bench-apply "$N" "$ROUNDS" build/tools/strata
    STRATA_TEST_DSN="$dsn" build/tests/bench/bench-testdb "$ROUNDS"
  )
done
