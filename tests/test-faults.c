/* Crash consistency: the connection is cut after every protocol message of
 * a scenario in turn (both directions, through tests/proxy.c), and the
 * migrating process is SIGKILLed at spread points. After each fault the
 * history must show exactly what committed, and a rerun on a direct
 * connection must finish the job applying each migration exactly once.
 * STRATA_FAULT_STRIDE=N tries every N-th cut point (valgrind runs). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "proxy.h"

const bool test_needs_pg = true;

typedef struct scenario {
    const char *name;
    const strata_migration_def *defs;
    size_t n;
    void (*setup)(void);           /* direct, before the fault */
    int (*run)(strata *s);         /* the call under fault */
    void (*check_cut)(void);       /* invariants right after the fault */
    int (*rerun)(strata *s);       /* direct: finish the job */
    void (*check_done)(void);      /* invariants at the end */
} scenario;

static int stride(void)
{
    const char *e = getenv("STRATA_FAULT_STRIDE");
    return e && atoi(e) > 0 ? atoi(e) : 1;
}

static long q(const char *sql)
{
    return test_query_long(sql);
}

/* After a fault the server may still be running what it last received (a
 * cut client is noticed only when the backend next talks to it): wait
 * until the database has no other backend, so the checks read one settled
 * state and not two snapshots across a commit. */
static void quiesce(void)
{
    for (int i = 0; i < 1000 && q("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                  "current_database() AND pid <> pg_backend_pid()") > 0; i++)
        usleep(10000);
}

/* ---- several transactional migrations ---- */

static const strata_migration_def tx_defs[] = {
    {1, "one", "CREATE TABLE t1 (id int); INSERT INTO applied_log VALUES (1);", "DROP TABLE t1; INSERT INTO reverted_log VALUES (1);"},
    {2, "two", "CREATE TABLE t2 (id int); INSERT INTO applied_log VALUES (2);", "DROP TABLE t2; INSERT INTO reverted_log VALUES (2);"},
    {3, "three", "CREATE TABLE t3 (id int); INSERT INTO applied_log VALUES (3);", "DROP TABLE t3; INSERT INTO reverted_log VALUES (3);"},
};

static void logs_setup(void)
{
    test_sql("CREATE TABLE applied_log (v int); CREATE TABLE reverted_log (v int)");
}

static bool has_history(void)
{
    return q("SELECT count(*) FROM pg_class WHERE relname = 'strata_history'") == 1;
}

static long history_rows(int v, const char *state)
{
    char sql[160];
    if (!has_history())
        return 0;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM strata_history WHERE version = %d AND state = '%s'", v, state);
    return q(sql);
}

/* A row exactly when the migration's effect is there, and it ran once. */
static void tx_consistent(void)
{
    char sql[160];
    for (int v = 1; v <= 3; v++) {
        snprintf(sql, sizeof sql, "SELECT count(*) FROM pg_class WHERE relname = 't%d'", v);
        long table = q(sql);
        snprintf(sql, sizeof sql, "SELECT count(*) FROM applied_log WHERE v = %d", v);
        long ran = q(sql);
        long row = history_rows(v, "applied");
        ck_assert_msg(row == table, "version %d: history row %ld but table %ld", v, row, table);
        ck_assert_msg(ran == table, "version %d: applied %ld times, table %ld", v, ran, table);
    }
}

static void tx_done(void)
{
    tx_consistent();
    ck_assert_int_eq(q("SELECT count(*) FROM applied_log"), 3);
}

static int apply_all(strata *s)
{
    return strata_apply(s, STRATA_LATEST);
}

static int resume_all(strata *s)
{
    strata_set_resume(s, 1);
    return strata_apply(s, STRATA_LATEST);
}

/* ---- a no-transaction migration with three CONCURRENTLY statements ---- */

static const strata_migration_def notx_defs[] = {
    {1, "indexes",
     "-- strata:no-transaction\n"
     "CREATE INDEX CONCURRENTLY i1 ON t (a);\n"
     "CREATE INDEX CONCURRENTLY i2 ON t (b);\n"
     "CREATE INDEX CONCURRENTLY i3 ON t (c);\n",
     NULL},
};

static void notx_setup(void)
{
    test_sql("CREATE TABLE t (a int, b int, c int); INSERT INTO t SELECT g, g, g FROM generate_series(1, 100) g");
}

static long index_count(bool valid)
{
    return q(valid ? "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname IN ('i1','i2','i3') AND i.indisvalid"
                   : "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname IN ('i1','i2','i3') AND NOT i.indisvalid");
}

/* statements_done never claims an index that is not there, and at most one
 * statement (the one in flight at the cut) is ahead of it. */
static void notx_consistent(void)
{
    long valid = index_count(true), done = -1;
    if (history_rows(1, "applied"))
        ck_assert_int_eq(valid, 3);
    if (history_rows(1, "dirty")) {
        done = q("SELECT coalesce(statements_done, 0) FROM strata_history WHERE version = 1");
        ck_assert_msg(valid >= done && valid <= done + 1, "statements_done %ld, valid indexes %ld", done, valid);
    }
}

static void notx_done(void)
{
    ck_assert_int_eq(history_rows(1, "applied"), 1);
    ck_assert_int_eq(index_count(true), 3);
    ck_assert_int_eq(index_count(false), 0);
}

/* ---- a batch ---- */

static const strata_migration_def batch_defs[] = {
    {1, "backfill",
     "-- strata:batch\nUPDATE items SET done = true WHERE id IN (SELECT id FROM items WHERE NOT done LIMIT 100);\n", NULL},
};

static void batch_setup(void)
{
    test_sql("CREATE TABLE items (id int primary key, done bool NOT NULL DEFAULT false); "
             "INSERT INTO items (id) SELECT generate_series(1, 1000)");
}

static void batch_consistent(void)
{
    if (history_rows(1, "applied"))
        ck_assert_int_eq(q("SELECT count(*) FROM items WHERE NOT done"), 0);
}

static void batch_done(void)
{
    ck_assert_int_eq(history_rows(1, "applied"), 1);
    ck_assert_int_eq(q("SELECT count(*) FROM items WHERE NOT done"), 0);
}

/* ---- a revert ---- */

static void revert_setup(void)
{
    logs_setup();
    strata *s = test_open();
    ck_assert_int_eq(strata_add_migrations(s, tx_defs, 3), STRATA_OK);
    ck_assert_msg(strata_apply(s, STRATA_LATEST) == STRATA_OK, "%s", strata_errmsg(s));
    strata_close(s);
}

static int revert_all(strata *s)
{
    return strata_revert(s, 0);
}

/* A row exactly while the table is there; each down ran at most once. */
static void revert_consistent(void)
{
    char sql[160];
    for (int v = 1; v <= 3; v++) {
        snprintf(sql, sizeof sql, "SELECT count(*) FROM pg_class WHERE relname = 't%d'", v);
        long table = q(sql);
        snprintf(sql, sizeof sql, "SELECT count(*) FROM reverted_log WHERE v = %d", v);
        long reverted = q(sql);
        ck_assert_msg(history_rows(v, "applied") == table, "version %d: row vs table %ld", v, table);
        ck_assert_msg(reverted == 1 - table, "version %d: reverted %ld times, table %ld", v, reverted, table);
    }
}

static void revert_done(void)
{
    revert_consistent();
    ck_assert_int_eq(q("SELECT count(*) FROM strata_history"), 0);
}

/* ---- a baseline ---- */

static int baseline(strata *s)
{
    return strata_baseline(s, 3);
}

static void baseline_consistent(void)
{
    long rows = has_history() ? q("SELECT count(*) FROM strata_history") : 0;
    ck_assert_msg(rows == 0 || rows == 3, "baseline recorded %ld of 3 rows", rows);
    ck_assert_int_eq(q("SELECT count(*) FROM applied_log"), 0);
}

static void baseline_done(void)
{
    ck_assert_int_eq(q("SELECT count(*) FROM strata_history"), 3);
    ck_assert_int_eq(q("SELECT count(*) FROM applied_log"), 0);
}

static const scenario scenarios[] = {
    {"transactional", tx_defs, 3, logs_setup, apply_all, tx_consistent, apply_all, tx_done},
    {"no-transaction", notx_defs, 1, notx_setup, apply_all, notx_consistent, resume_all, notx_done},
    {"batch", batch_defs, 1, batch_setup, apply_all, batch_consistent, resume_all, batch_done},
    {"revert", tx_defs, 3, revert_setup, revert_all, revert_consistent, revert_all, revert_done},
    {"baseline", tx_defs, 3, logs_setup, baseline, baseline_consistent, baseline, baseline_done},
};

static strata *open_dsn(const char *dsn, const scenario *sc)
{
    strata *s = NULL;
    int rc = strata_open(&s, dsn);
    ck_assert_msg(rc == STRATA_OK, "open: %s", strata_errmsg(s));
    ck_assert_int_eq(strata_add_migrations(s, sc->defs, sc->n), STRATA_OK);
    strata_set_watch_interval_ms(s, 0); /* one connection: cut points stay deterministic */
    return s;
}

static void finish(const scenario *sc)
{
    strata *s = open_dsn(test_db_current(), sc);
    int rc = sc->rerun(s);
    ck_assert_msg(rc == STRATA_OK, "%s: rerun after the fault: %s", sc->name, strata_errmsg(s));
    strata_close(s);
    sc->check_done();
}

static void upstream(char *dir, size_t n, int *port)
{
    PQconninfoOption *o = PQconninfoParse(test_admin_dsn(), NULL);
    *port = 5432;
    dir[0] = '\0';
    for (PQconninfoOption *p = o; p && p->keyword; p++) {
        if (!strcmp(p->keyword, "host") && p->val)
            snprintf(dir, n, "%s", p->val);
        if (!strcmp(p->keyword, "port") && p->val)
            *port = atoi(p->val);
    }
    PQconninfoFree(o);
}

/* Cuts after message k = 1, 2, ... in @dir until the scenario runs through
 * without reaching the cut; returns the number of cut points tried. */
static int cut_everywhere(const scenario *sc, enum proxy_dir dir)
{
    char updir[128];
    int port, tried = 0;
    upstream(updir, sizeof updir, &port);
    for (int k = 1;; k += stride()) {
        test_db_new();
        sc->setup();
        char *db = test_query_value("SELECT current_database()");
        proxy *px = proxy_start(updir, port);
        if (!px) {
            free(db);
            return -1; /* not a unix-socket server (STRATA_TEST_DSN over TCP) */
        }
        proxy_arm(px, dir, k);
        strata *s = NULL;
        int rc = strata_open(&s, proxy_dsn(px, db));
        if (rc == STRATA_OK) {
            ck_assert_int_eq(strata_add_migrations(s, sc->defs, sc->n), STRATA_OK);
            strata_set_watch_interval_ms(s, 0);
            rc = sc->run(s);
        } else {
            ck_assert_msg(proxy_cut(px), "%s: open failed with no fault: %s", sc->name, strata_errmsg(s));
        }
        bool cut = proxy_cut(px);
        if (getenv("STRATA_FAULT_TRACE"))
            fprintf(stderr, "%s dir %d k %d cut %d rc %d %s\n", sc->name, (int)dir, k, cut, rc,
                    rc ? strata_errmsg(s) : "");
        if (!cut)
            ck_assert_msg(rc == STRATA_OK, "%s, no fault: %s", sc->name, strata_errmsg(s));
        strata_close(s);
        proxy_stop(px);
        free(db);
        quiesce();
        sc->check_cut();
        finish(sc);
        if (!cut)
            return tried;
        tried++;
        ck_assert_msg(k < 2000, "%s: the scenario never ends", sc->name);
    }
}

START_TEST(wire_cuts)
{
    const scenario *sc = &scenarios[_i];
    int to_server = cut_everywhere(sc, PROXY_TO_SERVER);
    if (to_server < 0)
        return;
    int to_client = cut_everywhere(sc, PROXY_TO_CLIENT);
    printf("faults: %-15s %3d cut points client->server, %3d server->client: consistent, rerun exactly once\n",
           sc->name, to_server, to_client);
    fflush(stdout);
    ck_assert_int_gt(to_server, 0);
    ck_assert_int_gt(to_client, 0);
}
END_TEST

/* SIGKILL of the migrating process at spread delays. */
START_TEST(sigkill_anywhere)
{
    const scenario *sc = &scenarios[_i];
    int kills = 0;
    for (int k = 0; k < 12; k += stride()) {
        test_db_new();
        sc->setup();
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            strata *s = open_dsn(test_db_current(), sc);
            _exit(sc->run(s) == STRATA_OK ? 0 : 1);
        }
        struct timespec d = {0, (long)k * 4 * 1000 * 1000}; /* 0, 4, 8 ... 44 ms */
        nanosleep(&d, NULL);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        quiesce();
        sc->check_cut();
        finish(sc);
        kills++;
    }
    printf("faults: %-15s %3d SIGKILL points: consistent, rerun exactly once\n", sc->name, kills);
    fflush(stdout);
}
END_TEST

/* pg_terminate_backend of the migrating connection at spread delays: the
 * process lives on and must report the loss, not success. */
START_TEST(terminate_anywhere)
{
    const scenario *sc = &scenarios[_i];
    int kills = 0;
    for (int k = 0; k < 12; k += stride()) {
        test_db_new();
        sc->setup();
        pid_t killer = fork();
        ck_assert_int_ge(killer, 0);
        if (killer == 0) {
            struct timespec d = {0, (long)k * 4 * 1000 * 1000};
            PGconn *c = PQconnectdb(test_db_current());
            nanosleep(&d, NULL);
            PQclear(PQexec(c, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
                              "current_database() AND pid <> pg_backend_pid()"));
            PQfinish(c);
            _exit(0);
        }
        strata *s = open_dsn(test_db_current(), sc);
        int rc = sc->run(s);
        ck_assert_msg(rc == STRATA_OK || rc == STRATA_ECONNECT || rc == STRATA_ESQL,
                      "%s: %d %s", sc->name, rc, strata_errmsg(s));
        strata_close(s);
        waitpid(killer, NULL, 0);
        quiesce();
        sc->check_cut();
        finish(sc);
        kills++;
    }
    printf("faults: %-15s %3d pg_terminate_backend points: consistent, rerun exactly once\n", sc->name, kills);
    fflush(stdout);
}
END_TEST

Suite *test_suite(void)
{
    Suite *s = suite_create("faults");
    TCase *wire = tcase_create("wire");
    TCase *kill = tcase_create("sigkill");
    int n = (int)(sizeof scenarios / sizeof scenarios[0]);
    tcase_set_timeout(wire, 900);
    tcase_set_timeout(kill, 900);
    tcase_add_loop_test(wire, wire_cuts, 0, n);
    tcase_add_loop_test(kill, sigkill_anywhere, 0, n);
    tcase_add_loop_test(kill, terminate_anywhere, 0, n);
    suite_add_tcase(s, wire);
    suite_add_tcase(s, kill);
    return s;
}
