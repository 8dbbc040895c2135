/* Test harness: a throwaway PostgreSQL cluster per test program, a fresh
 * database per test case, and small file helpers. */
#ifndef STRATA_TEST_HARNESS_H
#define STRATA_TEST_HARNESS_H

#include <check.h>
#include <stdbool.h>
#include <sys/types.h>
#include <libpq-fe.h>

#include "strata.h"

/* Set by each test file: true when its suite needs PostgreSQL. */
extern const bool test_needs_pg;
Suite *test_suite(void);

/* Starts (or finds, with STRATA_TEST_DSN) the server. Returns 0, or 77 to
 * skip, or 1 on failure; prints why. */
int harness_start(void);
void harness_stop(void);
void harness_tmp_init(void);

/* A fresh database for the current test case; its conninfo (static buffer
 * valid until the next call). */
const char *test_db_new(void);
const char *test_db_current(void);
/* Conninfo of the cluster's maintenance database. */
const char *test_admin_dsn(void);
PGconn *test_connect(void);
/* Runs SQL on a new connection to the current test database, fails the test on error. */
void test_sql(const char *sql);
/* First column of the first row as text (malloc'd), or NULL on no row. */
char *test_query_value(const char *sql);
long test_query_long(const char *sql);

/* Starts (once) a PgBouncer in transaction pooling mode in front of the
 * cluster, on a free loopback port; its conninfo without dbname. NULL (with
 * a SKIP line) when pgbouncer is not installed and STRATA_TEST_REQUIRE_PG
 * is unset; a missing pgbouncer fails the test when it is set. */
const char *test_pgbouncer_start(void);

/* A temporary directory removed at exit; returns its path (malloc'd). */
char *test_tmpdir(void);
void test_write(const char *dir, const char *name, const char *content);
void test_write_bytes(const char *dir, const char *name, const char *data, size_t n);
void test_rmrf(const char *path);

/* Events collected by the standard callback. */
typedef struct test_events {
    int n;
    int count[32];
    char log[16384];
    int32_t last_pid;
} test_events;
void test_events_cb(const strata_event *ev, void *payload);

strata *test_open(void); /* strata_open on the current db, asserted */

/* A child process that opens @dsn, adds @defs and applies them; its exit
 * code is the strata code negated (0 = success). */
pid_t test_spawn_apply(const char *dsn, const strata_migration_def *defs, size_t n);
/* Waits for @pid and returns its strata code (0 or negative); a child
 * killed by a signal fails the test. */
int test_wait_apply(pid_t pid);

#endif
