/* Applying, reverting and status against a real PostgreSQL. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

const bool test_needs_pg = true;

static void fresh_db(void)
{
    test_db_new();
}

static strata *open_dir(const char *dir)
{
    strata *s = test_open();
    ck_assert_msg(strata_add_dir(s, dir) == STRATA_OK, "%s", strata_errmsg(s));
    return s;
}

static void apply_ok(strata *s)
{
    int rc = strata_apply(s, STRATA_LATEST);
    ck_assert_msg(rc == STRATA_OK, "apply: %d %s", rc, strata_errmsg(s));
}

static long count_history(void)
{
    return test_query_long("SELECT count(*) FROM strata_history");
}

static bool table_exists(const char *name)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT to_regclass('%s') IS NOT NULL", name);
    char *v = test_query_value(sql);
    bool yes = v && v[0] == 't';
    free(v);
    return yes;
}

START_TEST(every_format_applies)
{
    char *dir = test_tmpdir(), sub[256];
    test_write(dir, "1_pair.up.sql", "CREATE TABLE t_pair (id int);");
    test_write(dir, "1_pair.down.sql", "DROP TABLE t_pair;");
    test_write(dir, "2_simple.sql", "CREATE TABLE t_simple (id int);");
    test_write(dir, "3_dbmate.sql", "-- migrate:up\nCREATE TABLE t_dbmate (id int);\n-- migrate:down\nDROP TABLE t_dbmate;\n");
    test_write(dir, "4_goose.sql", "-- +goose Up\n-- +goose StatementBegin\nCREATE TABLE t_goose (id int);\n"
                                   "-- +goose StatementEnd\n-- +goose Down\nDROP TABLE t_goose;\n");
    snprintf(sub, sizeof sub, "%s/0005_diesel", dir);
    ck_assert_int_eq(mkdir(sub, 0755), 0);
    test_write(sub, "up.sql", "CREATE TABLE t_diesel (id int);");
    test_write(sub, "down.sql", "DROP TABLE t_diesel;");
    strata *s = open_dir(dir);
    apply_ok(s);
    ck_assert(table_exists("t_pair") && table_exists("t_simple") && table_exists("t_dbmate") &&
              table_exists("t_goose") && table_exists("t_diesel"));
    ck_assert_int_eq(count_history(), 5);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history WHERE state = 'applied' "
                                     "AND checksum_algo = 1 AND octet_length(checksum) = 32 "
                                     "AND duration_ms >= 0 AND applied_by LIKE 'postgres%'"), 5);
    /* reverts follow application order and run the down sections */
    ck_assert_int_eq(strata_revert(s, 2), STRATA_OK);
    ck_assert(!table_exists("t_diesel") && !table_exists("t_dbmate") && !table_exists("t_goose"));
    ck_assert(table_exists("t_simple") && table_exists("t_pair"));
    /* 2 is a simple file with no down: irreversible, so nothing moves */
    ck_assert_int_eq(strata_revert(s, 0), STRATA_EIRREVERSIBLE);
    ck_assert(table_exists("t_pair"));
    ck_assert_int_eq(count_history(), 2);
    strata_close(s);
    free(dir);
}
END_TEST

START_TEST(bad_directory_applies_nothing)
{
    char *dir = test_tmpdir();
    test_write(dir, "1_ok.sql", "CREATE TABLE t_ok (id int);");
    test_write(dir, "2_bad.sql", "-- strata:unknown\nCREATE TABLE t_bad (id int);");
    strata *s = test_open();
    ck_assert_int_eq(strata_add_dir(s, dir), STRATA_EPARSE);
    ck_assert_ptr_nonnull(strstr(strata_errmsg(s), "2_bad.sql:1"));
    apply_ok(s); /* nothing registered: nothing to do */
    ck_assert(!table_exists("t_ok"));
    ck_assert(!table_exists("strata_history"));
    strata_close(s);
    free(dir);
}
END_TEST

START_TEST(sql_error_maps_to_file_line)
{
    char *dir = test_tmpdir();
    test_write(dir, "1_ok.sql", "CREATE TABLE t1 (id int);");
    test_write(dir, "2_broken.sql",
               "-- leading comment\nCREATE TABLE t2 (id int);\n\nINSERT INTO t2\n  SELECT * FROM no_such_table;\n");
    test_write(dir, "3_never.sql", "CREATE TABLE t3 (id int);");
    strata *s = open_dir(dir);
    int rc = strata_apply(s, STRATA_LATEST);
    ck_assert_int_eq(rc, STRATA_ESQL);
    ck_assert_msg(strstr(strata_errmsg(s), "2_broken.sql:5:17: relation \"no_such_table\" does not exist [42P01]"),
                  "%s", strata_errmsg(s));
    ck_assert(table_exists("t1"));
    ck_assert(!table_exists("t2")); /* rolled back with its history row */
    ck_assert(!table_exists("t3"));
    ck_assert_int_eq(count_history(), 1);
    strata_close(s);
    free(dir);
}
END_TEST

START_TEST(error_without_position_maps_to_statement)
{
    char *dir = test_tmpdir();
    test_write(dir, "1_div.sql", "CREATE TABLE t1 (id int);\n-- two\nSELECT 1;\n\n  SELECT 1/0;\n");
    strata *s = open_dir(dir);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_ESQL);
    ck_assert_msg(strstr(strata_errmsg(s), "1_div.sql:5:3: division by zero [22012]"), "%s",
                  strata_errmsg(s));
    strata_close(s);
    free(dir);
}
END_TEST

START_TEST(checksum_mismatch_refused_crlf_accepted)
{
    char *dir = test_tmpdir();
    test_write(dir, "1_a.sql", "CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n");
    strata *s = open_dir(dir);
    apply_ok(s);
    strata_close(s);
    /* line endings alone are not an edit */
    test_write(dir, "1_a.sql", "CREATE TABLE a (id int);\r\nCREATE TABLE b (id int);\r\n");
    s = open_dir(dir);
    apply_ok(s);
    strata_close(s);
    test_write(dir, "1_a.sql", "CREATE TABLE a (id bigint);\nCREATE TABLE b (id int);\n");
    test_write(dir, "2_b.sql", "CREATE TABLE c (id int);\n");
    s = open_dir(dir);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_ECHECKSUM);
    ck_assert_ptr_nonnull(strstr(strata_errmsg(s), "migration 1 "));
    ck_assert_ptr_nonnull(strstr(strata_errmsg(s), "1_a.sql"));
    ck_assert(!table_exists("c"));
    strata_status_list *st = NULL;
    ck_assert_int_eq(strata_status(s, &st), STRATA_OK);
    ck_assert_str_eq(strata_status_get(st, 0)->state_name, "modified");
    strata_status_free(st);
    ck_assert_int_eq(strata_accept(s, 1), STRATA_OK);
    apply_ok(s);
    ck_assert(table_exists("c"));
    strata_close(s);
    free(dir);
}
END_TEST

START_TEST(out_of_order_refused_then_allowed)
{
    strata_migration_def first[] = {{1, "a", "CREATE TABLE a (id int);", NULL},
                                    {3, "c", "CREATE TABLE c (id int);", NULL}};
    strata_migration_def late = {2, "b", "CREATE TABLE b (id int);", "DROP TABLE b;"};
    strata *s = test_open();
    ck_assert_int_eq(strata_add_migrations(s, first, 2), STRATA_OK);
    apply_ok(s);
    ck_assert_int_eq(strata_add_migrations(s, &late, 1), STRATA_OK);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_EORDER);
    ck_assert_ptr_nonnull(strstr(strata_errmsg(s), "migration 2"));
    ck_assert(!table_exists("b"));
    strata_status_list *st = NULL;
    ck_assert_int_eq(strata_status(s, &st), STRATA_OK);
    ck_assert_str_eq(strata_status_get(st, 1)->state_name, "out-of-order");
    strata_status_free(st);
    strata_set_allow_out_of_order(s, 1);
    apply_ok(s);
    ck_assert(table_exists("b"));
    /* applied_rank records order of application: 2 came last */
    ck_assert_int_eq(test_query_long("SELECT applied_rank FROM strata_history WHERE version = 2"), 3);
    strata_close(s);
}
END_TEST

START_TEST(unknown_applied_version_reported)
{
    strata_migration_def all[] = {{1, "a", "CREATE TABLE a (id int);", NULL},
                                  {2, "b", "CREATE TABLE b (id int);", NULL}};
    strata *s = test_open();
    test_events ev = {0};
    ck_assert_int_eq(strata_add_migrations(s, all, 2), STRATA_OK);
    apply_ok(s);
    strata_close(s);
    /* an older release that knows only version 1 */
    s = test_open();
    strata_set_event_callback(s, test_events_cb, &ev);
    ck_assert_int_eq(strata_add_migrations(s, all, 1), STRATA_OK);
    apply_ok(s);
    ck_assert_int_eq(ev.count[STRATA_EVENT_UNKNOWN_VERSION], 1);
    strata_status_list *st = NULL;
    ck_assert_int_eq(strata_status(s, &st), STRATA_OK);
    ck_assert_uint_eq(strata_status_count(st), 2);
    ck_assert_int_eq(strata_status_get(st, 1)->state, STRATA_STATE_UNKNOWN);
    ck_assert_str_eq(strata_status_get(st, 1)->name, "b");
    strata_status_free(st);
    strata_set_strict(s, 1);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_EUNKNOWN);
    strata_close(s);
}
END_TEST

static void revert_logger(const strata_event *ev, void *payload)
{
    char *log = payload;
    if (ev->type == STRATA_EVENT_REVERT_DONE)
        snprintf(log + strlen(log), 64, "%lld,", (long long)ev->version);
}

START_TEST(revert_order_and_irreversible)
{
    strata_migration_def defs[] = {{1, "a", "CREATE TABLE a (id int);", "DROP TABLE a;"},
                                   {2, "b", "CREATE TABLE b (id int);", "DROP TABLE b;"},
                                   {3, "c", "CREATE TABLE c (id int);", "DROP TABLE c;"},
                                   {4, "d", "CREATE TABLE d (id int);", NULL}};
    char log[256] = "";
    strata *s = test_open();
    strata_set_event_callback(s, revert_logger, log);
    ck_assert_int_eq(strata_add_migrations(s, defs, 1), STRATA_OK);
    ck_assert_int_eq(strata_add_migrations(s, defs + 2, 1), STRATA_OK);
    apply_ok(s);                               /* 1, 3 */
    ck_assert_int_eq(strata_add_migrations(s, defs + 1, 1), STRATA_OK);
    strata_set_allow_out_of_order(s, 1);
    apply_ok(s);                               /* then 2 */
    ck_assert_int_eq(strata_revert_steps(s, 2), STRATA_OK);
    ck_assert_str_eq(log, "2,3,");             /* order of application, reversed */
    ck_assert(table_exists("a") && !table_exists("b") && !table_exists("c"));
    ck_assert_int_eq(strata_add_migrations(s, defs + 3, 1), STRATA_OK);
    apply_ok(s);                               /* 2, 3, 4 again */
    log[0] = '\0';
    ck_assert_int_eq(strata_revert(s, 0), STRATA_EIRREVERSIBLE);
    ck_assert_ptr_nonnull(strstr(strata_errmsg(s), "migration 4"));
    ck_assert_str_eq(log, "");                 /* nothing reverted */
    ck_assert_int_eq(count_history(), 4);
    ck_assert_int_eq(strata_revert(s, 4), STRATA_OK); /* nothing above 4 */
    ck_assert_int_eq(count_history(), 4);
    strata_close(s);
}
END_TEST

START_TEST(revert_targets_before_first)
{
    strata_migration_def defs[] = {{1, "a", "CREATE TABLE a (id int);", "DROP TABLE a;"},
                                   {2, "b", "CREATE TABLE b (id int);", "DROP TABLE b;"}};
    strata *s = test_open();
    ck_assert_int_eq(strata_add_migrations(s, defs, 2), STRATA_OK);
    apply_ok(s);
    ck_assert_int_eq(strata_revert(s, -2), STRATA_EINVAL);
    ck_assert_ptr_nonnull(strstr(strata_errmsg(s), "STRATA_BEFORE_FIRST"));
    ck_assert_int_eq(strata_revert(s, INT64_MIN), STRATA_EINVAL);
    ck_assert_int_eq(count_history(), 2);
    ck_assert_int_eq(strata_revert(s, 1), STRATA_OK);
    ck_assert_int_eq(count_history(), 1);
    ck_assert_int_eq(strata_revert(s, STRATA_BEFORE_FIRST), STRATA_OK);
    ck_assert_int_eq(count_history(), 0);
    ck_assert(!table_exists("a") && !table_exists("b"));
    /* apply to a version nobody has: an error naming it, nothing applied */
    ck_assert_int_eq(strata_apply(s, 7), STRATA_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(strata_errmsg(s), "no migration has version 7"));
    ck_assert_int_eq(count_history(), 0);
    strata_close(s);
}
END_TEST

static void warn_logger(const strata_event *ev, void *payload)
{
    char *log = payload;
    if (ev->type == STRATA_EVENT_WARNING && strlen(log) < 1500)
        snprintf(log + strlen(log), 500, "%s\n", ev->message);
}

START_TEST(empty_down_refused_then_allowed)
{
    strata_migration_def defs[] = {
        {1, "a", "CREATE TABLE a (id int);", "DROP TABLE a;"},
        {2, "oneway", "INSERT INTO a VALUES (1);", "-- Not reversible: the rows stay\n-- second\n"},
        {3, "blank", "CREATE TABLE b (id int);", "  /* ünïcode \"q\" */ ;\n\f\n"},
        {4, "irrev", "CREATE TABLE c (id int);", NULL}};
    char log[2048] = "";
    strata *s = test_open();
    strata_set_event_callback(s, warn_logger, log);
    ck_assert_int_eq(strata_add_migrations(s, defs, 4), STRATA_OK);
    ck_assert_int_eq(strata_apply(s, 3), STRATA_OK); /* 4 stays pending */
    ck_assert_int_eq(count_history(), 3);
    ck_assert_int_eq(strata_revert(s, STRATA_BEFORE_FIRST), STRATA_EIRREVERSIBLE);
    const char *e = strata_errmsg(s);
    ck_assert_msg(strstr(e, "2_oneway (version 2): \"Not reversible: the rows stay\"") &&
                  strstr(e, "3_blank (version 3): \"ünïcode \"q\"\"") &&
                  strstr(e, "allow-empty-down") && strstr(e, "nothing was reverted"), "%s", e);
    ck_assert_int_eq(count_history(), 3);
    ck_assert(table_exists("a") && table_exists("b"));
    /* status shows them apart */
    strata_status_list *st = NULL;
    ck_assert_int_eq(strata_status(s, &st), STRATA_OK);
    ck_assert_int_eq(strata_status_get(st, 0)->flags, 0);
    ck_assert_int_eq(strata_status_get(st, 1)->flags, STRATA_ROW_EMPTY_DOWN);
    ck_assert_int_eq(strata_status_get(st, 2)->flags, STRATA_ROW_EMPTY_DOWN);
    ck_assert_int_eq(strata_status_get(st, 3)->flags, STRATA_ROW_NO_DOWN);
    strata_status_free(st);
    /* states only: the same states, no scan-decided flags, the others kept */
    ck_assert_int_eq(strata_status_v2(s, 2, &st), STRATA_EINVAL);
    ck_assert_int_eq(strata_status_v2(s, STRATA_STATUS_STATES_ONLY, &st), STRATA_OK);
    ck_assert_int_eq(strata_status_count(st), 4);
    ck_assert_int_eq(strata_status_get(st, 1)->state, STRATA_STATE_APPLIED);
    ck_assert_int_eq(strata_status_get(st, 1)->flags, 0);
    ck_assert_int_eq(strata_status_get(st, 2)->flags, 0);
    ck_assert_int_eq(strata_status_get(st, 3)->state, STRATA_STATE_PENDING);
    ck_assert_int_eq(strata_status_get(st, 3)->flags, STRATA_ROW_NO_DOWN);
    strata_status_free(st);
    ck_assert_int_eq(strata_set_allow_empty_down(NULL, 1), STRATA_EINVAL);
    ck_assert_int_eq(strata_set_allow_empty_down(s, 1), STRATA_OK);
    test_events ev = {0};
    strata_set_event_callback(s, test_events_cb, &ev);
    strata_set_dry_run(s, 1);
    ck_assert_int_eq(strata_revert(s, STRATA_BEFORE_FIRST), STRATA_OK);
    ck_assert_msg(strstr(ev.log, "the down holds no statement: only its history row is removed"),
                  "%s", ev.log);
    ck_assert_int_eq(count_history(), 3);
    strata_set_dry_run(s, 0);
    strata_set_event_callback(s, warn_logger, log);
    ck_assert_int_eq(strata_revert(s, STRATA_BEFORE_FIRST), STRATA_OK);
    ck_assert_int_eq(count_history(), 0);
    ck_assert(!table_exists("a"));
    ck_assert(table_exists("b")); /* a no-op really is one */
    ck_assert_msg(strstr(log, "2_oneway (version 2): the down holds no statement") &&
                  strstr(log, "3_blank (version 3)"), "%s", log);
    strata_close(s);
}
END_TEST

START_TEST(down_runs_with_its_own_directives)
{
    strata_migration_def defs[] = {
        {1, "t", "-- strata:lock-timeout 5s\nCREATE TABLE r (id int);",
         "-- strata:lock-timeout 777ms\n-- strata:statement-timeout 8s\n"
         "CREATE TABLE seen AS SELECT current_setting('lock_timeout') AS lt, "
         "current_setting('statement_timeout') AS st;\nDROP TABLE r;"},
        {2, "idx", "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY r_id ON r (id);",
         "DROP INDEX r_id;\nSELECT 1/0;"}};
    strata *s = test_open();
    ck_assert_int_eq(strata_add_migrations(s, defs, 2), STRATA_OK);
    apply_ok(s);
    /* the up is no-transaction, the down is not: its failure undoes the DROP */
    ck_assert_int_eq(strata_revert(s, 1), STRATA_ESQL);
    ck_assert_msg(strstr(strata_errmsg(s), "2_idx:2:"), "%s", strata_errmsg(s));
    ck_assert(table_exists("r_id"));
    ck_assert_int_eq(count_history(), 2);
    test_sql("DROP INDEX r_id");
    test_sql("DELETE FROM strata_history WHERE version = 2");
    test_events ev = {0};
    strata_set_event_callback(s, test_events_cb, &ev);
    strata_set_dry_run(s, 1);
    ck_assert_int_eq(strata_revert(s, STRATA_BEFORE_FIRST), STRATA_OK);
    ck_assert_msg(strstr(ev.log, "lock_timeout = '777ms'") && !strstr(ev.log, "5000ms"), "%s", ev.log);
    strata_set_dry_run(s, 0);
    ck_assert_int_eq(strata_revert(s, STRATA_BEFORE_FIRST), STRATA_OK);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM seen WHERE lt = '777ms' AND st = '8s'"), 1);
    strata_close(s);
}
END_TEST

START_TEST(self_managed_and_copy_downs)
{
    strata_migration_def defs[] = {
        {1, "t", "CREATE TABLE r (id int);", "BEGIN;\nDROP TABLE r;\nCOMMIT;\n"},
        {2, "cp", "CREATE TABLE q (id int);", "DROP TABLE q;\nCOPY r TO STDOUT;\n"}};
    strata *s = test_open();
    ck_assert_int_eq(strata_add_migrations(s, defs, 2), STRATA_OK);
    apply_ok(s);
    ck_assert_int_eq(strata_revert(s, STRATA_BEFORE_FIRST), STRATA_EPARSE);
    ck_assert_msg(strstr(strata_errmsg(s), "2_cp:2: COPY ... TO STDOUT"), "%s", strata_errmsg(s));
    ck_assert(table_exists("q"));
    test_sql("DELETE FROM strata_history WHERE version = 2");
    ck_assert_int_eq(strata_revert(s, STRATA_BEFORE_FIRST), STRATA_OK);
    ck_assert(!table_exists("r"));
    ck_assert_int_eq(count_history(), 0);
    strata_close(s);
}
END_TEST

static void order_logger(const strata_event *ev, void *payload)
{
    char *log = payload;
    if (ev->type == STRATA_EVENT_REVERT_DONE || ev->type == STRATA_EVENT_MIGRATION_DONE)
        snprintf(log + strlen(log), 64, "%s%lld,", ev->type == STRATA_EVENT_REVERT_DONE ? "-" : "+",
                 (long long)ev->version);
}

START_TEST(redo_reverts_and_reapplies_exactly)
{
    strata_migration_def defs[] = {
        {1, "a", "CREATE TABLE a (id int);", "DROP TABLE a;"},
        {2, "b", "CREATE TABLE b (id int);", "DROP TABLE b;"},
        {3, "idx", "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY a_id ON a (id);",
         "-- strata:no-transaction\nDROP INDEX CONCURRENTLY a_id;"},
        {4, "c", "CREATE TABLE c (id int);", "DROP TABLE c;"}};
    char log[256] = "";
    int64_t first = -7;
    strata *s = test_open();
    strata_set_event_callback(s, order_logger, log);
    ck_assert_int_eq(strata_redo(s, 1, &first), STRATA_ENOTFOUND); /* nothing applied */
    ck_assert_int_eq(first, -7);
    ck_assert_int_eq(strata_add_migrations(s, defs, 1), STRATA_OK);
    ck_assert_int_eq(strata_add_migrations(s, defs + 2, 1), STRATA_OK);
    apply_ok(s);                                  /* 1, 3 */
    ck_assert_int_eq(strata_add_migrations(s, defs + 1, 1), STRATA_OK);
    ck_assert_int_eq(strata_add_migrations(s, defs + 3, 1), STRATA_OK);
    ck_assert_int_eq(strata_redo(s, 0, &first), STRATA_EINVAL);
    log[0] = '\0';
    ck_assert_int_eq(strata_redo(s, 2, &first), STRATA_OK);
    ck_assert_str_eq(log, "-3,-1,+1,+3,");         /* 2 and 4 stay pending */
    ck_assert_int_eq(first, 3);
    ck_assert(table_exists("a") && table_exists("a_id") && !table_exists("b") && !table_exists("c"));
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history WHERE state = 'applied'"), 2);
    /* the dry run shows both halves and changes nothing */
    test_events ev = {0};
    strata_set_event_callback(s, test_events_cb, &ev);
    strata_set_dry_run(s, 1);
    ck_assert_int_eq(strata_redo(s, 1, &first), STRATA_OK);
    ck_assert_msg(strstr(ev.log, "DROP INDEX CONCURRENTLY a_id") &&
                  strstr(ev.log, "CREATE INDEX CONCURRENTLY a_id"), "%s", ev.log);
    ck_assert_int_eq(count_history(), 2);
    strata_close(s);
}
END_TEST

START_TEST(lock_released_after_failure)
{
    strata_migration_def bad = {1, "bad", "CREATE TABLE x (id int);\nSELECT nope;", NULL};
    strata_migration_def good = {1, "good", "CREATE TABLE x (id int);", NULL};
    strata *s = test_open(), *s2 = test_open();
    ck_assert_int_eq(strata_add_migrations(s, &bad, 1), STRATA_OK);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_ESQL);
    /* s is still open: its session must not hold the lock */
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"), 0);
    ck_assert_int_eq(strata_add_migrations(s2, &good, 1), STRATA_OK);
    strata_set_lock_wait_ms(s2, 500);
    apply_ok(s2);
    ck_assert(table_exists("x"));
    strata_close(s);
    strata_close(s2);
}
END_TEST

START_TEST(lock_wait_limit_names_holder)
{
    strata_migration_def m = {1, "a", "CREATE TABLE a (id int);", NULL};
    strata *holder = test_open(), *s = test_open();
    test_events ev = {0};
    /* hold the migrator lock from another session via a migration that waits */
    PGconn *c = test_connect();
    PGresult *r = PQexec(c, "SELECT pg_advisory_lock(hashtextextended(current_database() || '/' "
                            "|| current_schema() || '/' || 'strata_history', 0)), pg_backend_pid()");
    ck_assert_int_eq(PQresultStatus(r), PGRES_TUPLES_OK);
    int pid = atoi(PQgetvalue(r, 0, 1));
    PQclear(r);
    ck_assert_int_eq(strata_add_migrations(s, &m, 1), STRATA_OK);
    strata_set_lock_wait_ms(s, 300);
    strata_set_event_callback(s, test_events_cb, &ev);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_ELOCKED);
    char want[64];
    snprintf(want, sizeof want, "pid %d", pid);
    ck_assert_msg(strstr(strata_errmsg(s), want), "%s", strata_errmsg(s));
    ck_assert_int_eq(ev.count[STRATA_EVENT_LOCK_WAIT], 1);
    ck_assert_int_eq(ev.last_pid, pid);
    PQfinish(c);
    apply_ok(s);
    strata_close(s);
    strata_close(holder);
}
END_TEST

START_TEST(noop_run_takes_no_lock)
{
    strata_migration_def m = {1, "a", "CREATE TABLE a (id int);", NULL};
    strata *s = test_open();
    ck_assert_int_eq(strata_add_migrations(s, &m, 1), STRATA_OK);
    apply_ok(s);
    PGconn *c = test_connect();
    PGresult *r = PQexec(c, "SELECT pg_advisory_lock(hashtextextended(current_database() || '/' "
                            "|| current_schema() || '/' || 'strata_history', 0))");
    PQclear(r);
    strata_set_lock_wait_ms(s, 0);
    apply_ok(s); /* would fail with STRATA_ELOCKED if it asked for the lock */
    PQfinish(c);
    strata_close(s);
}
END_TEST

START_TEST(borrowed_connection_returned_unchanged)
{
    strata_migration_def defs[] = {
        {1, "paths", "SET search_path = pg_catalog;\nSET lock_timeout = '42s';\nCREATE TABLE public.a (id int);", NULL},
        {2, "next", "CREATE TABLE b (leaked bool);\nINSERT INTO b SELECT current_setting('lock_timeout')::interval = '42s' "
                    "OR current_setting('search_path') = 'pg_catalog';", NULL}};
    PGconn *c = test_connect();
    PGresult *r = PQexec(c, "SET search_path = public, pg_temp; SET statement_timeout = '77s'");
    PQclear(r);
    strata *s = NULL;
    ck_assert_int_eq(strata_open_conn(&s, c), STRATA_OK);
    ck_assert_int_eq(strata_add_migrations(s, defs, 2), STRATA_OK);
    apply_ok(s);
    strata_close(s);
    ck_assert_int_eq(PQstatus(c), CONNECTION_OK);
    ck_assert_int_eq(PQtransactionStatus(c), PQTRANS_IDLE);
    r = PQexec(c, "SELECT current_setting('search_path'), current_setting('statement_timeout'), "
                  "current_setting('lock_timeout'), (SELECT count(*) FROM pg_locks WHERE "
                  "locktype = 'advisory' AND pid = pg_backend_pid()), (SELECT bool_or(leaked) FROM public.b)");
    ck_assert_int_eq(PQresultStatus(r), PGRES_TUPLES_OK);
    ck_assert_str_eq(PQgetvalue(r, 0, 0), "public, pg_temp");
    ck_assert_str_eq(PQgetvalue(r, 0, 1), "77s");
    ck_assert_str_eq(PQgetvalue(r, 0, 2), "0");
    ck_assert_str_eq(PQgetvalue(r, 0, 3), "0");
    ck_assert_str_eq(PQgetvalue(r, 0, 4), "f"); /* migration 2 saw none of 1's settings */
    PQclear(r);
    PQfinish(c);
}
END_TEST

START_TEST(dry_run_touches_nothing)
{
    strata_migration_def m = {1, "a", "CREATE TABLE a (id int);", NULL};
    test_events ev = {0};
    strata *s = test_open();
    strata_set_event_callback(s, test_events_cb, &ev);
    strata_set_dry_run(s, 1);
    ck_assert_int_eq(strata_add_migrations(s, &m, 1), STRATA_OK);
    apply_ok(s);
    ck_assert(!table_exists("a"));
    ck_assert(!table_exists("strata_history"));
    ck_assert_ptr_nonnull(strstr(ev.log, "CREATE TABLE a (id int);"));
    ck_assert_ptr_nonnull(strstr(ev.log, "BEGIN;"));
    ck_assert_ptr_nonnull(strstr(ev.log, "lock_timeout = '750ms'"));
    ck_assert_ptr_nonnull(strstr(ev.log, "INSERT INTO \"public\".\"strata_history\""));
    strata_close(s);
}
END_TEST

START_TEST(single_transaction_all_or_nothing)
{
    strata_migration_def defs[] = {{1, "a", "CREATE TABLE a (id int);", NULL},
                                   {2, "b", "CREATE TABLE b (id int);", NULL},
                                   {3, "c", "SELECT broken FROM nowhere;", NULL}};
    strata *s = test_open();
    strata_set_single_transaction(s, 1);
    ck_assert_int_eq(strata_add_migrations(s, defs, 3), STRATA_OK);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_ESQL);
    ck_assert(!table_exists("a"));
    ck_assert_int_eq(strata_apply(s, 2), STRATA_OK);
    ck_assert(table_exists("a") && table_exists("b"));
    strata_close(s);
}
END_TEST

static long history_rows_if_any(void)
{
    return table_exists("strata_history") ? count_history() : 0;
}

/* A failure in the middle of a single-transaction run: named to its line
 * and column (positioned and not), and nothing of the run stays: no table,
 * no history row, no "done" event. */
START_TEST(single_transaction_middle_failure_leaves_nothing)
{
    char *dir = test_tmpdir();
    test_write(dir, "1_a.sql", "CREATE TABLE a (id int);");
    test_write(dir, "2_b.sql", "CREATE TABLE b (id int);\n\nINSERT INTO b\n  SELECT * FROM no_such;\n");
    test_write(dir, "3_c.sql", "CREATE TABLE c (id int);");
    test_events ev = {0};
    strata *s = open_dir(dir);
    strata_set_event_callback(s, test_events_cb, &ev);
    strata_set_single_transaction(s, 1);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_ESQL);
    ck_assert_msg(strstr(strata_errmsg(s), "2_b.sql:4:17: relation \"no_such\" does not exist"),
                  "%s", strata_errmsg(s));
    ck_assert(!table_exists("a") && !table_exists("b") && !table_exists("c"));
    ck_assert_int_eq(history_rows_if_any(), 0);
    ck_assert_int_eq(ev.count[STRATA_EVENT_MIGRATION_DONE], 0);
    strata_close(s);
    /* an error without a position maps to its statement, as when alone */
    test_write(dir, "2_b.sql", "CREATE TABLE b (id int);\n-- x\n  SELECT 1/0;\n");
    s = open_dir(dir);
    strata_set_single_transaction(s, 1);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_ESQL);
    ck_assert_msg(strstr(strata_errmsg(s), "2_b.sql:3:3: division by zero [22012]"), "%s",
                  strata_errmsg(s));
    ck_assert(!table_exists("a") && !table_exists("b"));
    ck_assert_int_eq(history_rows_if_any(), 0);
    strata_close(s);
    /* fixed: all three recorded, in order, with their durations */
    test_write(dir, "2_b.sql", "CREATE TABLE b (id int);\n");
    memset(&ev, 0, sizeof ev);
    s = open_dir(dir);
    strata_set_event_callback(s, test_events_cb, &ev);
    strata_set_single_transaction(s, 1);
    apply_ok(s);
    ck_assert(table_exists("a") && table_exists("b") && table_exists("c"));
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history WHERE applied_rank = "
                                     "version AND state = 'applied' AND duration_ms >= 0"), 3);
    ck_assert_int_eq(ev.count[STRATA_EVENT_MIGRATION_DONE], 3);
    strata_close(s);
    free(dir);
}
END_TEST

/* More rows than one history INSERT carries, hostile names among them:
 * every row written once, ranks in order. */
START_TEST(single_transaction_records_every_row)
{
    enum { N = 2345 };
    strata_migration_def *defs = calloc(N, sizeof *defs);
    for (int i = 0; i < N; i++) {
        char sql[64], name[64];
        snprintf(sql, sizeof sql, "SELECT %d;", i);
        snprintf(name, sizeof name, i % 2 ? "it's \"%d\" \xc3\xa9\f" : "m%d", i);
        defs[i] = (strata_migration_def){i + 1, strdup(name), strdup(sql), NULL};
    }
    strata *s = test_open();
    strata_set_single_transaction(s, 1);
    ck_assert_int_eq(strata_add_migrations(s, defs, N), STRATA_OK);
    apply_ok(s);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history WHERE applied_rank = "
                                     "version"), N);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history WHERE name = "
                                     "E'it''s \"1\" \\u00e9\\f'"), 1);
    strata_close(s);
    for (int i = 0; i < N; i++) {
        free((char *)defs[i].name);
        free((char *)defs[i].up_sql);
    }
    free(defs);
}
END_TEST

/* The history INSERT itself failing (here: a migration constrains the
 * table) rolls the whole run back and says so. */
START_TEST(single_transaction_history_failure_rolls_back)
{
    strata_migration_def defs[] = {
        {1, "guard", "ALTER TABLE strata_history ADD CONSTRAINT only_one CHECK (version < 2);", NULL},
        {2, "b", "CREATE TABLE b (id int);", NULL}};
    strata *s = test_open();
    strata_set_single_transaction(s, 1);
    ck_assert_int_eq(strata_add_migrations(s, defs, 2), STRATA_OK);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_ESQL);
    ck_assert_msg(strstr(strata_errmsg(s), "recording 2 migration(s) in the history table") &&
                  strstr(strata_errmsg(s), "only_one"), "%s", strata_errmsg(s));
    ck_assert(!table_exists("b"));
    ck_assert_int_eq(count_history(), 0);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_constraint WHERE conname = 'only_one'"), 0);
    strata_close(s);
}
END_TEST

/* The connection lost in the middle of a single-transaction run (the
 * migration ends its own backend): named, and nothing of the run stays. */
START_TEST(single_transaction_connection_lost_leaves_nothing)
{
    strata_migration_def defs[] = {{1, "a", "CREATE TABLE a (id int);", NULL},
                                   {2, "kill", "SELECT pg_terminate_backend(pg_backend_pid());", NULL},
                                   {3, "c", "CREATE TABLE c (id int);", NULL}};
    strata *s = test_open();
    strata_set_single_transaction(s, 1);
    ck_assert_int_eq(strata_add_migrations(s, defs, 3), STRATA_OK);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_ECONNECT);
    ck_assert_msg(strstr(strata_errmsg(s), "2_kill") &&
                  strstr(strata_errmsg(s), "everything this run applied was rolled back"),
                  "%s", strata_errmsg(s));
    strata_close(s);
    ck_assert(!table_exists("a") && !table_exists("c"));
    ck_assert_int_eq(history_rows_if_any(), 0);
}
END_TEST

/* The parser's findings are kept per migration (one parse, not three):
 * a handle that checked its plan before (dry run, a refused run) still
 * runs a migration with its own BEGIN/COMMIT as written. */
START_TEST(precheck_kept_across_runs)
{
    strata_migration_def defs[] = {{1, "a", "CREATE TABLE a (id int);", NULL},
                                   {2, "self", "BEGIN;\nCREATE TABLE b (id int);\nCOMMIT;\n"
                                               "BEGIN;\nCREATE TABLE c (id int);\nCOMMIT;", NULL}};
    test_events ev = {0};
    strata *s = test_open();
    strata_set_event_callback(s, test_events_cb, &ev);
    ck_assert_int_eq(strata_add_migrations(s, defs, 2), STRATA_OK);
    strata_set_single_transaction(s, 1);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_EINVAL); /* refused: checked */
    ck_assert_msg(strstr(strata_errmsg(s), "runs its own BEGIN/COMMIT"), "%s", strata_errmsg(s));
    strata_set_single_transaction(s, 0);
    strata_set_dry_run(s, 1);
    apply_ok(s);
    strata_set_dry_run(s, 0);
    apply_ok(s);
    ck_assert_int_eq(ev.count[STRATA_EVENT_SELF_MANAGED], 1);
    ck_assert(table_exists("b") && table_exists("c"));
    ck_assert_int_eq(count_history(), 2);
    strata_close(s);
}
END_TEST

START_TEST(history_table_configurable)
{
    strata_migration_def m = {1, "a", "CREATE TABLE a (id int);", NULL};
    strata *s = test_open();
    ck_assert_int_eq(strata_set_history_table(s, "Ops.Migrations"), STRATA_OK);
    ck_assert_int_eq(strata_add_migrations(s, &m, 1), STRATA_OK);
    apply_ok(s);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM \"Ops\".\"Migrations\""), 1);
    ck_assert(!table_exists("strata_history"));
    strata_close(s);
}
END_TEST

START_TEST(foreign_history_table_explained)
{
    strata_migration_def m = {1, "a", "CREATE TABLE a (id int);", NULL};
    test_sql("CREATE TABLE strata_history (id serial, note text)"); /* another tool's */
    strata *s = test_open();
    ck_assert_int_eq(strata_add_migrations(s, &m, 1), STRATA_OK);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_ESQL);
    ck_assert_msg(strstr(strata_errmsg(s), "reading the history table \"public\".\"strata_history\""), "%s", strata_errmsg(s));
    ck_assert_ptr_nonnull(strstr(strata_errmsg(s), "--table"));
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_class WHERE relname = 'a'"), 0);
    strata_close(s);
}
END_TEST

START_TEST(connect_failure_fills_handle)
{
    strata *s = NULL;
    int rc = strata_open(&s, "postgresql://bob:s3cretpw@127.0.0.1:1/nodb?connect_timeout=2");
    ck_assert_int_eq(rc, STRATA_ECONNECT);
    ck_assert_ptr_nonnull(s);
    ck_assert_ptr_nonnull(strstr(strata_errmsg(s), "could not connect"));
    ck_assert_ptr_null(strstr(strata_errmsg(s), "s3cretpw"));
    strata_close(s);
}
END_TEST

/* 8 processes race to apply the same 20 migrations: the lock serialises
 * them, each migration runs exactly once. */
START_TEST(eight_processes_apply_once)
{
    strata_migration_def defs[20];
    char sql[20][128], name[20][16];
    pid_t kids[8];
    test_sql("CREATE TABLE hits (v int)");
    for (int i = 0; i < 20; i++) {
        snprintf(sql[i], sizeof sql[i], "INSERT INTO hits VALUES (%d); SELECT pg_sleep(0.01);", i + 1);
        snprintf(name[i], sizeof name[i], "m%d", i + 1);
        defs[i] = (strata_migration_def){i + 1, name[i], sql[i], NULL};
    }
    for (int k = 0; k < 8; k++)
        kids[k] = test_spawn_apply(test_db_current(), defs, 20);
    for (int k = 0; k < 8; k++)
        ck_assert_int_eq(test_wait_apply(kids[k]), STRATA_OK);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM hits"), 20);
    ck_assert_int_eq(test_query_long("SELECT count(DISTINCT v) FROM hits"), 20);
    ck_assert_int_eq(count_history(), 20);
}
END_TEST

static const strata_lint_finding *finding_of(const strata_lint_report *r, int64_t version)
{
    for (size_t i = 0; i < strata_lint_count(r); i++)
        if (strata_lint_get(r, i)->version == version &&
            strcmp(strata_lint_get(r, i)->rule, "index-not-concurrent") == 0)
            return strata_lint_get(r, i);
    return NULL;
}

/* Connected, the linter reads real table sizes: a big table keeps its
 * error, a small one drops a level, a table not there yet drops to info. */
START_TEST(lint_graded_by_table_size)
{
    strata_migration_def defs[] = {{1, "big", "CREATE INDEX ON big (id);\nCREATE INDEX ON big (pad);", "SELECT 1;"},
                                   {2, "small", "CREATE INDEX ON small (id);", "SELECT 1;"},
                                   {3, "later", "CREATE INDEX ON not_yet (id);", "SELECT 1;"}};
    strata_lint_report *r = NULL;
    test_sql("CREATE TABLE big AS SELECT g AS id, repeat('x', 100) AS pad FROM generate_series(1, 100000) g");
    test_sql("CREATE TABLE small AS SELECT g AS id FROM generate_series(1, 10) g");
    test_sql("ANALYZE big");
    strata *s = test_open();
    ck_assert_int_eq(strata_add_migrations(s, defs, 3), STRATA_OK);
    ck_assert_int_eq(strata_lint(s, &r), STRATA_OK);
    const strata_lint_finding *f = finding_of(r, 1);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->severity, STRATA_SEVERITY_ERROR);
    ck_assert_msg(strstr(f->message, "big: ~100000 rows"), "%s", f->message);
    int on_big = 0; /* both findings on big carry its size (one lookup) */
    for (size_t i = 0; i < strata_lint_count(r); i++)
        on_big += strata_lint_get(r, i)->version == 1 && strstr(strata_lint_get(r, i)->message, "big: ~100000 rows");
    ck_assert_int_eq(on_big, 2);
    f = finding_of(r, 2);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->severity, STRATA_SEVERITY_WARNING);
    ck_assert_ptr_nonnull(strstr(f->message, "small table"));
    f = finding_of(r, 3);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->severity, STRATA_SEVERITY_INFO);
    ck_assert_ptr_nonnull(strstr(f->message, "not in the database yet"));
    strata_lint_report_free(r);
    /* lint enforcement uses the graded result: only the big table blocks */
    strata_set_lint_level(s, STRATA_SEVERITY_ERROR);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_ELINT);
    ck_assert_msg(strstr(strata_errmsg(s), "\n1_big:1:1: error: CREATE INDEX on big"), "%s", strata_errmsg(s));
    ck_assert_ptr_null(strstr(strata_errmsg(s), "2_small"));
    strata_close(s);
}
END_TEST

Suite *test_suite(void)
{
    Suite *s = suite_create("apply");
    TCase *tc = tcase_create("apply");
    tcase_add_checked_fixture(tc, fresh_db, NULL);
    tcase_add_test(tc, every_format_applies);
    tcase_add_test(tc, bad_directory_applies_nothing);
    tcase_add_test(tc, sql_error_maps_to_file_line);
    tcase_add_test(tc, error_without_position_maps_to_statement);
    tcase_add_test(tc, checksum_mismatch_refused_crlf_accepted);
    tcase_add_test(tc, out_of_order_refused_then_allowed);
    tcase_add_test(tc, unknown_applied_version_reported);
    tcase_add_test(tc, dry_run_touches_nothing);
    tcase_add_test(tc, single_transaction_all_or_nothing);
    tcase_add_test(tc, single_transaction_middle_failure_leaves_nothing);
    tcase_add_test(tc, single_transaction_records_every_row);
    tcase_add_test(tc, precheck_kept_across_runs);
    tcase_add_test(tc, single_transaction_history_failure_rolls_back);
    tcase_add_test(tc, single_transaction_connection_lost_leaves_nothing);
    tcase_add_test(tc, history_table_configurable);
    tcase_add_test(tc, connect_failure_fills_handle);
    tcase_add_test(tc, foreign_history_table_explained);
    suite_add_tcase(s, tc);
    tc = tcase_create("lint-live");
    tcase_add_checked_fixture(tc, fresh_db, NULL);
    tcase_add_test(tc, lint_graded_by_table_size);
    suite_add_tcase(s, tc);
    tc = tcase_create("revert");
    tcase_add_checked_fixture(tc, fresh_db, NULL);
    tcase_add_test(tc, revert_order_and_irreversible);
    tcase_add_test(tc, revert_targets_before_first);
    tcase_add_test(tc, empty_down_refused_then_allowed);
    tcase_add_test(tc, down_runs_with_its_own_directives);
    tcase_add_test(tc, self_managed_and_copy_downs);
    tcase_add_test(tc, redo_reverts_and_reapplies_exactly);
    suite_add_tcase(s, tc);
    tc = tcase_create("lock");
    tcase_add_checked_fixture(tc, fresh_db, NULL);
    tcase_add_test(tc, lock_released_after_failure);
    tcase_add_test(tc, lock_wait_limit_names_holder);
    tcase_add_test(tc, noop_run_takes_no_lock);
    tcase_add_test(tc, borrowed_connection_returned_unchanged);
    tcase_add_test(tc, eight_processes_apply_once);
    suite_add_tcase(s, tc);
    return s;
}
