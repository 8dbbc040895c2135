/* The zero-downtime runtime: no-transaction migrations, dirty state and
 * resume, lock timeouts with retries, phases, batches, blocker reports. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

const bool test_needs_pg = true;

static void fresh_db(void)
{
    test_db_new();
}

static void apply_ok(strata *s)
{
    int rc = strata_apply(s, STRATA_LATEST);
    ck_assert_msg(rc == STRATA_OK, "apply: %d %s", rc, strata_errmsg(s));
}

static strata *open_with(const strata_migration_def *defs, size_t n)
{
    strata *s = test_open();
    ck_assert_msg(strata_add_migrations(s, defs, n) == STRATA_OK, "%s", strata_errmsg(s));
    return s;
}

/* Sends @sql on a new connection without waiting: the server keeps running
 * it (holding its locks) while the test goes on. */
static PGconn *background(const char *sql)
{
    PGconn *c = test_connect();
    ck_assert_int_eq(PQsendQuery(c, sql), 1);
    return c;
}

static void background_finish(PGconn *c)
{
    PGresult *r;
    while ((r = PQgetResult(c)) != NULL)
        PQclear(r);
    PQfinish(c);
}

static int backend_pid_of(PGconn *c)
{
    return PQbackendPID(c);
}

static void wait_for_activity(const char *like)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() "
             "AND query LIKE '%s'", like);
    for (int i = 0; i < 500; i++) {
        if (test_query_long(sql) > 0)
            return;
        usleep(10000);
    }
    ck_abort_msg("no backend started running %s", like);
}

/* Creates table busy and holds it in @mode for @secs from another session. */
static PGconn *hold_busy(const char *mode, const char *secs)
{
    char sql[256];
    test_sql("CREATE TABLE busy (id int)");
    snprintf(sql, sizeof sql, "BEGIN; LOCK TABLE busy IN %s MODE; SELECT pg_sleep(%s); COMMIT;", mode, secs);
    PGconn *holder = background(sql);
    wait_for_activity("BEGIN; LOCK TABLE busy%");
    return holder;
}

START_TEST(notx_parser_split)
{
    static const char up[] =
        "-- strata:no-transaction\n"
        "CREATE TABLE t (id int, v text);\n"
        "INSERT INTO t SELECT g, 'x;y' FROM generate_series(1, 1000) g;\n"
        "/* a comment; with a semicolon */\n"
        "CREATE INDEX CONCURRENTLY t_id ON t (id);\n"
        "-- another; comment\n"
        "CREATE INDEX CONCURRENTLY t_v ON t (v);\n"
        "DO $$ BEGIN PERFORM 1; RAISE NOTICE 'did; it'; END $$;\n"
        "CREATE FUNCTION two() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\n";
    strata_migration_def m = {1, "indexes", up, NULL};
    test_events ev = {0};
    strata *s = open_with(&m, 1);
    strata_set_event_callback(s, test_events_cb, &ev);
    apply_ok(s);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_index i JOIN pg_class c ON "
                                     "c.oid = i.indexrelid WHERE c.relname IN ('t_id', 't_v') "
                                     "AND i.indisvalid"), 2);
    ck_assert_int_eq(test_query_long("SELECT two()"), 2);
    ck_assert_int_eq(test_query_long("SELECT statements_done FROM strata_history WHERE "
                                     "version = 1 AND state = 'applied' AND duration_ms >= 0"), 6);
    ck_assert_int_eq(ev.count[STRATA_EVENT_STATEMENT_DONE], 6);
    ck_assert_int_eq(ev.count[STRATA_EVENT_NOTICE], 1);
    ck_assert_ptr_nonnull(strstr(ev.log, "did; it"));
    strata_close(s);
}
END_TEST

START_TEST(notx_failure_dirty_then_resume)
{
    static const char up[] =
        "-- strata:no-transaction\n"
        "CREATE TABLE a (id int);\n"
        "INSERT INTO later VALUES (1);\n"
        "CREATE TABLE c (id int);\n";
    strata_migration_def m = {7, "dirty", up, NULL};
    strata *s = open_with(&m, 1);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_ESQL);
    ck_assert_msg(strstr(strata_errmsg(s), "7_dirty:3:13: relation \"later\" does not exist"),
                  "%s", strata_errmsg(s));
    ck_assert_ptr_nonnull(strstr(strata_errmsg(s), "--resume"));
    ck_assert_int_eq(test_query_long("SELECT failed_statement FROM strata_history WHERE "
                                     "version = 7 AND state = 'dirty' AND statements_done = 1 "
                                     "AND error LIKE '%later%'"), 2);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_EDIRTY);
    ck_assert_ptr_nonnull(strstr(strata_errmsg(s), "strata force 7"));
    strata_status_list *st = NULL;
    ck_assert_int_eq(strata_status(s, &st), STRATA_OK);
    ck_assert_str_eq(strata_status_get(st, 0)->state_name, "dirty");
    ck_assert_int_eq(strata_status_get(st, 0)->failed_statement, 2);
    strata_status_free(st);
    test_sql("CREATE TABLE later (id int)"); /* fix the cause */
    strata_set_resume(s, 1);
    apply_ok(s); /* statement 1 is not run again: it would fail */
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history WHERE version = 7 "
                                     "AND state = 'applied' AND statements_done = 3 AND "
                                     "failed_statement IS NULL"), 1);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM later"), 1);
    strata_close(s);
}
END_TEST

START_TEST(failed_concurrent_index_named)
{
    static const char up[] =
        "-- strata:no-transaction\n"
        "CREATE TABLE dups (k int);\n"
        "INSERT INTO dups VALUES (1), (1);\n"
        "CREATE UNIQUE INDEX CONCURRENTLY dups_k ON dups (k);\n";
    strata_migration_def m = {3, "uniq", up, NULL};
    strata *s = open_with(&m, 1);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_ESQL);
    ck_assert_msg(strstr(strata_errmsg(s), "3_uniq:4:"), "%s", strata_errmsg(s));
    ck_assert_msg(strstr(strata_errmsg(s), "INVALID index public.dups_k"), "%s", strata_errmsg(s));
    ck_assert_ptr_nonnull(strstr(strata_errmsg(s), "DROP INDEX CONCURRENTLY IF EXISTS public.dups_k"));
    strata_close(s);
}
END_TEST

START_TEST(sigkill_mid_notx_then_resume)
{
    static const char up[] =
        "-- strata:no-transaction\n"
        "CREATE TABLE k1 (id int);\n"
        "CREATE TABLE k2 (id int);\n"
        "SELECT pg_sleep(CASE WHEN current_setting('application_name') = 'victim' THEN 30 ELSE 0 END);\n"
        "CREATE TABLE k3 (id int);\n";
    strata_migration_def m = {11, "killed", up, NULL};
    char dsn[600];
    snprintf(dsn, sizeof dsn, "%s application_name=victim", test_db_current());
    pid_t kid = test_spawn_apply(dsn, &m, 1);
    wait_for_activity("SELECT pg_sleep(CASE%");
    kill(kid, SIGKILL);
    waitpid(kid, NULL, 0);
    test_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'victim'");
    ck_assert_int_eq(test_query_long("SELECT statements_done FROM strata_history WHERE "
                                     "version = 11 AND state = 'dirty'"), 2);
    strata *s = open_with(&m, 1);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_EDIRTY);
    strata_status_list *st = NULL;
    ck_assert_int_eq(strata_status(s, &st), STRATA_OK);
    ck_assert_int_eq(strata_status_get(st, 0)->flags, STRATA_ROW_INTERRUPTED | STRATA_ROW_NO_DOWN);
    strata_status_free(st);
    strata_set_resume(s, 1);
    apply_ok(s);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history WHERE version = 11 "
                                     "AND state = 'applied' AND statements_done = 4"), 1);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_class WHERE relname IN ('k1','k2','k3')"), 3);
    strata_close(s);
}
END_TEST

START_TEST(terminated_backend_mid_tx_leaves_nothing)
{
    static const char up[] =
        "CREATE TABLE tx1 (id int);\n"
        "SELECT pg_sleep(CASE WHEN current_setting('application_name') = 'victim' THEN 30 ELSE 0 END);\n";
    strata_migration_def m = {5, "tx", up, NULL};
    char dsn[600];
    snprintf(dsn, sizeof dsn, "%s application_name=victim", test_db_current());
    /* a helper process terminates our backend while we apply in-process */
    pid_t killer = fork();
    ck_assert_int_ge(killer, 0);
    if (killer == 0) {
        wait_for_activity("%pg_sleep(CASE%");
        test_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'victim'");
        _exit(0);
    }
    strata *v = NULL;
    ck_assert_int_eq(strata_open(&v, dsn), STRATA_OK);
    ck_assert_int_eq(strata_add_migrations(v, &m, 1), STRATA_OK);
    ck_assert_int_eq(strata_apply(v, STRATA_LATEST), STRATA_ECONNECT);
    ck_assert_msg(strstr(strata_errmsg(v), "5_tx"), "the failure does not name the migration: %s",
                  strata_errmsg(v));
    strata_close(v);
    int st;
    ck_assert_int_eq(waitpid(killer, &st, 0), killer);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_class WHERE relname = 'tx1'"), 0);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history"), 0);
    strata *s = open_with(&m, 1);
    apply_ok(s);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_class WHERE relname = 'tx1'"), 1);
    strata_close(s);
}
END_TEST

START_TEST(lock_timeout_retried_until_released)
{
    strata_migration_def m = {1, "alter", "-- strata:lock-timeout 200ms\nALTER TABLE busy ADD COLUMN c int;", NULL};
    test_events ev = {0};
    PGconn *holder = hold_busy("ACCESS EXCLUSIVE", "1.2");
    strata *s = open_with(&m, 1);
    strata_set_event_callback(s, test_events_cb, &ev);
    strata_set_retries(s, 4);
    strata_set_retry_backoff_ms(s, 300);
    apply_ok(s);
    ck_assert_int_ge(ev.count[STRATA_EVENT_RETRY], 1);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM information_schema.columns WHERE "
                                     "table_name = 'busy' AND column_name = 'c'"), 1);
    background_finish(holder);
    strata_close(s);
}
END_TEST

/* The defaults: short waits retried within a time budget, so a blocker of
 * a few seconds delays the migration without failing it; a budget shorter
 * than the blocker gives up after it, saying how long it tried. */
START_TEST(retry_budget_bounds_the_wait)
{
    strata_migration_def m = {1, "alter", "ALTER TABLE busy ADD COLUMN c int;", NULL};
    test_events ev = {0};
    PGconn *holder = hold_busy("ACCESS SHARE", "4");
    strata *s = open_with(&m, 1);
    strata_set_retry_budget_ms(s, 900);
    int64_t t0 = (int64_t)time(NULL);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_ESQL);
    ck_assert_msg(strstr(strata_errmsg(s), "gave up after"), "%s", strata_errmsg(s));
    ck_assert_int_le((int64_t)time(NULL) - t0, 2); /* stopped by the budget, not the blocker */
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history"), 0);
    strata_close(s);
    /* with the default budget the same blocker only delays it */
    s = open_with(&m, 1);
    strata_set_event_callback(s, test_events_cb, &ev);
    apply_ok(s);
    ck_assert_int_ge(ev.count[STRATA_EVENT_RETRY], 2);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history"), 1);
    background_finish(holder);
    strata_close(s);
}
END_TEST

START_TEST(lock_timeout_exhausted_names_blocker)
{
    strata_migration_def m = {1, "alter", "-- strata:lock-timeout 300ms\nALTER TABLE busy ADD COLUMN c int;", NULL};
    char want[64];
    PGconn *holder = hold_busy("ACCESS EXCLUSIVE", "5");
    strata *s = open_with(&m, 1);
    strata_set_retries(s, 1);
    strata_set_retry_backoff_ms(s, 50);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_ESQL);
    snprintf(want, sizeof want, "blocked by pid %d", backend_pid_of(holder));
    ck_assert_msg(strstr(strata_errmsg(s), want), "%s", strata_errmsg(s));
    ck_assert_ptr_nonnull(strstr(strata_errmsg(s), "[55P03]"));
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history"), 0);
    test_sql("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE 'BEGIN; LOCK TABLE busy%'");
    background_finish(holder);
    strata_close(s);
}
END_TEST

START_TEST(blocker_reported_while_waiting)
{
    strata_migration_def m = {1, "alter", "-- strata:lock-timeout 0\nALTER TABLE busy ADD COLUMN c int;", NULL};
    test_events ev = {0};
    PGconn *holder = hold_busy("SHARE", "1.5");
    strata *s = open_with(&m, 1);
    strata_set_event_callback(s, test_events_cb, &ev);
    strata_set_watch_interval_ms(s, 300);
    apply_ok(s);
    ck_assert_int_ge(ev.count[STRATA_EVENT_BLOCKED], 2);
    ck_assert_int_eq(ev.last_pid, backend_pid_of(holder));
    ck_assert_ptr_nonnull(strstr(ev.log, "pg_sleep(1.5)"));
    background_finish(holder);
    strata_close(s);
}
END_TEST

/* Two migrators racing over a set with CREATE INDEX CONCURRENTLY: the loser
 * polls for the lock instead of waiting inside a statement, so the index
 * build does not wait for its snapshot forever. */
START_TEST(two_migrators_with_concurrent_index)
{
    strata_migration_def defs[] = {
        {1, "t", "CREATE TABLE big (id int); INSERT INTO big SELECT generate_series(1, 50000);", NULL},
        {2, "idx", "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY big_id ON big (id);", NULL},
        {3, "after", "CREATE TABLE after_idx (id int);", NULL}};
    pid_t a = test_spawn_apply(test_db_current(), defs, 3), b = test_spawn_apply(test_db_current(), defs, 3);
    ck_assert_int_eq(test_wait_apply(a), STRATA_OK);
    ck_assert_int_eq(test_wait_apply(b), STRATA_OK);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_index i JOIN pg_class c ON "
                                     "c.oid = i.indexrelid WHERE c.relname = 'big_id' AND i.indisvalid"), 1);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history WHERE state = 'applied'"), 3);
}
END_TEST

/* A second migrator arriving while the first is inside a no-transaction
 * migration sees its dirty row: it must wait for the lock, not fail. */
START_TEST(second_migrator_waits_for_running_notx)
{
    strata_migration_def defs[] = {
        {1, "slow notx", "-- strata:no-transaction\nSELECT pg_sleep(1.5);\nCREATE TABLE w (id int);", NULL},
        {2, "after", "CREATE TABLE w2 (id int);", NULL}};
    pid_t a = test_spawn_apply(test_db_current(), defs, 2);
    wait_for_activity("SELECT pg_sleep(1.5)%");
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history WHERE state = 'dirty'"), 1);
    pid_t b = test_spawn_apply(test_db_current(), defs, 2);
    ck_assert_int_eq(test_wait_apply(b), STRATA_OK);
    ck_assert_int_eq(test_wait_apply(a), STRATA_OK);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history WHERE state = 'applied'"), 2);
}
END_TEST

START_TEST(revert_no_transaction_down)
{
    strata_migration_def defs[] = {
        {1, "t", "CREATE TABLE r (id int);", "DROP TABLE r;"},
        {2, "idx", "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY r_id ON r (id);",
         "-- strata:no-transaction\nDROP INDEX CONCURRENTLY r_id;"}};
    strata *s = open_with(defs, 2);
    apply_ok(s);
    ck_assert_int_eq(strata_revert_steps(s, 1), STRATA_OK);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_class WHERE relname = 'r_id'"), 0);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history"), 1);
    apply_ok(s);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_class WHERE relname = 'r_id'"), 1);
    /* the dry run shows the down's own mode: no transaction around it */
    test_events ev = {0};
    strata_set_event_callback(s, test_events_cb, &ev);
    strata_set_dry_run(s, 1);
    ck_assert_int_eq(strata_revert_steps(s, 1), STRATA_OK);
    ck_assert_ptr_nonnull(strstr(ev.log, "-- no-transaction"));
    ck_assert_ptr_null(strstr(ev.log, "BEGIN;"));
    ck_assert_ptr_nonnull(strstr(ev.log, "DROP INDEX CONCURRENTLY r_id"));
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_class WHERE relname = 'r_id'"), 1);
    strata_close(s);
}
END_TEST

START_TEST(phases_expand_then_contract)
{
    strata_migration_def defs[] = {
        {1, "add col", "CREATE TABLE p (id int, old_col int);\nALTER TABLE p ADD COLUMN new_col int;", NULL},
        {2, "drop old", "-- strata:phase contract\nALTER TABLE p DROP COLUMN old_col;", NULL},
        {3, "more", "CREATE TABLE q (id int);", NULL}};
    test_events ev = {0};
    strata *s = open_with(defs, 3);
    strata_set_event_callback(s, test_events_cb, &ev);
    strata_set_phase(s, STRATA_PHASE_EXPAND);
    apply_ok(s);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history"), 2);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history WHERE version = 2"), 0);
    ck_assert_int_eq(ev.count[STRATA_EVENT_SKIPPED_PHASE], 1);
    strata_status_list *st = NULL;
    ck_assert_int_eq(strata_status(s, &st), STRATA_OK);
    ck_assert_str_eq(strata_status_get(st, 1)->phase, "contract");
    ck_assert_str_eq(strata_status_get(st, 1)->state_name, "pending");
    strata_status_free(st);
    strata_set_phase(s, STRATA_PHASE_CONTRACT);
    apply_ok(s); /* no out-of-order refusal for the skipped contract migration */
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history WHERE version = 2 AND phase = 'contract'"), 1);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM information_schema.columns WHERE "
                                     "table_name = 'p' AND column_name = 'old_col'"), 0);
    strata_close(s);
}
END_TEST

START_TEST(batch_backfill_converges)
{
    strata_migration_def defs[] = {
        {1, "table", "CREATE TABLE items (id int PRIMARY KEY, done bool NOT NULL DEFAULT false);\n"
                     "INSERT INTO items SELECT generate_series(1, 25000);", NULL},
        {2, "backfill", "-- strata:batch pause 1ms\n"
                        "UPDATE items SET done = true WHERE id IN (SELECT id FROM items WHERE NOT done "
                        "ORDER BY id LIMIT 1000);", NULL}};
    test_events ev = {0};
    strata *s = open_with(defs, 2);
    strata_set_event_callback(s, test_events_cb, &ev);
    apply_ok(s);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM items WHERE NOT done"), 0);
    ck_assert_int_eq(ev.count[STRATA_EVENT_BATCH_PROGRESS], 26); /* 25 batches + the empty one */
    ck_assert_ptr_nonnull(strstr(ev.log, "25000 so far"));
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history WHERE version = 2"), 1);
    /* the whole backfill's time: 26 runs, each pausing 1 ms */
    ck_assert_int_ge(test_query_long("SELECT duration_ms FROM strata_history WHERE version = 2"), 26);
    strata_close(s);
}
END_TEST

START_TEST(batch_requires_one_statement)
{
    strata_migration_def m = {1, "bad", "-- strata:batch\nUPDATE a SET x = 1;\nUPDATE b SET y = 2;", NULL};
    strata *s = open_with(&m, 1);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_EPARSE);
    ck_assert_ptr_nonnull(strstr(strata_errmsg(s), "exactly one"));
    strata_close(s);
}
END_TEST

START_TEST(settings_do_not_leak)
{
    strata_migration_def defs[] = {
        {1, "sets", "-- strata:no-transaction\nSET statement_timeout = '9s';\nSET search_path = pg_catalog;\n"
                    "SET lock_timeout = '9s';", NULL},
        {2, "tx sets", "SET search_path = pg_catalog; SET statement_timeout = '8s';", NULL},
        {3, "reads", "CREATE TABLE public.seen AS SELECT current_setting('search_path') AS sp, "
                     "current_setting('statement_timeout') AS st, current_setting('lock_timeout') AS lt;", NULL}};
    strata *s = open_with(defs, 3);
    apply_ok(s);
    char *sp = test_query_value("SELECT sp || '|' || st || '|' || lt FROM public.seen");
    ck_assert_str_eq(sp, "\"$user\", public|0|750ms"); /* runner defaults, nothing leaked */
    free(sp);
    strata_close(s);
}
END_TEST

START_TEST(notx_meta_command_rejected)
{
    strata_migration_def m = {1, "psql", "-- strata:no-transaction\nCREATE TABLE a (id int);\n\\echo hello\n", NULL};
    strata *s = open_with(&m, 1);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_EPARSE);
    ck_assert_msg(strstr(strata_errmsg(s), "1_psql:3: psql meta-command"), "%s", strata_errmsg(s));
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_class WHERE relname = 'a'"), 0);
    strata_close(s);
}
END_TEST

/* SQL the parser cannot read (newer grammar, or a typo): split by the
 * scanner with a warning, and the server gets the final word. */
START_TEST(notx_scanner_fallback)
{
    strata_migration_def m = {4, "fallback", "-- strata:no-transaction\nCREATE TABLE fa (id int);\nCREATE TABLEX fb;\n", NULL};
    test_events ev = {0};
    strata *s = open_with(&m, 1);
    strata_set_event_callback(s, test_events_cb, &ev);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_ESQL);
    ck_assert_int_eq(ev.count[STRATA_EVENT_WARNING], 1);
    ck_assert_ptr_nonnull(strstr(ev.log, "split by the scanner"));
    ck_assert_msg(strstr(strata_errmsg(s), "4_fallback:3:8: syntax error"), "%s", strata_errmsg(s));
    ck_assert_int_eq(test_query_long("SELECT failed_statement FROM strata_history WHERE version = 4 "
                                     "AND state = 'dirty' AND statements_done = 1"), 2);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_class WHERE relname = 'fa'"), 1);
    strata_close(s);
}
END_TEST

START_TEST(self_managed_transactions)
{
    strata_migration_def m = {1, "own tx", "BEGIN;\nCREATE TABLE own (id int);\nSELECT pg_sleep(0.05);\nCOMMIT;\n", NULL};
    test_events ev = {0};
    strata *s = open_with(&m, 1);
    strata_set_event_callback(s, test_events_cb, &ev);
    apply_ok(s);
    ck_assert_int_eq(ev.count[STRATA_EVENT_SELF_MANAGED], 1);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history WHERE version = 1"), 1);
    /* measured around the migration, not the INSERT that follows it */
    ck_assert_int_ge(test_query_long("SELECT duration_ms FROM strata_history WHERE version = 1"), 50);
    strata_close(s);
}
END_TEST

static bool rel_exists(const char *name)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT to_regclass('%s') IS NOT NULL", name);
    char *v = test_query_value(sql);
    bool yes = v && v[0] == 't';
    free(v);
    return yes;
}

/* Nothing ran, nothing recorded, no lock and no transaction left behind. */
static void assert_untouched(strata *s, const char *table)
{
    ck_assert(!rel_exists(table));
    if (rel_exists("strata_history"))
        ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history"), 0);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"), 0);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_stat_activity WHERE state LIKE "
                                     "'idle in transaction%'"), 0);
    (void)s;
}

static void refused_at(const strata_migration_def *m, int code, const char *where, const char *what)
{
    strata *s = open_with(m, 1);
    int rc = strata_apply(s, STRATA_LATEST);
    ck_assert_msg(rc == code, "rc %d: %s", rc, strata_errmsg(s));
    ck_assert_msg(strstr(strata_errmsg(s), where), "want %s in: %s", where, strata_errmsg(s));
    ck_assert_msg(strstr(strata_errmsg(s), what), "want %s in: %s", what, strata_errmsg(s));
    assert_untouched(s, "cp");
    strata_close(s);
}

START_TEST(copy_from_stdin_refused)
{
    strata_migration_def tx = {1, "copy", "CREATE TABLE cp (id int);\n\n  COPY cp FROM STDIN;\n", NULL};
    strata_migration_def data = {2, "data", "CREATE TABLE cp (id int);\nCOPY cp (id) FROM stdin;\n1\n2\n\\.\n", NULL};
    strata_migration_def out = {3, "out", "CREATE TABLE cp (id int);\n-- x;\nCOPY (SELECT 1) TO STDOUT;\n", NULL};
    strata_migration_def notx = {4, "notx", "-- strata:no-transaction\nCREATE TABLE cp (id int);\nCOPY \"Cp\" FROM STDIN;\n", NULL};
    refused_at(&tx, STRATA_EPARSE, "1_copy:3: COPY ... FROM STDIN", "INSERT");
    refused_at(&data, STRATA_EPARSE, "2_data:2: COPY ... FROM STDIN", "INSERT");
    refused_at(&out, STRATA_EPARSE, "3_out:3: COPY ... TO STDOUT", "remove");
    refused_at(&notx, STRATA_EPARSE, "4_notx:3: COPY ... FROM STDIN", "INSERT");
    /* a COPY from a file on the server is not the client's business */
    strata_migration_def file = {5, "file", "CREATE TABLE cp (id int);\nCOPY cp FROM '/nonexistent/x.csv';\n", NULL};
    strata *s = open_with(&file, 1);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_ESQL);
    ck_assert_msg(strstr(strata_errmsg(s), "5_file:2:"), "%s", strata_errmsg(s));
    strata_close(s);
}
END_TEST

START_TEST(unbalanced_self_managed_refused)
{
    strata_migration_def open_tx = {1, "open", "BEGIN;\nCREATE TABLE cp (id int);\n", NULL};
    strata_migration_def stray = {2, "stray", "CREATE TABLE cp (id int);\n\nCOMMIT;\n", NULL};
    strata_migration_def nested = {3, "nested", "BEGIN;\nCREATE TABLE cp (id int);\nSTART TRANSACTION;\nCOMMIT;\n", NULL};
    strata_migration_def after = {4, "after", "BEGIN;\nCREATE TABLE cp (id int);\nCOMMIT;\n/* x */ begin;\nSELECT 1;\n", NULL};
    refused_at(&open_tx, STRATA_EPARSE, "1_open:1: BEGIN with no COMMIT", "add the COMMIT");
    refused_at(&stray, STRATA_EPARSE, "2_stray:3: COMMIT or ROLLBACK with no BEGIN", "BEGIN");
    refused_at(&nested, STRATA_EPARSE, "3_nested:3: BEGIN inside the transaction opened at line 1", "COMMIT");
    refused_at(&after, STRATA_EPARSE, "4_after:4: BEGIN with no COMMIT", "COMMIT");
    /* balanced, with a chain and a rollback: runs as written */
    strata_migration_def ok = {5, "ok", "BEGIN;\nCREATE TABLE cp (id int);\nCOMMIT AND CHAIN;\n"
                               "INSERT INTO cp VALUES (1);\nROLLBACK;\nBEGIN;\nINSERT INTO cp VALUES (2);\nCOMMIT;\n", NULL};
    strata *s = open_with(&ok, 1);
    apply_ok(s);
    ck_assert_int_eq(test_query_long("SELECT sum(id) FROM cp"), 2);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history WHERE version = 5"), 1);
    strata_close(s);
}
END_TEST

START_TEST(self_managed_gets_timeouts)
{
    strata_migration_def m = {1, "own",
        "BEGIN;\nCREATE TABLE st AS SELECT current_setting('lock_timeout') AS lt, "
        "current_setting('statement_timeout') AS st;\nCOMMIT;\n"
        "BEGIN;\nINSERT INTO st SELECT current_setting('lock_timeout'), current_setting('statement_timeout');\nCOMMIT;\n", NULL};
    PGconn *c = test_connect();
    strata *s = NULL;
    ck_assert_int_eq(strata_open_conn(&s, c), STRATA_OK);
    ck_assert_int_eq(strata_add_migrations(s, &m, 1), STRATA_OK);
    strata_set_lock_timeout_ms(s, 1234);
    strata_set_statement_timeout_ms(s, 56789);
    /* the dry run says what it gets: session-level SETs, no BEGIN around it */
    test_events ev = {0};
    strata_set_event_callback(s, test_events_cb, &ev);
    strata_set_dry_run(s, 1);
    apply_ok(s);
    ck_assert_msg(strstr(ev.log, "self-managed transactions") &&
                  strstr(ev.log, "SET lock_timeout = '1234ms'") && !strstr(ev.log, "SET LOCAL"),
                  "%s", ev.log);
    strata_set_dry_run(s, 0);
    apply_ok(s);
    /* both transactions got them, not only the first */
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM st WHERE lt = '1234ms' AND st = '56789ms'"), 2);
    strata_close(s);
    PGresult *r = PQexec(c, "SELECT current_setting('lock_timeout')");
    ck_assert_str_eq(PQgetvalue(r, 0, 0), "0"); /* restored on the borrowed connection */
    PQclear(r);
    PQfinish(c);
}
END_TEST

START_TEST(single_transaction_refuses_what_cannot_be_atomic)
{
    strata_migration_def defs[] = {{1, "a", "CREATE TABLE cp (id int);", NULL},
                                   {2, "own", "BEGIN;\nCREATE TABLE b (id int);\nCOMMIT;", NULL},
                                   {3, "notx", "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY i ON cp (id);", NULL},
                                   {4, "batch", "-- strata:batch\nUPDATE cp SET id = 1 WHERE id IS NULL;", NULL}};
    test_events ev = {0};
    strata *s = open_with(defs, 4);
    strata_set_single_transaction(s, 1);
    strata_set_event_callback(s, test_events_cb, &ev);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_EINVAL);
    const char *e = strata_errmsg(s);
    ck_assert_msg(strstr(e, "2_own (version 2): it runs its own BEGIN/COMMIT") &&
                  strstr(e, "3_notx (version 3): a no-transaction") &&
                  strstr(e, "4_batch (version 4): a batch") && !strstr(e, "1_a"), "%s", e);
    assert_untouched(s, "cp");
    ck_assert(!rel_exists("b"));
    ck_assert_int_eq(ev.count[STRATA_EVENT_MIGRATION_START], 0);
    /* a failure at the end reports nothing applied */
    strata_migration_def two[] = {{1, "a", "CREATE TABLE cp (id int);", NULL},
                                  {2, "bad", "SELECT broken FROM nowhere;", NULL}};
    strata_close(s);
    memset(&ev, 0, sizeof ev);
    s = open_with(two, 2);
    strata_set_single_transaction(s, 1);
    strata_set_event_callback(s, test_events_cb, &ev);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_ESQL);
    ck_assert_int_eq(ev.count[STRATA_EVENT_MIGRATION_DONE], 0);
    assert_untouched(s, "cp");
    ck_assert_int_eq(strata_apply(s, 1), STRATA_OK);
    ck_assert_int_eq(ev.count[STRATA_EVENT_MIGRATION_DONE], 1);
    strata_close(s);
}
END_TEST

static strata *open_one(int64_t v, const char *name, const char *up)
{
    strata_migration_def m = {v, name, up, NULL};
    return open_with(&m, 1);
}

START_TEST(resume_refuses_changed_done_prefix)
{
    static const char ran[] = "-- strata:no-transaction\nCREATE TABLE a (id int);\n"
                              "INSERT INTO a VALUES (1);\nINSERT INTO later VALUES (1);\n";
    strata *s = open_one(7, "edit", ran);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_ESQL);
    strata_close(s);
    /* an edit above the failed statement shifts the numbers */
    s = open_one(7, "edit", "-- strata:no-transaction\nCREATE TABLE a (id int);\n"
                            "CREATE TABLE newt (id int);\nINSERT INTO a VALUES (1);\n"
                            "CREATE TABLE later (id int);\n");
    strata_set_resume(s, 1);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_ECHECKSUM);
    ck_assert_msg(strstr(strata_errmsg(s), "7_edit:3: statement 2 changed since it ran, but 2 "
                                           "statement(s) had completed"), "%s", strata_errmsg(s));
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM a"), 1);
    ck_assert(!rel_exists("newt") && !rel_exists("later"));
    strata_close(s);
    /* a file that lost finished statements is refused too */
    s = open_one(7, "edit", "-- strata:no-transaction\nCREATE TABLE a (id int);\n");
    strata_set_resume(s, 1);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_ECHECKSUM);
    ck_assert_ptr_nonnull(strstr(strata_errmsg(s), "statement 2 is gone"));
    strata_close(s);
    /* fixing only the failed statement resumes, and records the new checksum */
    s = open_one(7, "edit", "-- strata:no-transaction\nCREATE TABLE a (id int);\n"
                            "INSERT INTO a VALUES (1);\nCREATE TABLE later (id int);\n");
    strata_set_resume(s, 1);
    apply_ok(s);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM a"), 1);
    ck_assert(rel_exists("later"));
    strata_set_resume(s, 0);
    apply_ok(s); /* not "modified" */
    strata_status_list *st = NULL;
    ck_assert_int_eq(strata_status(s, &st), STRATA_OK);
    ck_assert_str_eq(strata_status_get(st, 0)->state_name, "applied");
    strata_status_free(st);
    strata_close(s);
}
END_TEST

START_TEST(resume_row_without_hashes)
{
    static const char ran[] = "-- strata:no-transaction\nCREATE TABLE a (id int);\n"
                              "INSERT INTO later VALUES (1);\n";
    strata *s = open_one(3, "old", ran);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_ESQL);
    test_sql("UPDATE strata_history SET done_hashes = NULL"); /* as an older release wrote it */
    strata_close(s);
    s = open_one(3, "old", "-- strata:no-transaction\nCREATE TABLE a (id int);\nSELECT 1;\n");
    strata_set_resume(s, 1);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_ECHECKSUM);
    ck_assert_ptr_nonnull(strstr(strata_errmsg(s), "does not record which statements ran"));
    strata_close(s);
    test_sql("CREATE TABLE later (id int)");
    s = open_one(3, "old", ran);
    strata_set_resume(s, 1);
    apply_ok(s);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM later"), 1);
    strata_close(s);
}
END_TEST

/* A trigger on the history table: the progress update of statement @n of
 * version 2 fails with 55P03 (lock_timeout) @times times. */
static void progress_fails(int n, int times)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "CREATE SEQUENCE hits;\n"
             "CREATE FUNCTION busy() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
             "IF NEW.version = 2 AND NEW.statements_done = %d AND OLD.statements_done = %d "
             "AND nextval('hits') <= %d THEN RAISE EXCEPTION 'canceling statement due to lock "
             "timeout' USING ERRCODE = '55P03'; END IF; RETURN NEW; END $$;\n"
             "CREATE TRIGGER busy BEFORE UPDATE ON strata_history FOR EACH ROW EXECUTE FUNCTION busy();",
             n, n - 1, times);
    test_sql(sql);
}

static const strata_migration_def cic_defs[] = {
    {1, "first", "CREATE TABLE t (id int);", NULL},
    {2, "cic", "-- strata:no-transaction\nINSERT INTO t VALUES (1);\n"
               "CREATE INDEX CONCURRENTLY t_id ON t (id);\nINSERT INTO t VALUES (2);\n", NULL}};

START_TEST(progress_retry_does_not_rerun_statement)
{
    strata *s = open_with(cic_defs, 1);
    apply_ok(s);
    strata_close(s);
    progress_fails(2, 1);
    s = open_with(cic_defs, 2);
    strata_set_retries(s, 2);
    strata_set_retry_backoff_ms(s, 1);
    apply_ok(s); /* the CREATE INDEX is not sent twice ("already exists") */
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM t"), 2);
    ck_assert_int_eq(test_query_long("SELECT statements_done FROM strata_history WHERE version = 2 "
                                     "AND state = 'applied'"), 3);
    strata_close(s);
}
END_TEST

START_TEST(resume_after_statement_committed_without_progress)
{
    strata *s = open_with(cic_defs, 1);
    apply_ok(s);
    strata_close(s);
    progress_fails(2, 100);
    s = open_with(cic_defs, 2);
    strata_set_retries(s, 1);
    strata_set_retry_backoff_ms(s, 1);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_ESQL);
    ck_assert_int_eq(test_query_long("SELECT statements_done FROM strata_history WHERE version = 2 "
                                     "AND state = 'dirty'"), 1);
    test_sql("DROP TRIGGER busy ON strata_history");
    test_events ev = {0};
    strata_set_event_callback(s, test_events_cb, &ev);
    strata_set_resume(s, 1);
    apply_ok(s); /* the index is in the catalog: statement 2 is not run again */
    ck_assert_ptr_nonnull(strstr(ev.log, "statement 2 completed before the interruption"));
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM t"), 2);
    strata_close(s);
}
END_TEST

START_TEST(invalid_index_cleanup_quoted)
{
    strata *s = open_one(3, "uniq", "-- strata:no-transaction\nCREATE TABLE \"Dups\" (k int);\n"
                                    "INSERT INTO \"Dups\" VALUES (1), (1);\n"
                                    "CREATE UNIQUE INDEX CONCURRENTLY \"Uniq\" ON \"Dups\" (k);\n");
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_ESQL);
    ck_assert_msg(strstr(strata_errmsg(s), "INVALID index public.\"Uniq\" behind; clear it with: "
                                           "DROP INDEX CONCURRENTLY IF EXISTS public.\"Uniq\";"),
                  "%s", strata_errmsg(s));
    strata_close(s);
}
END_TEST

START_TEST(huge_watch_interval_saturates)
{
    strata_migration_def m = {1, "alter", "-- strata:lock-timeout 0\nALTER TABLE busy ADD COLUMN c int;", NULL};
    test_events ev = {0};
    PGconn *holder = hold_busy("SHARE", "1");
    strata *s = open_with(&m, 1);
    strata_set_event_callback(s, test_events_cb, &ev);
    ck_assert_int_eq(strata_set_watch_interval_ms(s, INT64_MAX), STRATA_OK);
    ck_assert_int_eq(strata_set_retry_backoff_ms(s, INT64_MAX / 3), STRATA_OK);
    apply_ok(s);
    /* the first look comes early, the next one never: no wrap into a busy loop */
    ck_assert_int_eq(ev.count[STRATA_EVENT_BLOCKED], 1);
    ck_assert_int_eq(ev.count[STRATA_EVENT_RETRY], 0);
    background_finish(holder);
    strata_close(s);
}
END_TEST

START_TEST(batch_not_converging_stops)
{
    strata_migration_def defs[] = {
        {1, "table", "CREATE TABLE \"Items\" (id int PRIMARY KEY, n int NOT NULL DEFAULT 0);\n"
                     "INSERT INTO \"Items\" SELECT generate_series(1, 50);", NULL},
        {2, "forever", "-- strata:batch\n-- its WHERE never stops matching\n"
                       "UPDATE \"Items\" SET n = n + 1 WHERE id IN (SELECT id FROM \"Items\" LIMIT 100);", NULL}};
    strata *s = open_with(defs, 2);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_ESQL);
    ck_assert_msg(strstr(strata_errmsg(s), "2_forever:3: the batch changed 10050 rows in 201 "
                                           "batches") && strstr(strata_errmsg(s), "never stop"),
                  "%s", strata_errmsg(s));
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history WHERE version = 2 AND "
                                     "state = 'dirty' AND failed_statement = 1 AND error LIKE "
                                     "'%never stop%'"), 1);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"), 0);
    strata_close(s);
}
END_TEST

START_TEST(batch_interrupted_is_dirty_then_resumes)
{
    strata_migration_def defs[] = {
        {1, "table", "CREATE TABLE items (id int PRIMARY KEY, done bool NOT NULL DEFAULT false);\n"
                     "INSERT INTO items SELECT generate_series(1, 100);", NULL},
        {2, "slow", "-- strata:batch\nUPDATE items SET done = true WHERE id IN (SELECT id FROM items "
                    "WHERE NOT done ORDER BY id LIMIT 10) AND EXISTS (SELECT FROM pg_sleep(0.2));", NULL}};
    strata *s = open_with(defs, 1);
    apply_ok(s);
    strata_close(s);
    char dsn[600];
    snprintf(dsn, sizeof dsn, "%s application_name=victim", test_db_current());
    pid_t kid = test_spawn_apply(dsn, defs, 2);
    for (int i = 0; i < 500 && test_query_long("SELECT coalesce(max(statements_done), 0) FROM "
                                               "strata_history WHERE version = 2") < 3; i++)
        usleep(10000);
    test_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'victim'");
    ck_assert_int_eq(test_wait_apply(kid), STRATA_ECONNECT);
    s = open_with(defs, 2);
    strata_status_list *st = NULL;
    ck_assert_int_eq(strata_status(s, &st), STRATA_OK);
    const strata_status_row *row = strata_status_get(st, 1);
    ck_assert_str_eq(row->state_name, "dirty");
    ck_assert(row->flags & STRATA_ROW_INTERRUPTED);
    ck_assert_msg(row->error && strstr(row->error, "batch interrupted: ") &&
                  strstr(row->error, "0 rows done in "), "%s", row->error ? row->error : "(null)");
    strata_status_free(st);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_EDIRTY);
    ck_assert_msg(strstr(strata_errmsg(s), "is dirty: it was interrupted after ") &&
                  !strstr(strata_errmsg(s), "statement 0"), "%s", strata_errmsg(s));
    strata_set_resume(s, 1);
    apply_ok(s);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM items WHERE NOT done"), 0);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history WHERE version = 2 AND "
                                     "state = 'applied' AND error IS NULL"), 1);
    strata_close(s);
}
END_TEST

START_TEST(notx_own_transaction_failure_unlocks)
{
    strata *s = open_one(5, "own", "-- strata:no-transaction\nCREATE TABLE x (id int);\nBEGIN;\n"
                                   "INSERT INTO x VALUES (1);\nINSERT INTO nope VALUES (1);\nCOMMIT;\n");
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_ESQL);
    ck_assert_msg(strstr(strata_errmsg(s), "5_own:5:"), "%s", strata_errmsg(s));
    /* while the handle is still open: unlocked, and the failure recorded */
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"), 0);
    ck_assert_int_eq(test_query_long("SELECT failed_statement FROM strata_history WHERE version = 5 "
                                     "AND state = 'dirty'"), 4);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM x"), 0);
    strata_status_list *st = NULL;
    ck_assert_int_eq(strata_status(s, &st), STRATA_OK); /* the handle still works */
    strata_status_free(st);
    strata_close(s);
}
END_TEST

Suite *test_suite(void)
{
    Suite *s = suite_create("runtime");
    TCase *tc = tcase_create("no-transaction");
    tcase_add_checked_fixture(tc, fresh_db, NULL);
    tcase_add_test(tc, notx_parser_split);
    tcase_add_test(tc, notx_failure_dirty_then_resume);
    tcase_add_test(tc, failed_concurrent_index_named);
    tcase_add_test(tc, sigkill_mid_notx_then_resume);
    tcase_add_test(tc, terminated_backend_mid_tx_leaves_nothing);
    tcase_add_test(tc, notx_meta_command_rejected);
    tcase_add_test(tc, self_managed_transactions);
    tcase_add_test(tc, notx_scanner_fallback);
    suite_add_tcase(s, tc);
    tc = tcase_create("locks");
    tcase_add_checked_fixture(tc, fresh_db, NULL);
    tcase_add_test(tc, lock_timeout_retried_until_released);
    tcase_add_test(tc, lock_timeout_exhausted_names_blocker);
    tcase_add_test(tc, retry_budget_bounds_the_wait);
    tcase_add_test(tc, blocker_reported_while_waiting);
    tcase_add_test(tc, huge_watch_interval_saturates);
    tcase_add_test(tc, two_migrators_with_concurrent_index);
    tcase_add_test(tc, second_migrator_waits_for_running_notx);
    tcase_add_test(tc, revert_no_transaction_down);
    suite_add_tcase(s, tc);
    tc = tcase_create("refused-before-running");
    tcase_add_checked_fixture(tc, fresh_db, NULL);
    tcase_add_test(tc, copy_from_stdin_refused);
    tcase_add_test(tc, unbalanced_self_managed_refused);
    tcase_add_test(tc, self_managed_gets_timeouts);
    tcase_add_test(tc, single_transaction_refuses_what_cannot_be_atomic);
    tcase_add_test(tc, notx_own_transaction_failure_unlocks);
    suite_add_tcase(s, tc);

    tc = tcase_create("resume");
    tcase_add_checked_fixture(tc, fresh_db, NULL);
    tcase_add_test(tc, resume_refuses_changed_done_prefix);
    tcase_add_test(tc, resume_row_without_hashes);
    tcase_add_test(tc, progress_retry_does_not_rerun_statement);
    tcase_add_test(tc, resume_after_statement_committed_without_progress);
    tcase_add_test(tc, invalid_index_cleanup_quoted);
    suite_add_tcase(s, tc);

    tc = tcase_create("phases-batches-settings");
    tcase_add_checked_fixture(tc, fresh_db, NULL);
    tcase_add_test(tc, phases_expand_then_contract);
    tcase_add_test(tc, batch_backfill_converges);
    tcase_add_test(tc, batch_not_converging_stops);
    tcase_add_test(tc, batch_interrupted_is_dirty_then_resumes);
    tcase_add_test(tc, batch_requires_one_statement);
    tcase_add_test(tc, settings_do_not_leak);
    suite_add_tcase(s, tc);
    return s;
}
