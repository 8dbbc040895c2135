#!/bin/sh
# Without server binaries a database suite skips with 77 and says what to
# install; with STRATA_TEST_REQUIRE_PG=1 the same situation fails.
prog=$1
out=$(STRATA_TEST_DSN= STRATA_PG_BINDIR=/nonexistent STRATA_TEST_REQUIRE_PG=0 "$prog" 2>&1)
rc=$?
[ "$rc" = 77 ] || { echo "expected skip (77), got $rc: $out"; exit 1; }
echo "$out" | grep -q "install postgresql-15" || { echo "skip message does not say what to install: $out"; exit 1; }
out=$(STRATA_TEST_DSN= STRATA_PG_BINDIR=/nonexistent STRATA_TEST_REQUIRE_PG=1 "$prog" 2>&1)
rc=$?
[ "$rc" = 1 ] || { echo "expected failure (1) with STRATA_TEST_REQUIRE_PG=1, got $rc: $out"; exit 1; }
echo "skip 77 without PostgreSQL, failure when required: ok"
