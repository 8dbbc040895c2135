# Sourced by the shell benchmarks: a throwaway PostgreSQL 15 cluster in
# $work (unix socket only), run as the postgres user when root, removed at
# exit. Sets PGHOST/PGUSER/PGDATABASE and $dsn for strata. Durable
# (fsync and synchronous_commit on, PostgreSQL's defaults) unless
# PG_EXTRA_OPTS says otherwise (apply.sh runs both).
bin=/usr/lib/postgresql/15/bin
work=$(mktemp -d /tmp/strata-bench-XXXXXX)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$work"
cluster_stop() { as_pg "$bin/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cluster_stop EXIT
as_pg "$bin/initdb" -D "$work/data" -A trust --no-sync -U postgres >/dev/null
as_pg "$bin/pg_ctl" -D "$work/data" -l "$work/log" -w \
  -o "-k $work -c listen_addresses='' -c max_connections=50 ${PG_EXTRA_OPTS:-}" start >/dev/null
dsn="host=$work user=postgres dbname=postgres"
export PGHOST=$work PGUSER=postgres PGDATABASE=postgres PGOPTIONS='-c client_min_messages=warning'
machine_line() {
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo);" \
       "PostgreSQL $(psql -Atc 'SHOW server_version' | cut -d' ' -f1)"
}
# Longest transaction (s), transactions, transactions over 1 s, from pgbench -l logs.
stall_of() { cat "$@" | awk '{ n++; if ($3 > max) max = $3; if ($3 > 1000000) slow++ }
                             END { printf "%.2f %d %d\n", max / 1e6, n, slow }'; }
