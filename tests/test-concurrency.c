/* Sixteen migrators racing on one database — as processes and as threads
 * with a handle each — while other sessions hold locks on the tables being
 * migrated: each migration runs exactly once, nobody deadlocks, a loser
 * waits or fails with ELOCKED naming the holder, and the advisory lock
 * never outlives its holder. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

const bool test_needs_pg = true;

#define MIGRATORS 16

static const strata_migration_def defs[] = {
    {1, "accounts", "ALTER TABLE accounts ADD COLUMN note text; INSERT INTO applied_log VALUES (1);", NULL},
    {2, "index", "CREATE INDEX accounts_note ON accounts (note); INSERT INTO applied_log VALUES (2);", NULL},
    {3, "orders", "ALTER TABLE orders ADD COLUMN total bigint; INSERT INTO applied_log VALUES (3);", NULL},
    {4, "concurrent",
     "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY orders_total ON orders (total);\n"
     "INSERT INTO applied_log VALUES (4);\n",
     NULL},
};
#define NDEFS (sizeof defs / sizeof defs[0])

static void setup(void)
{
    test_db_new();
    test_sql("CREATE TABLE applied_log (v int); CREATE TABLE accounts (id int primary key);"
             "CREATE TABLE orders (id int primary key);"
             "INSERT INTO accounts SELECT generate_series(1, 1000); INSERT INTO orders SELECT generate_series(1, 1000)");
}

/* Readers holding ACCESS SHARE on both tables for @secs: every migrator's
 * ALTER must wait behind them (lock_timeout + retries), not deadlock. */
static PGconn *hold_tables(const char *secs)
{
    char sql[256];
    PGconn *c = test_connect();
    snprintf(sql, sizeof sql, "BEGIN; SELECT count(*) FROM accounts, orders WHERE false; SELECT pg_sleep(%s); COMMIT;", secs);
    ck_assert_int_eq(PQsendQuery(c, sql), 1);
    for (int i = 0; i < 300 && test_query_long("SELECT count(*) FROM pg_locks WHERE relation = 'orders'::regclass") == 0; i++)
        usleep(10000);
    return c;
}

static void release(PGconn *c)
{
    PGresult *r;
    while ((r = PQgetResult(c)) != NULL)
        PQclear(r);
    PQfinish(c);
}

static void check_exactly_once(void)
{
    for (int v = 1; v <= (int)NDEFS; v++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM applied_log WHERE v = %d", v);
        ck_assert_msg(test_query_long(sql) == 1, "version %d ran %ld times", v, test_query_long(sql));
    }
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history WHERE state = 'applied'"), (long)NDEFS);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                                     "WHERE c.relname = 'orders_total' AND i.indisvalid"), 1);
    /* every migrator is gone: no advisory lock may be left behind */
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"), 0);
}

START_TEST(processes_race)
{
    pid_t pids[MIGRATORS];
    setup();
    PGconn *holder = hold_tables("1.5");
    for (int i = 0; i < MIGRATORS; i++)
        pids[i] = test_spawn_apply(test_db_current(), defs, NDEFS);
    int ok = 0;
    for (int i = 0; i < MIGRATORS; i++) {
        int rc = test_wait_apply(pids[i]);
        ck_assert_msg(rc == STRATA_OK || rc == STRATA_ELOCKED, "migrator %d: %d", i, rc);
        ok += rc == STRATA_OK;
    }
    release(holder);
    ck_assert_int_ge(ok, 1);
    check_exactly_once();
}
END_TEST

typedef struct racer {
    const char *dsn;
    int rc;
    char err[512];
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    strata *s = NULL;
    r->rc = strata_open(&s, r->dsn);
    if (r->rc == STRATA_OK)
        r->rc = strata_add_migrations(s, defs, NDEFS);
    if (r->rc == STRATA_OK)
        r->rc = strata_apply(s, STRATA_LATEST);
    snprintf(r->err, sizeof r->err, "%s", strata_errmsg(s));
    strata_close(s);
    return NULL;
}

START_TEST(threads_race)
{
    pthread_t t[MIGRATORS];
    racer r[MIGRATORS];
    setup();
    PGconn *holder = hold_tables("1.5");
    for (int i = 0; i < MIGRATORS; i++) {
        r[i] = (racer){test_db_current(), 0, ""};
        ck_assert_int_eq(pthread_create(&t[i], NULL, race, &r[i]), 0);
    }
    for (int i = 0; i < MIGRATORS; i++)
        pthread_join(t[i], NULL);
    release(holder);
    for (int i = 0; i < MIGRATORS; i++)
        ck_assert_msg(r[i].rc == STRATA_OK, "thread %d: %d %s", i, r[i].rc, r[i].err);
    check_exactly_once();
}
END_TEST

/* A short lock wait: the losers fail with ELOCKED and name the holder. */
static void *race_short(void *arg)
{
    racer *r = arg;
    strata *s = NULL;
    r->rc = strata_open(&s, r->dsn);
    if (r->rc == STRATA_OK) {
        strata_add_migrations(s, defs, NDEFS);
        strata_set_lock_wait_ms(s, 50);
        r->rc = strata_apply(s, STRATA_LATEST);
    }
    snprintf(r->err, sizeof r->err, "%s", strata_errmsg(s));
    strata_close(s);
    return NULL;
}

START_TEST(losers_name_the_holder)
{
    pthread_t t[MIGRATORS];
    racer r[MIGRATORS];
    setup();
    PGconn *holder = hold_tables("1");
    for (int i = 0; i < MIGRATORS; i++) {
        r[i] = (racer){test_db_current(), 0, ""};
        pthread_create(&t[i], NULL, race_short, &r[i]);
    }
    for (int i = 0; i < MIGRATORS; i++)
        pthread_join(t[i], NULL);
    release(holder);
    int locked = 0;
    for (int i = 0; i < MIGRATORS; i++) {
        ck_assert_msg(r[i].rc == STRATA_OK || r[i].rc == STRATA_ELOCKED, "thread %d: %d %s", i, r[i].rc, r[i].err);
        if (r[i].rc == STRATA_ELOCKED) {
            locked++;
            ck_assert_msg(strstr(r[i].err, "pid"), "ELOCKED without the holder: %s", r[i].err);
        }
    }
    ck_assert_int_ge(locked, 1);
    /* whoever lost can simply run again */
    strata *s = test_open();
    strata_add_migrations(s, defs, NDEFS);
    ck_assert_msg(strata_apply(s, STRATA_LATEST) == STRATA_OK, "%s", strata_errmsg(s));
    strata_close(s);
    check_exactly_once();
}
END_TEST

Suite *test_suite(void)
{
    Suite *s = suite_create("concurrency");
    TCase *tc = tcase_create("race");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, processes_race);
    tcase_add_test(tc, threads_race);
    tcase_add_test(tc, losers_name_the_holder);
    suite_add_tcase(s, tc);
    return s;
}
