#!/usr/bin/env bash
# Zero downtime under live load: how long do writers stall while a migration
# that needs ACCESS EXCLUSIVE waits behind a long reader?
#
#   tests/bench/live-load.sh [STRATA_CLI]        (default build/tools/strata)
#
# A throwaway cluster; pgbench writers UPDATE a hot table by primary key for
# RUN_S seconds; after 3 s a reader holds ACCESS SHARE on it for BLOCK_S
# seconds (a long report query); 2 s later the migration
# `ALTER TABLE ... ADD COLUMN` starts, once through psql (what a plain
# script does) and once through `strata up` with its defaults. From pgbench's
# per-transaction log: the longest write (the stall), writes done, and
# whether and when the migration completed. Environment: BLOCK_S (20),
# RUN_S (BLOCK_S + 20), CLIENTS (4), SCALE (1: 100 000 rows), RUNNERS
# ("psql strata"), STRATA_ARGS (extra `strata up` flags).
set -euo pipefail
cd "$(dirname "$0")/../.."
strata=$(realpath "${1:-build/tools/strata}")
BLOCK_S=${BLOCK_S:-20}
RUN_S=${RUN_S:-$((BLOCK_S + 20))}
CLIENTS=${CLIENTS:-4}
SCALE=${SCALE:-1}
RUNNERS=${RUNNERS:-psql strata}
. tests/bench/cluster.sh
pgbench -q -i -s "$SCALE" >/dev/null 2>&1

cat >"$work/write.sql" <<EOF
\set aid random(1, $((SCALE * 100000)))
UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :aid;
EOF
mkdir -p "$work/migrations"
echo 'ALTER TABLE pgbench_accounts ADD COLUMN note text;' >"$work/migrations/1_add_note.up.sql"
echo 'ALTER TABLE pgbench_accounts DROP COLUMN note;' >"$work/migrations/1_add_note.down.sql"
chmod -R a+rX "$work"

migrate() {
  case $1 in
    psql) psql -q -v ON_ERROR_STOP=1 -c 'ALTER TABLE pgbench_accounts ADD COLUMN note text' ;;
    strata) "$strata" -q -d "$dsn" -m "$work/migrations" up ${STRATA_ARGS:-} ;;
  esac
}

trial() {
  local runner=$1 t0 t_mig rc=0
  psql -q -c 'ALTER TABLE pgbench_accounts DROP COLUMN IF EXISTS note' \
    -c 'DROP TABLE IF EXISTS strata_history'
  rm -f "$work"/pgbench_log_"$runner"*
  (cd "$work" && pgbench -n -c "$CLIENTS" -j 2 -T "$RUN_S" -l --log-prefix="pgbench_log_$runner" \
      -f write.sql >"$work/pgbench_$runner.out" 2>&1) &
  local bench=$!
  sleep 3
  psql -q -c "BEGIN; SELECT count(*) FROM pgbench_accounts; SELECT pg_sleep($BLOCK_S); COMMIT;" >/dev/null &
  local reader=$!
  sleep 2
  t0=$(date +%s%N)
  migrate "$runner" >"$work/migrate_$runner.out" 2>&1 || rc=$?
  t_mig=$(( ($(date +%s%N) - t0) / 1000000 ))
  wait "$reader" || true
  wait "$bench" || true
  local done
  done=$(psql -Atc "SELECT count(*) FROM pg_attribute WHERE attrelid = 'pgbench_accounts'::regclass AND attname = 'note'")
  local st
  read -r -a st <<<"$(stall_of "$work"/pgbench_log_"$runner"*)"
  printf '%-7s  %9s  %8s  %12s  %-9s  %6.1f\n' "$runner" "${st[0]}" "${st[1]}" "${st[2]}" \
    "$([ "$rc" = 0 ] && [ "$done" = 1 ] && echo yes || echo "NO (rc $rc)")" "$(awk -v t="$t_mig" 'BEGIN { print t / 1000 }')"
}

echo "$(machine_line); $CLIENTS pgbench writers on $((SCALE * 100000)) rows, a reader holding ACCESS SHARE for ${BLOCK_S} s"
printf '%-7s  %9s  %8s  %12s  %-9s  %6s\n' runner "stall (s)" writes "writes > 1 s" completed "migration (s)"
for r in $RUNNERS; do
  trial "$r"
done
for r in $RUNNERS; do
  if [ -s "$work/migrate_$r.out" ]; then echo "-- $r said:"; sed -n '1,12p' "$work/migrate_$r.out"; fi
done
