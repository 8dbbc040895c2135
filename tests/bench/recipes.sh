#!/usr/bin/env bash
# The six safe recipes under live writes: for each, the naive single
# statement through psql against the safe multi-step recipe through
# `strata up`, on a table of SCALE x 100 000 rows (default 1 000 000) while
# pgbench writers UPDATE it by primary key. Reports the longest write (the
# stall), how many writers were aborted by an error (running code broken),
# and how long the migration took.
#
#   tests/bench/recipes.sh [STRATA_CLI]     (default build/tools/strata)
#
# Environment: SCALE (10), RUN_S (seconds of load per trial, 40), CLIENTS (4),
# RECIPES (subset of: add-column drop-column rename-column create-index
# foreign-key change-type).
set -euo pipefail
cd "$(dirname "$0")/../.."
strata=$(realpath "${1:-build/tools/strata}")
SCALE=${SCALE:-10}
RUN_S=${RUN_S:-40}
CLIENTS=${CLIENTS:-4}
RECIPES=${RECIPES:-add-column drop-column rename-column create-index foreign-key change-type}
. tests/bench/cluster.sh
rows=$((SCALE * 100000))

createdb tpl
pgbench -q -i -s "$SCALE" tpl >/dev/null 2>&1
cat >"$work/write.sql" <<EOF
\set aid random(1, $rows)
UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :aid;
EOF

# Backfill in batches until no row is left: the shape of every safe backfill.
batch() { # COLUMN VALUE
  printf -- '-- strata:batch\nUPDATE pgbench_accounts SET %s = %s WHERE aid IN (SELECT aid FROM pgbench_accounts WHERE %s IS NULL LIMIT 10000);\n' "$1" "$2" "$1"
}

naive_sql() {
  case $1 in
    add-column) echo "ALTER TABLE pgbench_accounts ADD COLUMN touched_at timestamptz NOT NULL DEFAULT clock_timestamp()" ;;
    drop-column) echo "ALTER TABLE pgbench_accounts DROP COLUMN filler" ;;
    rename-column) echo "ALTER TABLE pgbench_accounts RENAME COLUMN abalance TO balance" ;;
    create-index) echo "CREATE INDEX accounts_abalance ON pgbench_accounts (abalance)" ;;
    foreign-key) echo "ALTER TABLE pgbench_accounts ADD CONSTRAINT accounts_branch FOREIGN KEY (bid) REFERENCES pgbench_branches" ;;
    change-type) echo "ALTER TABLE pgbench_accounts ALTER COLUMN abalance TYPE bigint" ;;
  esac
}

# The safe recipe as a strata migration directory (the expand steps a deploy
# runs while the old code is live; the contract steps come after it).
safe_dir() {
  local d=$work/m-$1
  rm -rf "$d"; mkdir -p "$d"
  case $1 in
    add-column)
      echo "ALTER TABLE pgbench_accounts ADD COLUMN touched_at timestamptz;" >"$d/1_add.up.sql"
      echo "ALTER TABLE pgbench_accounts ALTER COLUMN touched_at SET DEFAULT clock_timestamp();" >"$d/2_default.up.sql"
      batch touched_at 'now()' >"$d/3_backfill.up.sql" ;;
    drop-column)
      printf -- '-- strata:phase contract\nALTER TABLE pgbench_accounts DROP COLUMN filler;\n' >"$d/1_drop.up.sql" ;;
    rename-column)
      echo "ALTER TABLE pgbench_accounts ADD COLUMN balance integer;" >"$d/1_add.up.sql"
      batch balance abalance >"$d/2_backfill.up.sql" ;;
    create-index)
      printf -- '-- strata:no-transaction\nCREATE INDEX CONCURRENTLY accounts_abalance ON pgbench_accounts (abalance);\n' >"$d/1_index.up.sql" ;;
    foreign-key)
      echo "ALTER TABLE pgbench_accounts ADD CONSTRAINT accounts_branch FOREIGN KEY (bid) REFERENCES pgbench_branches NOT VALID;" >"$d/1_fk.up.sql"
      echo "ALTER TABLE pgbench_accounts VALIDATE CONSTRAINT accounts_branch;" >"$d/2_validate.up.sql" ;;
    change-type)
      echo "ALTER TABLE pgbench_accounts ADD COLUMN abalance_new bigint;" >"$d/1_add.up.sql"
      batch abalance_new abalance >"$d/2_backfill.up.sql" ;;
  esac
  chmod -R a+rX "$d"
  echo "$d"
}

trial() { # RECIPE RUNNER -> "stall aborted seconds ok"
  local recipe=$1 runner=$2 db=trial t0 rc=0 dir
  dropdb --if-exists "$db"; createdb -T tpl "$db"
  rm -f "$work"/log.*
  (cd "$work" && pgbench -n -c "$CLIENTS" -j 2 -T "$RUN_S" -l --log-prefix=log "$db" -f write.sql \
      >"$work/bench.out" 2>&1) &
  local bench=$!
  sleep 3
  t0=$(date +%s%N)
  if [ "$runner" = psql ]; then
    psql -q -v ON_ERROR_STOP=1 -d "$db" -c "$(naive_sql "$recipe")" >"$work/mig.out" 2>&1 || rc=$?
  else
    dir=$(safe_dir "$recipe")
    "$strata" -q -d "$dsn dbname=$db" -m "$dir" up --phase all >"$work/mig.out" 2>&1 || rc=$?
  fi
  local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  wait "$bench" || true
  local aborted
  aborted=$(grep -c "aborted in command" "$work/bench.out" || true)
  echo "$(stall_of "$work"/log.*) $aborted $ms $rc"
  [ "$rc" = 0 ] || sed -n '1,5p' "$work/mig.out" >&2
}

echo "$(machine_line); $CLIENTS pgbench writers (UPDATE by primary key) on $rows rows, ${RUN_S} s of load per trial"
printf '%-14s | %-30s | %-30s\n' recipe "naive statement (psql)" "safe recipe (strata up)"
printf '%-14s | %9s %8s %11s | %9s %8s %11s\n' "" "stall (s)" aborted "migr. (s)" "stall (s)" aborted "migr. (s)"
for r in $RECIPES; do
  read -r ps pn pslow pab pms prc <<<"$(trial "$r" psql)"
  read -r ss sn sslow sab sms src <<<"$(trial "$r" strata)"
  printf '%-14s | %9s %8s %11s | %9s %8s %11s\n' "$r" "$ps" "$pab" \
    "$(awk -v t="$pms" -v rc="$prc" 'BEGIN { printf "%.1f%s", t / 1000, rc ? " FAILED" : "" }')" \
    "$ss" "$sab" "$(awk -v t="$sms" -v rc="$src" 'BEGIN { printf "%.1f%s", t / 1000, rc ? " FAILED" : "" }')"
done
