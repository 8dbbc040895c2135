/* The handle and its connection: where the history lives, what a
 * connection string may show, and a borrowed connection given back as it
 * was (notice receiver, session, transaction). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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

static long history_tables(void)
{
    return test_query_long("SELECT count(*) FROM pg_class WHERE relname = 'strata_history' "
                           "AND relkind = 'r'");
}

/* ---- 9.6: the history table stays where it is ---- */

/* Run 1 creates the schema named after the user ("$user" in the default
 * search_path); run 2 must still find the history in public. */
START_TEST(history_stays_when_user_schema_appears)
{
    strata_migration_def defs[] = {
        {1, "user_schema", "CREATE SCHEMA AUTHORIZATION CURRENT_ROLE;", NULL},
        {2, "t", "CREATE TABLE public.t (id int);", NULL},
        {3, "u", "CREATE TABLE public.u (id int);", NULL}};
    strata *s = test_open();
    ck_assert_int_eq(strata_add_migrations(s, defs, 2), STRATA_OK);
    apply_ok(s);
    strata_close(s);
    s = test_open();
    ck_assert_int_eq(strata_add_migrations(s, defs, 3), STRATA_OK);
    apply_ok(s); /* before the fix: re-ran 1 and failed on "schema already exists" */
    strata_close(s);
    ck_assert_int_eq(history_tables(), 1);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM public.strata_history"), 3);
}
END_TEST

/* A migration that moves the search_path of later sessions (and its own):
 * the next run keeps the table it already has. */
START_TEST(history_stays_when_search_path_changes)
{
    strata_migration_def defs[] = {
        {1, "path", "CREATE SCHEMA app;\n"
                    "DO $$BEGIN EXECUTE format('ALTER DATABASE %I SET search_path = app, public', "
                    "current_database()); END$$;\n"
                    "SET search_path = app;", NULL},
        {2, "t", "CREATE TABLE public.t (id int);", NULL},
        {3, "u", "CREATE TABLE public.u (id int);", NULL}};
    strata *s = test_open();
    ck_assert_int_eq(strata_add_migrations(s, defs, 2), STRATA_OK);
    apply_ok(s);
    strata_close(s);
    s = test_open();
    ck_assert_int_eq(strata_add_migrations(s, defs, 3), STRATA_OK);
    apply_ok(s);
    strata_close(s);
    ck_assert_int_eq(history_tables(), 1);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM public.strata_history"), 3);
}
END_TEST

/* The schema is named in every statement, quoted: a history table in a
 * schema whose name needs quoting is found again by the next handle. */
START_TEST(history_schema_quoted)
{
    strata_migration_def m = {1, "t", "CREATE TABLE public.t (id int);", NULL};
    test_sql("CREATE SCHEMA \"Odd \"\"Schema\"\"\"; DO $$BEGIN EXECUTE format('ALTER DATABASE %I "
             "SET search_path TO \"Odd \"\"Schema\"\"\", public', current_database()); END$$");
    for (int i = 0; i < 2; i++) {
        strata *s = test_open();
        ck_assert_int_eq(strata_add_migrations(s, &m, 1), STRATA_OK);
        apply_ok(s);
        strata_close(s);
    }
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM \"Odd \"\"Schema\"\"\".strata_history"), 1);
    ck_assert_int_eq(history_tables(), 1);
}
END_TEST

/* ---- 9.10: no password in any message ---- */

typedef struct hostile {
    const char *conninfo;
    const char *secret; /* no message may contain it */
} hostile;

static void assert_masked(const char *conninfo, const char *secret)
{
    strata *s = NULL;
    int rc = strata_open(&s, conninfo);
    ck_assert_msg(rc == STRATA_ECONNECT, "%s: %d", conninfo, rc);
    const char *msg = strata_errmsg(s);
    ck_assert_msg(strstr(msg, secret) == NULL, "password \"%s\" in: %s", secret, msg);
    ck_assert_msg(strstr(msg, "could not connect") != NULL, "%s", msg);
    strata_close(s);
}

START_TEST(malformed_conninfo_shows_no_password)
{
    static const hostile cases[] = {
        {"postgresql://u:S3cr%t!pw@/db?host=/tmp&port=1", "S3cr%t!pw"},
        {"postgresql://u:S3cr%t!pw@/db?host=/tmp&port=1", "S3cr"},
        {"host=/tmp port=1 password=top secret", "secret"},
        {"host=/tmp port=1 password=topsecret x", "topsecret"},
        {"host=/tmp port=1 password='unterminated s3cret", "s3cret"},
        {"host=/tmp port=1 password=p\xc3\xa4ss w\xc3\xb6rd", "w\xc3\xb6rd"},
        {"postgresql://u:p%C3%A4%zz@/db?host=/tmp", "p%C3%A4%zz"},
        {"postgresql://u:a=b%00c@/db?host=/tmp", "a=b"},
        {"postgresql://u:pw@/db?host=/tmp&sslmode", "pw@"},
        {"postgresql://u:quo\"te%@/db?host=/tmp", "quo\"te"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_masked(cases[i].conninfo, cases[i].secret);
}
END_TEST

/* The connect error itself: every form of the password is masked, also one
 * of only '*' (the masking loop used to spin forever on it). */
START_TEST(failed_connect_masks_every_form)
{
    static const hostile cases[] = {
        /* the mask of '*' is itself: here the test is that open returns */
        {"host=/tmp/*x* port=1 password=*", "\x01"},
        {"host=/tmp/**pw** port=1 password=**pw**", "**pw**"},
        {"host='/tmp/it''s' port=1 password='it\\'s \"q\"'", "it's \"q\""},
        {"host=/tmp/a=b@c port=1 password=a=b@c", "a=b@c"},
        {"host=/tmp/p\xc3\xa4ss port=1 password=p\xc3\xa4ss", "p\xc3\xa4ss"},
        /* an unencoded '@' in the password: libpq splits at the first one */
        {"postgresql://u:pa@ss@/db?host=/tmp&port=1", "ss@"},
        {"postgresql://u:100%25@/db?host=/tmp/100%25&port=1", "100%"},
        {"host=/tmp port=1 password=", "password="},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_masked(cases[i].conninfo, cases[i].secret);
}
END_TEST

START_TEST(pgpassword_masked)
{
    setenv("PGPASSWORD", "EnvS3cret", 1);
    assert_masked("host=/tmp/EnvS3cret port=1", "EnvS3cret");
    unsetenv("PGPASSWORD");
}
END_TEST

/* A working connection string with a password still connects (the
 * masking does not get in the way). */
START_TEST(conninfo_with_password_connects)
{
    char dsn[700];
    strata *s = NULL;
    snprintf(dsn, sizeof dsn, "%s password='*'", test_db_current());
    ck_assert_int_eq(strata_open(&s, dsn), STRATA_OK);
    strata_close(s);
}
END_TEST

/* ---- 9.11: a borrowed connection given back as it was ---- */

typedef struct notice_count {
    int n;
    char last[256];
} notice_count;

static void count_notice(void *arg, const PGresult *res)
{
    notice_count *c = arg; /* NULL here would crash, as the application would */
    c->n++;
    snprintf(c->last, sizeof c->last, "%s", PQresultErrorMessage(res));
}

static void app_notice(PGconn *c, const char *text)
{
    char sql[256];
    snprintf(sql, sizeof sql, "DO $$BEGIN RAISE NOTICE '%s'; END$$", text);
    PGresult *r = PQexec(c, sql);
    ck_assert_int_eq(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
}

static const strata_migration_def noisy[] = {
    {1, "noisy", "DO $$BEGIN RAISE NOTICE 'from the migration'; END$$;\nCREATE TABLE a (id int);",
     "DROP TABLE a;"}};

START_TEST(borrowed_notice_receiver_restored_with_arg)
{
    notice_count cnt = {0};
    PGconn *c = test_connect();
    PQsetNoticeReceiver(c, count_notice, &cnt);
    strata *s = NULL;
    ck_assert_int_eq(strata_open_conn(&s, c), STRATA_OK);
    ck_assert_int_eq(strata_add_migrations(s, noisy, 1), STRATA_OK);
    apply_ok(s);
    strata_close(s);
    app_notice(c, "after close");
    ck_assert_int_ge(cnt.n, 1);
    ck_assert_ptr_nonnull(strstr(cnt.last, "after close"));
    PQfinish(c);
}
END_TEST

START_TEST(borrowed_notices_reach_app_while_open)
{
    notice_count cnt = {0};
    test_events ev = {0};
    PGconn *c = test_connect();
    PQsetNoticeReceiver(c, count_notice, &cnt);
    strata *s = NULL;
    ck_assert_int_eq(strata_open_conn(&s, c), STRATA_OK);
    strata_set_event_callback(s, test_events_cb, &ev);
    ck_assert_int_eq(strata_set_conn_notice_receiver(s, count_notice, &cnt), STRATA_OK);
    app_notice(c, "before apply");
    ck_assert_int_eq(cnt.n, 1);
    ck_assert_int_eq(strata_add_migrations(s, noisy, 1), STRATA_OK);
    apply_ok(s);
    /* the migration's notice is strata's: an event, not the application's */
    ck_assert_int_eq(ev.count[STRATA_EVENT_NOTICE], 1);
    ck_assert_ptr_nonnull(strstr(ev.log, "from the migration"));
    ck_assert_int_eq(cnt.n, 1);
    app_notice(c, "between calls");
    ck_assert_int_eq(cnt.n, 2);
    ck_assert_ptr_nonnull(strstr(cnt.last, "between calls"));
    ck_assert_int_eq(ev.count[STRATA_EVENT_NOTICE], 1);
    ck_assert_int_eq(strata_revert(s, 0), STRATA_OK);
    app_notice(c, "after revert");
    ck_assert_int_eq(cnt.n, 3);
    strata_close(s);
    PQfinish(c);
}
END_TEST

/* Without being told the receiver's argument, strata leaves an unknown
 * receiver alone: the application still gets every notice, nothing crashes. */
START_TEST(borrowed_unknown_receiver_left_alone)
{
    notice_count cnt = {0};
    PGconn *c = test_connect();
    PQsetNoticeReceiver(c, count_notice, &cnt);
    strata *s = NULL;
    ck_assert_int_eq(strata_open_conn(&s, c), STRATA_OK);
    ck_assert_int_eq(strata_add_migrations(s, noisy, 1), STRATA_OK);
    apply_ok(s);
    ck_assert_int_eq(cnt.n, 1);
    app_notice(c, "while open");
    ck_assert_int_eq(cnt.n, 2);
    strata_close(s);
    app_notice(c, "after close");
    ck_assert_int_eq(cnt.n, 3);
    PQfinish(c);
}
END_TEST

/* libpq's own receiver (the common case): notices become events during
 * calls and the connection keeps libpq's receiver. */
START_TEST(borrowed_default_receiver_events)
{
    test_events ev = {0};
    PGconn *c = test_connect();
    strata *s = NULL;
    ck_assert_int_eq(strata_open_conn(&s, c), STRATA_OK);
    strata_set_event_callback(s, test_events_cb, &ev);
    ck_assert_int_eq(strata_add_migrations(s, noisy, 1), STRATA_OK);
    apply_ok(s);
    ck_assert_int_eq(ev.count[STRATA_EVENT_NOTICE], 1);
    app_notice(c, "to stderr, not to strata");
    ck_assert_int_eq(ev.count[STRATA_EVENT_NOTICE], 1);
    strata_close(s);
    PQfinish(c);
}
END_TEST

static char *role_name(void)
{
    static char name[64];
    snprintf(name, sizeof name, "strata_r_%d", (int)getpid());
    return name;
}

START_TEST(borrowed_session_restored)
{
    char sql[512], up[512];
    const char *r = role_name();
    /* the history row is written under the migration's role */
    snprintf(sql, sizeof sql, "DROP ROLE IF EXISTS %s; CREATE ROLE %s; GRANT CREATE ON SCHEMA "
             "public TO %s; ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO %s",
             r, r, r, r);
    test_sql(sql);
    snprintf(up, sizeof up, "CREATE TABLE a (id int);\nSET ROLE %s;\nSET work_mem = '7MB';\n"
             "SET application_name = 'mig';\nSET DateStyle = 'German';\nSET search_path = pg_catalog;", r);
    strata_migration_def defs[] = {
        {1, "role", up, NULL},
        {2, "auth", "SET SESSION AUTHORIZATION DEFAULT;\nCREATE TABLE public.b (u text);\n"
                    "INSERT INTO public.b SELECT current_user || '/' || current_setting('work_mem') "
                    "|| '/' || (current_setting('application_name') = 'mig');", NULL}};
    PGconn *c = test_connect();
    PGresult *res = PQexec(c, "SET statement_timeout = '77s'");
    PQclear(res);
    strata *s = NULL;
    ck_assert_int_eq(strata_open_conn(&s, c), STRATA_OK);
    ck_assert_int_eq(strata_add_migrations(s, defs, 2), STRATA_OK);
    apply_ok(s);
    strata_close(s);
    res = PQexec(c, "SELECT current_user, session_user, current_setting('role'), "
                    "current_setting('work_mem'), current_setting('DateStyle'), "
                    "current_setting('application_name'), current_setting('search_path'), "
                    "current_setting('statement_timeout'), (SELECT u FROM public.b)");
    ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
    ck_assert_str_eq(PQgetvalue(res, 0, 0), "postgres");
    ck_assert_str_eq(PQgetvalue(res, 0, 1), "postgres");
    ck_assert_str_eq(PQgetvalue(res, 0, 2), "none");
    ck_assert_str_eq(PQgetvalue(res, 0, 3), "4MB");
    ck_assert_str_eq(PQgetvalue(res, 0, 4), "ISO, MDY");
    ck_assert_str_ne(PQgetvalue(res, 0, 5), "mig");
    ck_assert_str_eq(PQgetvalue(res, 0, 6), "\"$user\", public");
    ck_assert_str_eq(PQgetvalue(res, 0, 7), "77s");
    /* migration 2 ran with none of 1's session state */
    ck_assert_str_eq(PQgetvalue(res, 0, 8), "postgres/4MB/false");
    PQclear(res);
    PQfinish(c);
    snprintf(sql, sizeof sql, "DROP TABLE a; DROP OWNED BY %s; DROP ROLE %s", r, r);
    test_sql(sql);
}
END_TEST


/* An owned connection: the next migration runs as the connecting role,
 * not as the one a previous migration switched to. */
START_TEST(owned_role_not_leaked)
{
    char sql[512], up[256];
    const char *r = role_name();
    snprintf(sql, sizeof sql, "DROP ROLE IF EXISTS %s; CREATE ROLE %s; GRANT CREATE ON SCHEMA "
             "public TO %s; ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO %s",
             r, r, r, r);
    test_sql(sql);
    snprintf(up, sizeof up, "CREATE TABLE a (id int);\nSET ROLE %s;", r);
    strata_migration_def defs[] = {
        {1, "role", up, NULL},
        {2, "who", "CREATE TABLE b AS SELECT current_user::text AS u;", NULL}};
    strata *s = test_open();
    ck_assert_int_eq(strata_add_migrations(s, defs, 2), STRATA_OK);
    apply_ok(s);
    strata_close(s);
    char *who = test_query_value("SELECT u FROM b");
    ck_assert_str_eq(who, "postgres");
    free(who);
    snprintf(sql, sizeof sql, "DROP TABLE a, b; DROP OWNED BY %s; DROP ROLE %s", r, r);
    test_sql(sql);
}
END_TEST

/* A role the application set itself is kept, also across a migration that
 * changes it. */
START_TEST(borrowed_app_role_kept)
{
    char sql[512];
    const char *r = role_name();
    snprintf(sql, sizeof sql, "DROP ROLE IF EXISTS %s; CREATE ROLE %s; GRANT CREATE ON SCHEMA public TO %s", r, r, r);
    test_sql(sql);
    strata_migration_def m = {1, "reset", "RESET ROLE;\nCREATE TABLE a (id int);", NULL};
    PGconn *c = test_connect();
    snprintf(sql, sizeof sql, "SET ROLE %s", r);
    PGresult *res = PQexec(c, sql);
    PQclear(res);
    strata *s = NULL;
    ck_assert_int_eq(strata_open_conn(&s, c), STRATA_OK);
    ck_assert_int_eq(strata_add_migrations(s, &m, 1), STRATA_OK);
    apply_ok(s);
    strata_close(s);
    res = PQexec(c, "SELECT current_user");
    ck_assert_str_eq(PQgetvalue(res, 0, 0), r);
    PQclear(res);
    res = PQexec(c, "RESET ROLE; DROP TABLE a");
    PQclear(res);
    PQfinish(c);
    snprintf(sql, sizeof sql, "DROP OWNED BY %s; DROP ROLE %s", r, r);
    test_sql(sql);
}
END_TEST

/* Every call that talks to the database refuses a connection inside the
 * application's transaction, and leaves that transaction as it was. */
static void assert_refused(strata *s, int rc, const char *what)
{
    ck_assert_msg(rc == STRATA_EINVAL, "%s: %d %s", what, rc, strata_errmsg(s));
    ck_assert_msg(strstr(strata_errmsg(s), "transaction") != NULL, "%s: %s", what, strata_errmsg(s));
    ck_assert_msg(strstr(strata_errmsg(s), "COMMIT or ROLLBACK") != NULL, "%s: %s", what,
                  strata_errmsg(s));
}

static void refuse_all(PGconn *c, strata *s)
{
    strata_status_list *st = NULL;
    strata_lint_report *lr = NULL;
    assert_refused(s, strata_apply(s, STRATA_LATEST), "apply");
    assert_refused(s, strata_revert(s, 0), "revert");
    assert_refused(s, strata_revert_steps(s, 1), "revert_steps");
    assert_refused(s, strata_status(s, &st), "status");
    ck_assert_ptr_null(st);
    assert_refused(s, strata_force(s, 2, 1), "force");
    assert_refused(s, strata_accept(s, 1), "accept");
    assert_refused(s, strata_baseline(s, 2), "baseline");
    assert_refused(s, strata_lint(s, &lr), "lint");
    ck_assert_ptr_null(lr);
    ck_assert_int_ne(PQtransactionStatus(c), PQTRANS_IDLE);
}

START_TEST(borrowed_open_transaction_refused)
{
    strata_migration_def defs[] = {{1, "a", "CREATE TABLE a (id int);", "DROP TABLE a;"},
                                   {2, "b", "CREATE TABLE b (id int);", "DROP TABLE b;"}};
    PGconn *c = test_connect();
    strata *s = NULL;
    ck_assert_int_eq(strata_open_conn(&s, c), STRATA_OK);
    ck_assert_int_eq(strata_add_migrations(s, defs, 2), STRATA_OK);
    ck_assert_int_eq(strata_apply(s, 1), STRATA_OK);
    PGresult *r = PQexec(c, "BEGIN; CREATE TABLE app_work (id int)");
    PQclear(r);
    refuse_all(c, s);
    ck_assert_int_eq(PQtransactionStatus(c), PQTRANS_INTRANS);
    /* nothing strata did committed the application's work */
    r = PQexec(c, "ROLLBACK");
    PQclear(r);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_class WHERE relname = 'app_work'"), 0);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history"), 1);
    /* a failed transaction too */
    r = PQexec(c, "BEGIN; SELECT 1/0");
    PQclear(r);
    ck_assert_int_eq(PQtransactionStatus(c), PQTRANS_INERROR);
    refuse_all(c, s);
    ck_assert_int_eq(PQtransactionStatus(c), PQTRANS_INERROR);
    r = PQexec(c, "ROLLBACK");
    PQclear(r);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_OK);
    strata_close(s);
    PQfinish(c);
}
END_TEST


/* ---- issue 11.5: through PgBouncer in transaction pooling mode ---- */

/* The bouncer's conninfo for the current test database, or NULL to skip. */
static const char *bouncer_dsn(void)
{
    static char dsn[256];
    const char *b = test_pgbouncer_start(), *db = strstr(test_db_current(), "dbname=");
    if (!b)
        return NULL;
    ck_assert_ptr_nonnull(db);
    snprintf(dsn, sizeof dsn, "%s %s", b, db);
    return dsn;
}

static long advisory_locks(void)
{
    return test_query_long("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'");
}

START_TEST(pooler_concurrent_up_each_once)
{
    enum { N = 16, MIGRATORS = 4 };
    static char ups[N][160];
    strata_migration_def defs[N];
    const char *dsn = bouncer_dsn();
    if (!dsn)
        return;
    for (int i = 0; i < N; i++) {
        if (i == 0)
            snprintf(ups[i], sizeof ups[i], "CREATE TABLE runs (v int);");
        else
            snprintf(ups[i], sizeof ups[i], "CREATE TABLE items_%d (id int);\nINSERT INTO runs "
                     "VALUES (%d);\nSELECT pg_sleep(0.03);", i, i);
        defs[i] = (strata_migration_def){i + 1, "m", ups[i], NULL};
    }
    pid_t pids[MIGRATORS];
    for (int i = 0; i < MIGRATORS; i++)
        pids[i] = test_spawn_apply(dsn, defs, N);
    for (int i = 0; i < MIGRATORS; i++) /* each exits 0: skipping what another applied */
        ck_assert_int_eq(test_wait_apply(pids[i]), STRATA_OK);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM runs"), N - 1);
    ck_assert_int_eq(test_query_long("SELECT count(DISTINCT v) FROM runs"), N - 1);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history"), N);
    ck_assert_int_eq(test_query_long("SELECT count(DISTINCT applied_rank) FROM strata_history"), N);
    /* no session lock left behind on a pooled server connection */
    ck_assert_int_eq(advisory_locks(), 0);
    /* and again: nothing to do, both succeed */
    ck_assert_int_eq(test_wait_apply(test_spawn_apply(dsn, defs, N)), STRATA_OK);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM runs"), N - 1);
}
END_TEST

START_TEST(pooler_refuses_no_transaction)
{
    strata_migration_def defs[] = {
        {1, "t", "CREATE TABLE t (id int);", NULL},
        {2, "idx", "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY t_id ON t (id);", NULL}};
    const char *dsn = bouncer_dsn();
    strata *s = NULL;
    if (!dsn)
        return;
    ck_assert_int_eq(strata_open(&s, dsn), STRATA_OK);
    ck_assert_int_eq(strata_add_migrations(s, defs, 2), STRATA_OK);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_EINVAL);
    const char *msg = strata_errmsg(s);
    ck_assert_msg(strstr(msg, "2_idx") && strstr(msg, "pooler") && strstr(msg, "connect directly"), "%s", msg);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_class WHERE relname = 't'"), 0);
    /* the admin commands still work through the pooler */
    ck_assert_int_eq(strata_force(s, 1, 1), STRATA_OK);
    strata_close(s);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history"), 1);
    ck_assert_int_eq(advisory_locks(), 0);
}
END_TEST


/* The CLI as users run it: two `strata up` at once through the pooler. */
static pid_t spawn_cli_up(const char *dsn, const char *dir)
{
    const char *cli = getenv("STRATA_CLI");
    ck_assert_ptr_nonnull(cli);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2(null, 1);
        execl(cli, cli, "-q", "-d", dsn, "-m", dir, "up", (char *)NULL);
        _exit(127);
    }
    return pid;
}

START_TEST(pooler_two_cli_up_runs)
{
    const char *dsn = bouncer_dsn();
    char *dir = test_tmpdir();
    int st;
    if (!dsn) {
        free(dir);
        return;
    }
    test_write(dir, "1_runs.up.sql", "CREATE TABLE runs (v int);");
    for (int i = 2; i <= 10; i++) {
        char name[64], sql[160];
        snprintf(name, sizeof name, "%d_m%d.up.sql", i, i);
        snprintf(sql, sizeof sql, "CREATE TABLE items_%d (id int);\nINSERT INTO runs VALUES (%d);\n"
                 "SELECT pg_sleep(0.03);\n", i, i);
        test_write(dir, name, sql);
    }
    pid_t a = spawn_cli_up(dsn, dir), b = spawn_cli_up(dsn, dir);
    ck_assert_int_eq(waitpid(a, &st, 0), a);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "first strata up: status %d", st);
    ck_assert_int_eq(waitpid(b, &st, 0), b);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "second strata up: status %d", st);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM runs"), 9);
    ck_assert_int_eq(test_query_long("SELECT count(DISTINCT v) FROM runs"), 9);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history"), 10);
    ck_assert_int_eq(advisory_locks(), 0);
    free(dir);
}
END_TEST

Suite *test_suite(void)
{
    Suite *su = suite_create("conn");
    TCase *tc = tcase_create("history_schema");
    tcase_add_checked_fixture(tc, fresh_db, NULL);
    tcase_add_test(tc, history_stays_when_user_schema_appears);
    tcase_add_test(tc, history_stays_when_search_path_changes);
    tcase_add_test(tc, history_schema_quoted);
    suite_add_tcase(su, tc);

    tc = tcase_create("secrets");
    tcase_add_checked_fixture(tc, fresh_db, NULL);
    tcase_set_timeout(tc, 30); /* a masking loop that spins fails here, not at 120 s */
    tcase_add_test(tc, malformed_conninfo_shows_no_password);
    tcase_add_test(tc, failed_connect_masks_every_form);
    tcase_add_test(tc, pgpassword_masked);
    tcase_add_test(tc, conninfo_with_password_connects);
    suite_add_tcase(su, tc);

    tc = tcase_create("borrowed");
    tcase_add_checked_fixture(tc, fresh_db, NULL);
    tcase_add_test(tc, borrowed_notice_receiver_restored_with_arg);
    tcase_add_test(tc, borrowed_notices_reach_app_while_open);
    tcase_add_test(tc, borrowed_unknown_receiver_left_alone);
    tcase_add_test(tc, borrowed_default_receiver_events);
    tcase_add_test(tc, borrowed_session_restored);
    tcase_add_test(tc, borrowed_app_role_kept);
    tcase_add_test(tc, owned_role_not_leaked);
    tcase_add_test(tc, borrowed_open_transaction_refused);
    suite_add_tcase(su, tc);

    tc = tcase_create("pooler");
    tcase_add_checked_fixture(tc, fresh_db, NULL);
    tcase_add_test(tc, pooler_concurrent_up_each_once);
    tcase_add_test(tc, pooler_refuses_no_transaction);
    tcase_add_test(tc, pooler_two_cli_up_runs);
    suite_add_tcase(su, tc);
    return su;
}
