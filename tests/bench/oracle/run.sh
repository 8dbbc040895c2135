#!/usr/bin/env bash
# Does `strata verify --roundtrip` find what a pg_dump oracle finds? On a
# throwaway cluster: generate COUNT migrations with known downs (gen.py:
# exact, or a defect real projects show), run strata's roundtrip and the
# oracle (oracle.py: psql + `pg_dump -s` per migration), and score both
# against the ground truth (compare.py): confusion tables, the goals of
# issue 12, recall per defect class, every disagreement, and the time of each.
#
#   tests/bench/oracle/run.sh [STRATA_CLI]      (default build/tools/strata)
#
# Environment: COUNT (300 migrations), SEED (12), KEEP (a directory to copy
# the corpus, the verdicts and the report into), DIR (a real migration
# directory instead of the generated corpus: with no ground truth, the
# oracle's verdicts are taken as the truth and strata is scored against
# them — the check issue 12 asks for on real projects' directories; the
# oracle reads up/down pairs, `V_name.up.sql` + `V_name.down.sql`, as sqlx
# and golang-migrate write them).
set -euo pipefail
strata=${1:+$(realpath "$1")}  # before the cd: meson passes it relative to the build directory
cd "$(dirname "$0")/../../.."
strata=${strata:-$(realpath build/tools/strata)}
here=tests/bench/oracle
COUNT=${COUNT:-300}
SEED=${SEED:-12}
. tests/bench/cluster.sh

if [ -n "${DIR:-}" ]; then
  mkdir -p "$work/corpus"
  cp -r "$(realpath "$DIR")" "$work/corpus/migrations"
else
  python3 "$here/gen.py" "$work/corpus" --count "$COUNT" --seed "$SEED"
fi
chmod -R a+rX "$work"
# the grants the probes give need a role; roles are cluster-wide, so both
# databases see the same one
psql -q -c 'CREATE ROLE strata_oracle_app'
if [ -n "${DIR:-}" ]; then echo "$(machine_line); $DIR (the oracle's verdicts as the truth)"
else echo "$(machine_line); $COUNT generated migrations (seed $SEED)"; fi

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

t0=$(date +%s%N)
rc=0
"$strata" -q -d "$dsn" -m "$work/corpus/migrations" --json verify --roundtrip >"$work/strata.json" \
  2>"$work/strata.err" || rc=$?
strata_ms=$(ms "$t0")
if [ "$rc" -gt 1 ]; then  # 1: some down fails or leaves residue, as planted
  echo "strata verify --roundtrip failed (exit $rc):" >&2
  sed -n '1,20p' "$work/strata.err" >&2
  exit 1
fi

createdb -T template0 strata_oracle
t0=$(date +%s%N)
python3 "$here/oracle.py" "$work/corpus/migrations" strata_oracle >"$work/oracle.tsv"
oracle_ms=$(ms "$t0")

if [ -n "${DIR:-}" ]; then  # version, verdict, class, kind: the oracle's verdict is the truth
  awk -F'\t' -v OFS='\t' '{ print $1, $2, "real", "core" }' "$work/oracle.tsv" >"$work/corpus/truth.tsv"
fi
python3 "$here/compare.py" "$work/corpus/truth.tsv" "$work/strata.json" "$work/oracle.tsv" \
  "$(awk -v t="$strata_ms" 'BEGIN { print t / 1000 }')" "$(awk -v t="$oracle_ms" 'BEGIN { print t / 1000 }')" |
  tee "$work/report.txt"
if [ -n "${KEEP:-}" ]; then
  mkdir -p "$KEEP"
  cp -r "$work/corpus" "$work/strata.json" "$work/oracle.tsv" "$work/report.txt" "$KEEP/"
fi
