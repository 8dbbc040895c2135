/* Observe mode: what each statement of a migration really locked and
 * rewrote, read from the migration's own backend. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "harness.h"

const bool test_needs_pg = true;

/* The OBSERVED events of a run, one line each: "idx|rows|json". */
typedef struct observed {
    int n;
    char lines[64][2048];
    int warnings;
} observed;

static void collect(const strata_event *ev, void *payload)
{
    observed *o = payload;
    if (ev->type == STRATA_EVENT_WARNING)
        o->warnings++;
    if (ev->type != STRATA_EVENT_OBSERVED || o->n >= 64)
        return;
    snprintf(o->lines[o->n++], sizeof o->lines[0], "%d|%lld|%s", (int)ev->statement,
             (long long)ev->rows, ev->message ? ev->message : "");
}

static strata *observed_run(observed *o, const char *up)
{
    strata_migration_def def = {1, "m", up, NULL};
    strata *s = test_open();
    memset(o, 0, sizeof *o);
    ck_assert_int_eq(strata_add_migrations(s, &def, 1), STRATA_OK);
    ck_assert_int_eq(strata_set_observe(s, 1), STRATA_OK);
    strata_set_event_callback(s, collect, o);
    int rc = strata_apply(s, STRATA_LATEST);
    ck_assert_msg(rc == STRATA_OK, "apply: %s", strata_errmsg(s));
    return s;
}

START_TEST(add_column_locks_without_rewrite)
{
    observed o;
    test_db_new();
    test_sql("CREATE TABLE \"Orders\" (id int primary key); INSERT INTO \"Orders\" SELECT generate_series(1, 100)");
    strata_close(observed_run(&o, "-- a comment\nALTER TABLE \"Orders\" ADD COLUMN note text;\n"));
    ck_assert_int_eq(o.n, 2); /* the statement, then the commit */
    ck_assert_msg(strstr(o.lines[0], "1|") == o.lines[0], "%s", o.lines[0]);
    ck_assert_msg(strstr(o.lines[0], "\"line\":2"), "%s", o.lines[0]);
    ck_assert_msg(strstr(o.lines[0], "{\"relation\":\"\\\"Orders\\\"\",\"mode\":\"AccessExclusiveLock\"}"),
                  "%s", o.lines[0]);
    ck_assert_msg(strstr(o.lines[0], "\"rewrote\":[]"), "%s", o.lines[0]);
    ck_assert_msg(strstr(o.lines[1], "0|-1|{\"held\":[") == o.lines[1], "%s", o.lines[1]);
    ck_assert_msg(strstr(o.lines[1], "AccessExclusiveLock\",\"ms\":"), "%s", o.lines[1]);
    /* applied and recorded like any migration */
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history WHERE version = 1"), 1);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_attribute WHERE attname = 'note'"), 1);
}
END_TEST

START_TEST(type_change_reports_rewrite)
{
    observed o;
    test_db_new();
    test_sql("CREATE TABLE t (id int primary key, n int); INSERT INTO t SELECT g, g FROM generate_series(1, 50) g");
    strata_close(observed_run(&o, "ALTER TABLE t ALTER COLUMN n TYPE bigint;\nUPDATE t SET n = n + 1 WHERE id <= 7;\n"));
    ck_assert_int_eq(o.n, 3);
    ck_assert_msg(strstr(o.lines[0], "\"rewrote\":[\"t\""), "%s", o.lines[0]);
    ck_assert_msg(strstr(o.lines[0], "\"mode\":\"AccessExclusiveLock\""), "%s", o.lines[0]);
    /* the UPDATE: 7 rows, its own (weaker) mode reported as taken, no rewrite */
    ck_assert_msg(strstr(o.lines[1], "2|7|{\"line\":2,\"locks\":[{\"relation\":\"t\",\"mode\":"
                                     "\"RowExclusiveLock\"}") == o.lines[1], "%s", o.lines[1]);
    ck_assert_msg(strstr(o.lines[1], "\"rewrote\":[]}"), "%s", o.lines[1]);
}
END_TEST

START_TEST(weak_lock_reported_by_mode)
{
    observed o;
    test_db_new();
    test_sql("CREATE TABLE a (id int primary key); CREATE TABLE b (id int primary key, a_id int)");
    strata_close(observed_run(&o, "ALTER TABLE b ADD CONSTRAINT b_a FOREIGN KEY (a_id) REFERENCES a NOT VALID;\n"
                                  "ALTER TABLE b VALIDATE CONSTRAINT b_a;\n"));
    ck_assert_int_eq(o.n, 3);
    /* ADD FOREIGN KEY takes SHARE ROW EXCLUSIVE on both tables */
    ck_assert_msg(strstr(o.lines[0], "{\"relation\":\"a\",\"mode\":\"ShareRowExclusiveLock\"}"), "%s", o.lines[0]);
    ck_assert_msg(strstr(o.lines[0], "{\"relation\":\"b\",\"mode\":\"ShareRowExclusiveLock\"}"), "%s", o.lines[0]);
    /* VALIDATE: SHARE UPDATE EXCLUSIVE on b, newly taken */
    ck_assert_msg(strstr(o.lines[1], "{\"relation\":\"b\",\"mode\":\"ShareUpdateExclusiveLock\"}"), "%s",
                  o.lines[1]);
    ck_assert_ptr_null(strstr(o.lines[1], "AccessExclusiveLock"));
}
END_TEST

START_TEST(failure_names_statement_line_and_rolls_back)
{
    strata_migration_def def = {1, "m", "CREATE TABLE x (id int);\n\nINSERT INTO nope VALUES (1);\n", NULL};
    observed o = {0};
    test_db_new();
    strata *s = test_open();
    ck_assert_int_eq(strata_add_migrations(s, &def, 1), STRATA_OK);
    strata_set_observe(s, 1);
    strata_set_event_callback(s, collect, &o);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_ESQL);
    ck_assert_msg(strstr(strata_errmsg(s), "1_m:3:13: relation \"nope\" does not exist [42P01]"), "%s",
                  strata_errmsg(s));
    strata_close(s);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_class WHERE relname = 'x'"), 0);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history"), 0);
}
END_TEST

/* The OBSERVED line of statement/batch @idx (0: the held summary), or NULL. */
static const char *entry(const observed *o, int idx)
{
    char prefix[16];
    snprintf(prefix, sizeof prefix, "%d|", idx);
    for (int i = 0; i < o->n; i++)
        if (strncmp(o->lines[i], prefix, strlen(prefix)) == 0)
            return o->lines[i];
    return NULL;
}

START_TEST(concurrent_index_sampled_from_second_connection)
{
    observed o;
    test_db_new();
    /* big enough that the build outlasts many 5 ms samples */
    test_sql("CREATE TABLE \"Big\" (id int, v text); INSERT INTO \"Big\" SELECT g, md5(g::text) FROM "
             "generate_series(1, 200000) g");
    strata_close(observed_run(&o, "-- strata:no-transaction\n\nCREATE INDEX CONCURRENTLY big_v ON \"Big\" (v);\n"));
    ck_assert_int_eq(o.warnings, 0);
    const char *e = entry(&o, 1);
    ck_assert_msg(e && strstr(e, "\"line\":3,"), "%s", e ? e : "no entry");
    ck_assert_msg(strstr(e, "{\"relation\":\"\\\"Big\\\"\",\"mode\":\"ShareUpdateExclusiveLock\"}"), "%s", e);
    /* on the table: no lock that stops writes (the new index itself is
     * locked while it is created: that is no one else's) */
    ck_assert_msg(!strstr(e, "\\\"Big\\\"\",\"mode\":\"AccessExclusiveLock\""), "%s", e);
    ck_assert_msg(!strstr(e, "\\\"Big\\\"\",\"mode\":\"ShareLock\""), "%s", e);
    ck_assert_msg(!strstr(e, "\\\"Big\\\"\",\"mode\":\"ShareRowExclusiveLock\""), "%s", e);
    ck_assert_msg(!strstr(e, "\\\"Big\\\"\",\"mode\":\"ExclusiveLock\""), "%s", e);
    ck_assert_msg(strstr(e, "\"rewrote\":[]"), "%s", e);
    /* the runner's own progress row on the history table is not the migration's */
    ck_assert_msg(!strstr(e, "strata_history"), "%s", e);
    ck_assert_msg(!strstr(e, "\"lint\""), "lint agrees: %s", e);
    ck_assert_msg(entry(&o, 0) && strstr(entry(&o, 0), "ShareUpdateExclusiveLock"), "%s", o.lines[1]);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_index WHERE indexrelid = 'big_v'::regclass "
                                     "AND indisvalid"), 1);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history WHERE version = 1 AND "
                                     "state = 'applied' AND statements_done = 1"), 1);
}
END_TEST

START_TEST(no_transaction_statements_each_reported)
{
    observed o;
    test_db_new();
    test_sql("CREATE TABLE t (id int primary key, n int); INSERT INTO t SELECT g, g FROM generate_series(1, 100000) g");
    strata_close(observed_run(&o, "-- strata:no-transaction\nALTER TABLE t ALTER COLUMN n TYPE bigint;\n"
                                  "\n\f-- \u00e9t\u00e9\nUPDATE t SET n = n + 1\n  WHERE id <= 7;\n"));
    ck_assert_int_eq(o.n, 3); /* two statements, then the held summary */
    const char *a = entry(&o, 1), *b = entry(&o, 2);
    ck_assert_msg(a && strstr(a, "\"line\":2,"), "%s", a ? a : "no entry");
    ck_assert_msg(strstr(a, "{\"relation\":\"t\",\"mode\":\"AccessExclusiveLock\"}"), "%s", a);
    ck_assert_msg(strstr(a, "\"rewrote\":[\"t\""), "%s", a);
    ck_assert_msg(b && strstr(b, "2|7|{\"line\":5,") == b, "%s", b ? b : "no entry");
    /* however quick, read inside its implicit transaction */
    ck_assert_msg(strstr(b, "{\"relation\":\"t\",\"mode\":\"RowExclusiveLock\"}"), "%s", b);
    ck_assert_msg(!strstr(b, "strata_history"), "%s", b);
    ck_assert_msg(strstr(b, "\"rewrote\":[]"), "%s", b);
    ck_assert_int_eq(test_query_long("SELECT statements_done FROM strata_history WHERE version = 1 "
                                     "AND state = 'applied'"), 2);
}
END_TEST

/* Observing changes nothing the runner records: the failed statement
 * leaves the same dirty row as without observe. */
START_TEST(no_transaction_failure_keeps_dirty_row)
{
    strata_migration_def def = {1, "m", "-- strata:no-transaction\nCREATE TABLE x (id int);\n"
                                        "INSERT INTO x VALUES (1);\nINSERT INTO nope VALUES (1);\n"
                                        "CREATE TABLE never (id int);\n", NULL};
    for (int observe = 0; observe < 2; observe++) {
        observed o = {0};
        test_db_new();
        strata *s = test_open();
        ck_assert_int_eq(strata_add_migrations(s, &def, 1), STRATA_OK);
        strata_set_observe(s, observe);
        strata_set_event_callback(s, collect, &o);
        ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_ESQL);
        ck_assert_msg(strstr(strata_errmsg(s), "1_m:4:13: relation \"nope\" does not exist"), "%s",
                      strata_errmsg(s));
        ck_assert_msg(strstr(strata_errmsg(s), "statement 3 of 4 failed, 2 completed"), "%s",
                      strata_errmsg(s));
        strata_close(s);
        ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history WHERE version = 1 AND "
                                         "state = 'dirty' AND statements_done = 2 AND failed_statement = 3"), 1);
        ck_assert_int_eq(test_query_long("SELECT count(*) FROM x"), 1);
        ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_class WHERE relname = 'never'"), 0);
        if (observe) {
            ck_assert_msg(entry(&o, 1) && strstr(entry(&o, 1), "\"line\":2,"), "%s", o.lines[0]);
            ck_assert_msg(entry(&o, 2) && strstr(entry(&o, 2), "2|1|{\"line\":3,"), "%s", o.lines[1]);
            ck_assert_ptr_null(entry(&o, 3));
        } else {
            ck_assert_int_eq(o.n, 0);
        }
    }
}
END_TEST

/* A statement waiting for its lock: seen waiting, then granted. */
START_TEST(no_transaction_wait_reported)
{
    observed o;
    test_db_new();
    test_sql("CREATE TABLE busy (id int)");
    PGconn *holder = test_connect();
    ck_assert_int_eq(PQsendQuery(holder, "BEGIN; LOCK TABLE busy IN ACCESS SHARE MODE; SELECT pg_sleep(0.6); COMMIT;"), 1);
    for (int i = 0; i < 200 && test_query_long("SELECT count(*) FROM pg_locks WHERE relation = 'busy'::regclass") == 0; i++)
        usleep(10000);
    strata_migration_def def = {1, "m", "-- strata:no-transaction\n-- strata:lock-timeout 10s\n"
                                        "ALTER TABLE busy ADD COLUMN c int;\n", NULL};
    strata *s = test_open();
    memset(&o, 0, sizeof o);
    ck_assert_int_eq(strata_add_migrations(s, &def, 1), STRATA_OK);
    strata_set_observe(s, 1);
    strata_set_event_callback(s, collect, &o);
    ck_assert_msg(strata_apply(s, STRATA_LATEST) == STRATA_OK, "%s", strata_errmsg(s));
    strata_close(s);
    PGresult *r;
    while ((r = PQgetResult(holder)) != NULL)
        PQclear(r);
    PQfinish(holder);
    const char *e = entry(&o, 1);
    ck_assert_msg(e && strstr(e, "\"waited\":[{\"relation\":\"busy\",\"mode\":\"AccessExclusiveLock\"}]"),
                  "%s", e ? e : "no entry");
    ck_assert_msg(strstr(e, "\"locks\":[{\"relation\":\"busy\",\"mode\":\"AccessExclusiveLock\"}"), "%s", e);
}
END_TEST

START_TEST(batch_reported_per_batch)
{
    observed o;
    test_db_new();
    test_sql("CREATE TABLE t (id int primary key, done bool NOT NULL DEFAULT false); "
             "INSERT INTO t SELECT generate_series(1, 10)");
    strata_close(observed_run(&o, "-- strata:batch\n\nUPDATE t SET done = true WHERE id IN "
                                  "(SELECT id FROM t WHERE NOT done ORDER BY id LIMIT 3);\n"));
    /* 10 rows by 3: batches of 3, 3, 3, 1, then the 0-row run that ends it */
    static const int rows[] = {3, 3, 3, 1, 0};
    for (int b = 1; b <= 5; b++) {
        char want[64];
        const char *e = entry(&o, b);
        snprintf(want, sizeof want, "%d|%d|{\"batch\":%d,\"line\":3,", b, rows[b - 1], b);
        ck_assert_msg(e && strstr(e, want) == e, "batch %d: %s", b, e ? e : "no entry");
        ck_assert_msg(strstr(e, "{\"relation\":\"t\",\"mode\":\"RowExclusiveLock\"}"), "%s", e);
        ck_assert_msg(!strstr(e, "strata_history"), "%s", e);
        ck_assert_msg(!strstr(e, "\"lint\""), "lint agrees: %s", e);
    }
    ck_assert_ptr_null(entry(&o, 6));
    ck_assert_msg(entry(&o, 0) && strstr(entry(&o, 0), "RowExclusiveLock"), "no held summary");
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM t WHERE done"), 10);
    ck_assert_int_eq(test_query_long("SELECT statements_done FROM strata_history WHERE version = 1 "
                                     "AND state = 'applied'"), 5);
}
END_TEST

/* A migration with its own BEGIN/COMMIT cannot be observed: said, not skipped silently. */
START_TEST(self_managed_runs_unobserved_with_warning)
{
    observed o;
    test_db_new();
    strata_close(observed_run(&o, "BEGIN;\nCREATE TABLE s (id int);\nCOMMIT;\n"));
    ck_assert_int_eq(o.warnings, 1);
    ck_assert_int_eq(o.n, 0);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_class WHERE relname = 's'"), 1);
}
END_TEST

/* A resumed no-transaction migration is observed from where it resumes:
 * only the statements that run now are reported, with their own lines;
 * hostile names (quotes, mixed case, non-ASCII) come back as regclass
 * prints them. */
START_TEST(resumed_migration_observed_from_resume_point)
{
    strata_migration_def def = {1, "m", "-- strata:no-transaction\n"
                                        "CREATE TABLE \"we\"\"ird Tablé\" (id int);\n"
                                        "INSERT INTO later VALUES (1);\n"
                                        "CREATE INDEX \"Idx\" ON \"we\"\"ird Tablé\" (id);\n", NULL};
    observed o = {0};
    test_db_new();
    strata *s = test_open();
    ck_assert_int_eq(strata_add_migrations(s, &def, 1), STRATA_OK);
    strata_set_observe(s, 1);
    strata_set_event_callback(s, collect, &o);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_ESQL);
    ck_assert_int_eq(o.n, 2); /* statement 1, then the held summary */
    ck_assert_msg(strstr(o.lines[0], "1|-1|{\"line\":2,\"locks\":[{\"relation\":\"\\\"we\\\"\\\"ird Tablé\\\"\","
                                     "\"mode\":\"AccessExclusiveLock\"}]"), "%s", o.lines[0]);
    test_sql("CREATE TABLE later (id int)");
    memset(&o, 0, sizeof o);
    strata_set_resume(s, 1);
    ck_assert_msg(strata_apply(s, STRATA_LATEST) == STRATA_OK, "%s", strata_errmsg(s));
    strata_close(s);
    ck_assert_ptr_null(entry(&o, 1));
    ck_assert_msg(entry(&o, 2) && strstr(entry(&o, 2), "2|1|{\"line\":3,\"locks\":[{\"relation\":\"later\","
                                                       "\"mode\":\"RowExclusiveLock\"}]"), "%s", o.lines[0]);
    ck_assert_msg(entry(&o, 3) && strstr(entry(&o, 3), "{\"relation\":\"\\\"we\\\"\\\"ird Tablé\\\"\",\"mode\":"
                                                       "\"ShareLock\"}"), "%s", o.lines[1]);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history WHERE version = 1 AND "
                                     "state = 'applied' AND statements_done = 3"), 1);
}
END_TEST

/* Without the second connection a no-transaction migration is not run
 * unobserved: it fails before any of it ran, saying why. */
START_TEST(no_second_connection_fails_before_running)
{
    strata_migration_def def = {1, "m", "-- strata:no-transaction\nCREATE TABLE x (id int);\n", NULL};
    char dsn[1024];
    strata *s = NULL;
    test_db_new();
    test_sql("DROP ROLE IF EXISTS strata_one; CREATE ROLE strata_one LOGIN CONNECTION LIMIT 1; "
             "GRANT ALL ON SCHEMA public TO strata_one");
    snprintf(dsn, sizeof dsn, "%s user=strata_one", test_db_current());
    ck_assert_int_eq(strata_open(&s, dsn), STRATA_OK);
    ck_assert_int_eq(strata_add_migrations(s, &def, 1), STRATA_OK);
    strata_set_observe(s, 1);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_ECONNECT);
    ck_assert_msg(strstr(strata_errmsg(s), "1_m (version 1): observe: could not open the second connection") &&
                  strstr(strata_errmsg(s), "(nothing of it was run)") &&
                  strstr(strata_errmsg(s), "too many connections for role"), "%s", strata_errmsg(s));
    strata_close(s);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_class WHERE relname = 'x'"), 0);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history"), 0);
    test_sql("DROP OWNED BY strata_one CASCADE; DROP ROLE strata_one");
}
END_TEST

/* Through a transaction pooler an observed migration takes the
 * transaction-level migrator lock and re-checks its row, as a plain one. */
START_TEST(pooled_observed_migration_takes_the_lock)
{
    strata_migration_def def = {1, "m", "CREATE TABLE seen AS SELECT count(*) AS n FROM pg_locks WHERE "
                                        "locktype = 'advisory' AND pid = pg_backend_pid() AND granted;\n", NULL};
    observed o = {0};
    const char *b = test_pgbouncer_start(), *db;
    char dsn[512];
    strata *s = NULL;
    if (!b)
        return;
    test_db_new();
    db = strstr(test_db_current(), "dbname=");
    ck_assert_ptr_nonnull(db);
    snprintf(dsn, sizeof dsn, "%s %s", b, db);
    ck_assert_int_eq(strata_open(&s, dsn), STRATA_OK);
    ck_assert_int_eq(strata_add_migrations(s, &def, 1), STRATA_OK);
    strata_set_observe(s, 1);
    strata_set_event_callback(s, collect, &o);
    ck_assert_msg(strata_apply(s, STRATA_LATEST) == STRATA_OK, "%s", strata_errmsg(s));
    strata_close(s);
    ck_assert_int_eq(o.n, 2);
    ck_assert_int_eq(test_query_long("SELECT n FROM seen"), 1);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history WHERE version = 1"), 1);
}
END_TEST

/* Where the run contradicts lint, the statement's entry says so. */
START_TEST(lint_contradictions_reported)
{
    observed o;
    test_db_new();
    test_sql("CREATE TABLE t (id int primary key, n int); INSERT INTO t SELECT g, g FROM generate_series(1, 100) g");
    /* lint reports no rewrite for SET UNLOGGED; it rewrites */
    strata_close(observed_run(&o, "ALTER TABLE t SET UNLOGGED;\n"));
    ck_assert_msg(strstr(o.lines[0], "\"rewrote\":[\"t\",\"t_pkey\"],\"lint\":[{\"rule\":null,\"said\":\"no "
                                     "rewrite\",\"observed\":\"rewrite\"}]}"), "%s", o.lines[0]);
    /* the same through the no-transaction runner */
    test_db_new();
    test_sql("CREATE TABLE t (id int primary key, n int)");
    strata_close(observed_run(&o, "-- strata:no-transaction\nALTER TABLE t SET UNLOGGED;\n"));
    ck_assert_msg(strstr(o.lines[0], "\"lint\":[{\"rule\":null,\"said\":\"no rewrite\",\"observed\":\"rewrite\"}]"),
                  "%s", o.lines[0]);
    /* lint says DROP INDEX takes ACCESS EXCLUSIVE; an index that is not there takes nothing */
    test_db_new();
    strata_close(observed_run(&o, "SELECT 1;\nDROP INDEX IF EXISTS nope;\n"));
    ck_assert_msg(strstr(o.lines[1], "\"lint\":[{\"rule\":\"drop-index-not-concurrent\",\"said\":"
                                     "\"AccessExclusiveLock\",\"observed\":\"not taken\"}]"), "%s", o.lines[1]);
    ck_assert_msg(!strstr(o.lines[0], "\"lint\""), "%s", o.lines[0]);
    /* agreement says nothing: a type change lint calls a rewrite, that rewrote */
    test_db_new();
    test_sql("CREATE TABLE t (id int primary key, n int)");
    strata_close(observed_run(&o, "ALTER TABLE t ALTER COLUMN n TYPE bigint;\n"));
    ck_assert_msg(strstr(o.lines[0], "\"rewrote\":[\"t\"") && !strstr(o.lines[0], "\"lint\""), "%s", o.lines[0]);
}
END_TEST

/* `strata up --observe` over a directory; stdout into @out. Exit status. */
static int cli_observe(const char *dir, bool json, char *out, size_t cap)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' -d '%s' -m '%s' %s up --observe --lint=off 2>/dev/null",
             getenv("STRATA_CLI"), test_db_current(), dir, json ? "--json" : "");
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void json_check(const char *json, const char *expr)
{
    char path[] = "/tmp/strata-json-XXXXXX", cmd[1024];
    int fd = mkstemp(path);
    ck_assert_int_eq(write(fd, json, strlen(json)), (ssize_t)strlen(json));
    close(fd);
    setenv("STRATA_JSON_EXPR", expr, 1);
    snprintf(cmd, sizeof cmd, "python3 -c 'import json,os,sys; d=json.load(open(\"%s\")); "
             "sys.exit(0 if eval(os.environ[\"STRATA_JSON_EXPR\"]) else 1)'", path);
    int rc = system(cmd);
    unlink(path);
    ck_assert_msg(rc == 0, "JSON check failed: %s\non: %s", expr, json);
}

/* The CLI report: the statement shape unchanged for no-transaction
 * migrations, batch entries with "batch" in addition. */
START_TEST(cli_reports_no_transaction_and_batches)
{
    static char out[65536];
    char *dir = test_tmpdir();
    test_db_new();
    test_sql("CREATE TABLE t (id int primary key, done bool NOT NULL DEFAULT false); "
             "INSERT INTO t SELECT generate_series(1, 5)");
    test_write(dir, "1_idx.up.sql", "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY t_done ON t (done);\n"
                                    "ALTER TABLE t ADD COLUMN note text;\n");
    test_write(dir, "2_fill.up.sql", "-- strata:batch\nUPDATE t SET done = true WHERE id IN "
                                     "(SELECT id FROM t WHERE NOT done LIMIT 2);\n");
    ck_assert_int_eq(cli_observe(dir, true, out, sizeof out), 0);
    json_check(out, "[m['version'] for m in d] == [1, 2] and "
                    "[set(s) for s in d[0]['statements']] == [{'line', 'duration_ms', 'rows', 'locks', "
                    "'rewrote'}] * 2 and [s['line'] for s in d[0]['statements']] == [2, 3] and "
                    "{'relation': 't', 'mode': 'AccessExclusiveLock'} in d[0]['statements'][1]['locks'] and "
                    "[s['batch'] for s in d[1]['statements']] == [1, 2, 3, 4] and "
                    "[s['rows'] for s in d[1]['statements']] == [2, 2, 1, 0] and "
                    "all(set(s) == {'batch', 'line', 'duration_ms', 'rows', 'locks', 'rewrote'} and "
                    "s['line'] == 2 and {'relation': 't', 'mode': 'RowExclusiveLock'} in s['locks'] "
                    "for s in d[1]['statements'])");
    test_sql("DROP TABLE t; DROP TABLE strata_history; "
             "CREATE TABLE t (id int primary key, done bool NOT NULL DEFAULT false); "
             "INSERT INTO t SELECT generate_series(1, 5)");
    ck_assert_int_eq(cli_observe(dir, false, out, sizeof out), 0);
    ck_assert_msg(strstr(out, "== 1 idx: 2 statement(s) observed") && strstr(out, "  line 3 "), "%s", out);
    ck_assert_msg(strstr(out, "strongest lock: t AccessExclusiveLock, held") && strstr(out, "as sampled"), "%s", out);
    ck_assert_msg(strstr(out, "== 2 fill: 4 batch run(s) observed") && strstr(out, "  batch 4 "), "%s", out);
    ck_assert_msg(strstr(out, "strongest lock: t RowExclusiveLock, held") && strstr(out, "in the longest batch"),
                  "%s", out);
    ck_assert_msg(!strstr(out, "LINT DISAGREES"), "%s", out);
    /* a contradiction of lint, in both forms */
    test_write(dir, "3_unlogged.up.sql", "ALTER TABLE t SET UNLOGGED;\n");
    ck_assert_int_eq(cli_observe(dir, false, out, sizeof out), 0);
    ck_assert_msg(strstr(out, "REWROTE: t, t_pkey, t_done\n    LINT DISAGREES: no finding said no rewrite, the run: "
                              "rewrite (a lint bug to fix or a finding to explain)"), "%s", out);
    test_write(dir, "4_logged.up.sql", "ALTER TABLE t SET LOGGED;\n");
    ck_assert_int_eq(cli_observe(dir, true, out, sizeof out), 0);
    json_check(out, "d[0]['statements'][0]['lint'] == [{'rule': None, 'said': 'no rewrite', "
                    "'observed': 'rewrite'}]");
    test_rmrf(dir);
    free(dir);
}
END_TEST

static void count_retries(const strata_event *ev, void *payload)
{
    if (ev->type == STRATA_EVENT_RETRY)
        (*(int *)payload)++;
}

START_TEST(lock_timeout_retried_from_the_start)
{
    strata_migration_def def = {1, "m", "CREATE TABLE first (id int);\nALTER TABLE busy ADD COLUMN c int;\n", NULL};
    int retries = 0;
    test_db_new();
    test_sql("CREATE TABLE busy (id int)");
    PGconn *holder = test_connect();
    ck_assert_int_eq(PQsendQuery(holder, "BEGIN; LOCK TABLE busy IN ACCESS SHARE MODE; SELECT pg_sleep(1.2); COMMIT;"), 1);
    for (int i = 0; i < 200 && test_query_long("SELECT count(*) FROM pg_locks WHERE relation = 'busy'::regclass") == 0; i++)
        usleep(10000);
    strata *s = test_open();
    ck_assert_int_eq(strata_add_migrations(s, &def, 1), STRATA_OK);
    strata_set_observe(s, 1);
    strata_set_lock_timeout_ms(s, 200);
    strata_set_retries(s, 20);
    strata_set_retry_backoff_ms(s, 100);
    strata_set_event_callback(s, count_retries, &retries);
    ck_assert_msg(strata_apply(s, STRATA_LATEST) == STRATA_OK, "%s", strata_errmsg(s));
    strata_close(s);
    PGresult *r;
    while ((r = PQgetResult(holder)) != NULL)
        PQclear(r);
    PQfinish(holder);
    ck_assert_int_ge(retries, 1);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_attribute WHERE attname = 'c' AND attrelid = 'busy'::regclass"), 1);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_class WHERE relname = 'first'"), 1);
}
END_TEST

Suite *test_suite(void)
{
    Suite *s = suite_create("observe");
    TCase *tc = tcase_create("observe");
    tcase_add_test(tc, add_column_locks_without_rewrite);
    tcase_add_test(tc, type_change_reports_rewrite);
    tcase_add_test(tc, weak_lock_reported_by_mode);
    tcase_add_test(tc, failure_names_statement_line_and_rolls_back);
    tcase_add_test(tc, concurrent_index_sampled_from_second_connection);
    tcase_add_test(tc, no_transaction_statements_each_reported);
    tcase_add_test(tc, no_transaction_failure_keeps_dirty_row);
    tcase_add_test(tc, no_transaction_wait_reported);
    tcase_add_test(tc, batch_reported_per_batch);
    tcase_add_test(tc, self_managed_runs_unobserved_with_warning);
    tcase_add_test(tc, cli_reports_no_transaction_and_batches);
    tcase_add_test(tc, lint_contradictions_reported);
    tcase_add_test(tc, resumed_migration_observed_from_resume_point);
    tcase_add_test(tc, no_second_connection_fails_before_running);
    tcase_add_test(tc, pooled_observed_migration_takes_the_lock);
    tcase_add_test(tc, lock_timeout_retried_from_the_start);
    suite_add_tcase(s, tc);
    return s;
}
