#!/usr/bin/env bash
# The README's demo: builds strata, starts a throwaway PostgreSQL, and runs
# a small service that migrates itself at startup from migrations compiled
# into it, then prints the status. Everything is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/install-deps.sh

builddir=${STRATA_BUILDDIR:-build}
[ -d "$builddir" ] || meson setup "$builddir" >/dev/null
ninja -C "$builddir" >/dev/null

bindir=${STRATA_PG_BINDIR:-/usr/lib/postgresql/15/bin}
pgdir=$(mktemp -d /tmp/strata-demo-XXXXXX)
run_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$pgdir"
cleanup() { run_pg "'$bindir/pg_ctl' -D '$pgdir/data' -m immediate stop" >/dev/null 2>&1 || true; rm -rf "$pgdir"; }
trap cleanup EXIT

echo "== starting a throwaway PostgreSQL in $pgdir"
run_pg "'$bindir/initdb' --no-sync -A trust -U postgres -D '$pgdir/data'" >/dev/null
run_pg "'$bindir/pg_ctl' -D '$pgdir/data' -l '$pgdir/log' -w -o \"-k $pgdir -c listen_addresses='' -c fsync=off\" start" >/dev/null
export DATABASE_URL="host=$pgdir user=postgres dbname=postgres"

echo "== first start: the service migrates its database"
"$builddir/examples/strata-service"
echo "== second start: nothing to do (one query, no lock)"
"$builddir/examples/strata-service"
echo "== the same database through the CLI"
"$builddir/tools/strata" -m examples/service/migrations status
