/* Allocation failure, SQLite-style: for each scenario, fail the N-th
 * allocation libstrata makes for N = 1, 2, 3 ... until the scenario runs
 * without reaching N. Every run must return STRATA_ENOMEM (or succeed),
 * never crash or leak (this suite runs under ASan and valgrind too), and
 * leave the database consistent: the history matches the schema and a
 * rerun without failures finishes. Each scenario prints how many failure
 * points it covered. STRATA_OOM_STRIDE=k tries every k-th point only (CI
 * bound; default 1: all of them, 10 under valgrind). Only libstrata's own
 * allocations fail (oom_hook.h): libpq's, libpg_query's and OpenSSL's not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "embed.h"
#include "harness.h"
#include "internal.h"
#include "oom_hook.h"
#ifdef HAVE_VALGRIND_H
#include <valgrind/valgrind.h>
#endif

const bool test_needs_pg = true;

#define MAX_POINTS 20000

static const strata_migration_def defs[] = {
    {1, "create a", "CREATE TABLE oom_a (id int PRIMARY KEY);\n", "DROP TABLE oom_a;\n"},
    {2, "create b", "-- strata:lock-timeout 2s\nCREATE TABLE oom_b (id int);\n"
                    "INSERT INTO oom_b VALUES (1);\n", "DROP TABLE oom_b;\n"},
    {3, "index b", "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY oom_b_i ON oom_b (id);\n"
                   "CREATE INDEX CONCURRENTLY oom_a_i ON oom_a (id);\n",
     /* a no-transaction down keeps its row until every statement ran (a
      * partial revert stays "applied"): written to be rerun, as it must be */
     "-- strata:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS oom_a_i;\n"
     "DROP INDEX CONCURRENTLY IF EXISTS oom_b_i;\n"},
    {4, "add v", "ALTER TABLE oom_a ADD COLUMN v int;\n", "ALTER TABLE oom_a DROP COLUMN v;\n"},
};
#define NDEFS 4

static long stride(void)
{
    const char *e = getenv("STRATA_OOM_STRIDE");
    long k = e ? atol(e) : 1;
#ifdef HAVE_VALGRIND_H
    if (!e && RUNNING_ON_VALGRIND)
        k = 10; /* every point runs under ASan already; valgrind samples them */
#endif
    return k > 0 ? k : 1;
}

static void report(const char *name, long points, long tried, long swallowed)
{
    printf("oom %-12s %ld failure points, %ld tried, %ld absorbed without error\n", name, points,
           tried, swallowed);
    fflush(stdout);
}

/* The outcome of one armed run: ENOMEM with a message saying so, or OK. */
static void check_rc(const char *name, long n, int rc, const char *msg)
{
    ck_assert_msg(rc == STRATA_OK || rc == STRATA_ENOMEM, "%s, allocation %ld failed: rc %d (%s)",
                  name, n, rc, msg ? msg : "");
    if (rc == STRATA_ENOMEM && msg)
        ck_assert_msg(strstr(msg, "memory") != NULL, "%s, allocation %ld: message \"%s\"", name,
                      n, msg);
}

/* ---- the database side ---- */

static void reset_db(void)
{
    test_sql("SET client_min_messages = warning; DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
}

static strata *open_with_defs(int upto)
{
    strata *s = test_open();
    ck_assert_int_eq(strata_add_migrations(s, defs, NDEFS), STRATA_OK);
    strata_set_lock_wait_ms(s, 5000);
    if (upto > 0)
        ck_assert_int_eq(strata_apply(s, upto), STRATA_OK);
    return s;
}

static long q(const char *sql)
{
    return test_query_long(sql);
}

static bool row(int v)
{
    char sql[200];
    if (!q("SELECT count(*) FROM pg_tables WHERE tablename = 'strata_history'"))
        return false;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM strata_history WHERE version = %d AND state = 'applied'", v);
    return q(sql) == 1;
}

/* History matches schema, each migration by what it creates. A dirty row
 * is allowed only for the no-transaction one, at the statement it says. */
static void check_consistent(const char *name, long n, bool reverting)
{
    bool a = q("SELECT count(*) FROM pg_tables WHERE tablename = 'oom_a'") == 1;
    bool b = q("SELECT count(*) FROM pg_tables WHERE tablename = 'oom_b'") == 1;
    long idx = q("SELECT count(*) FROM pg_indexes WHERE indexname IN ('oom_a_i', 'oom_b_i')");
    long invalid = q("SELECT count(*) FROM pg_index WHERE NOT indisvalid");
    bool v = q("SELECT count(*) FROM information_schema.columns WHERE table_name = 'oom_a' "
               "AND column_name = 'v'") == 1;
    ck_assert_msg(row(1) == a, "%s@%ld: history v1 %d, table oom_a %d", name, n, row(1), a);
    ck_assert_msg(row(2) == b, "%s@%ld: history v2 %d, table oom_b %d", name, n, row(2), b);
    if (b)
        ck_assert_msg(q("SELECT count(*) FROM oom_b") == 1, "%s@%ld: oom_b rows", name, n);
    ck_assert_msg(row(4) == v, "%s@%ld: history v4 %d, column v %d", name, n, row(4), v);
    ck_assert_msg(invalid == 0, "%s@%ld: an INVALID index was left", name, n);
    if (row(3))
        ck_assert_msg(idx == 2 || (reverting && idx < 2), "%s@%ld: v3 applied with %ld indexes",
                      name, n, idx);
    else if (q("SELECT count(*) FROM pg_tables WHERE tablename = 'strata_history'") &&
             q("SELECT count(*) FROM strata_history WHERE version = 3 AND state = 'dirty'") == 1)
        ck_assert_msg(idx <= 2, "%s@%ld: dirty v3", name, n);
    else
        ck_assert_msg(idx == 0, "%s@%ld: v3 not recorded but %ld indexes exist", name, n, idx);
}

/* A rerun without failures reaches @target: apply (resuming a dirty
 * no-transaction migration) or revert. */
static void rerun(const char *name, long n, bool revert)
{
    strata *s = open_with_defs(0);
    strata_set_resume(s, 1);
    int rc = revert ? strata_revert(s, 0) : strata_apply(s, STRATA_LATEST);
    ck_assert_msg(rc == STRATA_OK, "%s@%ld: rerun: %s", name, n, strata_errmsg(s));
    strata_close(s);
    check_consistent(name, n, false);
    ck_assert_int_eq(q("SELECT count(*) FROM strata_history"), revert ? 0 : NDEFS);
}

/* ---- the loop ---- */

typedef struct scenario {
    const char *name;
    void (*setup)(void **ctx);               /* unarmed */
    int (*step)(void *ctx, const char **msg); /* armed */
    void (*after)(void *ctx, int rc, long n); /* unarmed: checks, frees */
} scenario;

static void run_scenario(const scenario *sc)
{
    long n, tried = 0, swallowed = 0, k = stride();
    for (n = 1; n <= MAX_POINTS; n += (n == 1 ? k - (k > 1) : k)) {
        void *ctx = NULL;
        const char *msg = NULL;
        sc->setup(&ctx);
        oom_arm(n);
        int rc = sc->step(ctx, &msg);
        bool hit = oom_disarm();
        tried++;
        if (!hit) {
            ck_assert_msg(rc == STRATA_OK, "%s without failure: rc %d (%s)", sc->name, rc,
                          msg ? msg : "");
            sc->after(ctx, rc, n);
            break;
        }
        check_rc(sc->name, n, rc, msg);
        swallowed += rc == STRATA_OK;
        sc->after(ctx, rc, n);
    }
    ck_assert_msg(n <= MAX_POINTS, "%s: more than %d allocations", sc->name, MAX_POINTS);
    report(sc->name, n - 1, tried, swallowed);
}

/* ---- open ---- */

static void nothing(void **ctx)
{
    *ctx = calloc(1, sizeof(strata *));
}

static int step_open(void *ctx, const char **msg)
{
    strata **s = ctx;
    int rc = strata_open(s, test_db_current());
    *msg = *s ? strata_errmsg(*s) : NULL;
    return rc;
}

static void after_open(void *ctx, int rc, long n)
{
    strata **s = ctx;
    if (rc == STRATA_OK) {
        ck_assert_msg(*s != NULL, "open@%ld: OK without a handle", n);
        /* kept for the blocker watch's second connection */
        ck_assert_msg((*s)->conninfo != NULL, "open@%ld: conninfo lost", n);
        ck_assert_int_eq(strata_add_migrations(*s, defs, 1), STRATA_OK);
    }
    strata_close(*s);
    free(s);
}

START_TEST(oom_open)
{
    test_db_new();
    run_scenario(&(scenario){"open", nothing, step_open, after_open});
}
END_TEST

/* ---- add from a directory, add from memory ---- */

static char *oom_dir;

static void offline(void **ctx)
{
    strata *s = NULL;
    ck_assert_int_eq(strata_open(&s, NULL), STRATA_OK);
    *ctx = s;
}

static int step_add_dir(void *ctx, const char **msg)
{
    int rc = strata_add_dir(ctx, oom_dir);
    *msg = strata_errmsg(ctx);
    return rc;
}

static int step_add_mem(void *ctx, const char **msg)
{
    int rc = strata_add_migrations(ctx, defs, NDEFS);
    *msg = strata_errmsg(ctx);
    return rc;
}

static strata *add_ref;

static bool str_same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Everything the reader produced, against a read without failures. */
static void same_set(const strata *s, const strata *ref, long n)
{
    ck_assert_uint_eq(s->set.n, ref->set.n);
    for (size_t i = 0; i < s->set.n; i++) {
        const migration *a = &s->set.items[i], *b = &ref->set.items[i];
        migration_classify(a); /* the empty flags: on first use */
        migration_classify(b);
        ck_assert_msg(a->version == b->version && str_same(a->name, b->name) &&
                      str_same(a->up_sql, b->up_sql) && str_same(a->down_sql, b->down_sql) &&
                      str_same(a->source, b->source) && str_same(a->down_source, b->down_source) &&
                      memcmp(a->checksum, b->checksum, 32) == 0 &&
                      a->d.no_transaction == b->d.no_transaction &&
                      a->d.lock_timeout_ms == b->d.lock_timeout_ms &&
                      str_same(a->d.allow, b->d.allow) && a->up_empty == b->up_empty &&
                      a->down_empty == b->down_empty &&
                      str_same(a->down_comment, b->down_comment),
                      "add@%ld: migration %lld differs from a read without failures", n,
                      (long long)a->version);
    }
}

static void after_add(void *ctx, int rc, long n)
{
    if (rc == STRATA_OK)
        same_set(ctx, add_ref, n);
    else
        ck_assert_msg(strata_migration_count(ctx) == 0, "add@%ld: failed add kept %zu", n,
                      strata_migration_count(ctx));
    strata_close(ctx);
}

static void write_dir(void)
{
    oom_dir = test_tmpdir();
    char sub[512];
    test_write(oom_dir, "1_create_a.up.sql", "CREATE TABLE oom_a (id int);\n");
    test_write(oom_dir, "1_create_a.down.sql", "DROP TABLE oom_a;\n");
    test_write(oom_dir, "2_create_b.sql",
               "-- migrate:up transaction:false\nCREATE TABLE oom_b ();\n-- migrate:down\nDROP TABLE oom_b;\n");
    test_write(oom_dir, "3_goose.sql", "-- +goose Up\nSELECT 1;\n-- +goose Down\nSELECT 2;\n");
    test_write(oom_dir, "4_simple.sql", "\xEF\xBB\xBF-- strata:lock-timeout 1s\nSELECT 4;\n");
    snprintf(sub, sizeof sub, "%s/2024-01-01-000000_diesel", oom_dir);
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    test_write(sub, "up.sql", "SELECT 5;\n");
    test_write(sub, "down.sql", "SELECT 6;\n");
    test_write(sub, "metadata.toml", "run_in_transaction = false\n");
    test_write(oom_dir, "README.md", "not a migration\n");
}

START_TEST(oom_add_dir)
{
    write_dir();
    offline((void **)&add_ref);
    ck_assert_int_eq(strata_add_dir(add_ref, oom_dir), STRATA_OK);
    run_scenario(&(scenario){"add-dir", offline, step_add_dir, after_add});
    strata_close(add_ref);
    free(oom_dir);
}
END_TEST

START_TEST(oom_add_memory)
{
    offline((void **)&add_ref);
    ck_assert_int_eq(strata_add_migrations(add_ref, defs, NDEFS), STRATA_OK);
    run_scenario(&(scenario){"add-memory", offline, step_add_mem, after_add});
    strata_close(add_ref);
}
END_TEST

/* ---- apply, no-transaction apply, revert, status ---- */

static int applied_upto;

static void db_at(void **ctx)
{
    reset_db();
    *ctx = open_with_defs(applied_upto);
}

static int step_apply(void *ctx, const char **msg)
{
    int rc = strata_apply(ctx, STRATA_LATEST);
    *msg = strata_errmsg(ctx);
    return rc;
}

static int step_revert(void *ctx, const char **msg)
{
    int rc = strata_revert(ctx, 0);
    *msg = strata_errmsg(ctx);
    return rc;
}

static void after_apply(void *ctx, int rc, long n)
{
    strata_close(ctx);
    check_consistent("apply", n, false);
    if (rc != STRATA_OK)
        rerun("apply", n, false);
}

static void after_revert(void *ctx, int rc, long n)
{
    (void)rc; /* either way: consistent, and a rerun finishes the revert */
    strata_close(ctx);
    check_consistent("revert", n, true);
    rerun("revert", n, true);
}

START_TEST(oom_apply)
{
    test_db_new();
    applied_upto = 0; /* the history table is created, four rows written */
    run_scenario(&(scenario){"apply", db_at, step_apply, after_apply});
}
END_TEST

START_TEST(oom_apply_notx)
{
    test_db_new();
    applied_upto = 2; /* pending: the no-transaction one, then one more */
    run_scenario(&(scenario){"apply-notx", db_at, step_apply, after_apply});
}
END_TEST

START_TEST(oom_revert)
{
    test_db_new();
    applied_upto = NDEFS;
    run_scenario(&(scenario){"revert", db_at, step_revert, after_revert});
}
END_TEST

static int step_status(void *ctx, const char **msg)
{
    strata_status_list *st = NULL;
    int rc = strata_status(ctx, &st);
    oom_disarm(); /* the checks below allocate (check's own messages) */
    *msg = strata_errmsg(ctx);
    if (rc == STRATA_OK) {
        ck_assert_uint_eq(strata_status_count(st), NDEFS);
        for (size_t i = 0; i < NDEFS; i++) { /* no text silently lost */
            const strata_status_row *r = strata_status_get(st, i);
            ck_assert_msg(r->name && r->phase && (i >= 2 || r->applied_at),
                          "status: row %zu lost a text", i);
        }
        ck_assert_int_eq(strata_status_get(st, 0)->state, STRATA_STATE_APPLIED);
        ck_assert_int_eq(strata_status_get(st, 3)->state, STRATA_STATE_PENDING);
    } else {
        ck_assert_ptr_null(st);
    }
    strata_status_free(st);
    return rc;
}

static void after_plain(void *ctx, int rc, long n)
{
    (void)rc;
    (void)n;
    strata_close(ctx);
}

static void db_once(void **ctx)
{
    *ctx = open_with_defs(0);
}

START_TEST(oom_status)
{
    test_db_new();
    strata *s = open_with_defs(2);
    strata_close(s);
    run_scenario(&(scenario){"status", db_once, step_status, after_plain});
}
END_TEST

/* ---- lint (offline and connected) ---- */

static const strata_migration_def lint_defs[] = {
    {1, "t", "CREATE TABLE t (id int, a text);\n", NULL},
    {2, "risky", "CREATE INDEX i ON t (a);\nALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 1;\n"
                 "ALTER TABLE t ALTER COLUMN a TYPE varchar(10);\nALTER TABLE t DROP COLUMN c;\n"
                 "ALTER TABLE t ADD CONSTRAINT k CHECK (id > 0);\nSELECT (;\n", NULL},
};

static strata_lint_report *lint_ref;

/* An allocation failure must not drop or change a finding silently. */
static void same_findings(const strata_lint_report *r, const strata_lint_report *ref)
{
    ck_assert_uint_eq(strata_lint_count(r), strata_lint_count(ref));
    for (size_t i = 0; i < strata_lint_count(r); i++) {
        const strata_lint_finding *a = strata_lint_get(r, i), *b = strata_lint_get(ref, i);
        ck_assert_str_eq(a->rule, b->rule);
        ck_assert_str_eq(a->message, b->message);
        ck_assert_str_eq(a->fix ? a->fix : "", b->fix ? b->fix : "");
        ck_assert_int_eq(a->line, b->line);
        ck_assert_int_eq(a->column, b->column);
    }
}

static void offline_lint(void **ctx)
{
    offline(ctx);
    ck_assert_int_eq(strata_add_migrations(*ctx, lint_defs, 2), STRATA_OK);
}

static int step_lint(void *ctx, const char **msg)
{
    strata_lint_report *r = NULL;
    int rc = strata_lint(ctx, &r);
    oom_disarm();
    *msg = strata_errmsg(ctx);
    if (rc == STRATA_OK)
        same_findings(r, lint_ref);
    else
        ck_assert_ptr_null(r);
    strata_lint_report_free(r);
    return rc;
}

START_TEST(oom_lint)
{
    strata *s = NULL;
    offline_lint((void **)&s);
    ck_assert_int_eq(strata_lint(s, &lint_ref), STRATA_OK);
    ck_assert_uint_ge(strata_lint_count(lint_ref), 4);
    strata_close(s);
    run_scenario(&(scenario){"lint", offline_lint, step_lint, after_plain});
    strata_lint_report_free(lint_ref);
}
END_TEST

/* ---- strata-embed ---- */

static char embed_out[600], embed_ref[600];

static int step_embed(void *ctx, const char **msg)
{
    (void)ctx;
    embed_opts o = {.dir = oom_dir, .out_c = embed_out, .symbol = "m"};
    FILE *err = tmpfile();
    static char text[512];
    int rc = embed_run(&o, err);
    rewind(err);
    text[fread(text, 1, sizeof text - 1, err)] = '\0';
    fclose(err);
    *msg = text;
    return rc == 0 ? STRATA_OK : STRATA_ENOMEM; /* check_rc wants "memory" in the text */
}

static void after_embed(void *ctx, int rc, long n)
{
    (void)ctx;
    struct stat st;
    if (rc != STRATA_OK) {
        ck_assert_msg(stat(embed_out, &st) != 0, "embed@%ld: output left after failure", n);
        return;
    }
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", embed_out, embed_ref);
    ck_assert_msg(system(cmd) == 0, "embed@%ld: output differs from a run without failure", n);
    unlink(embed_out);
}

static void no_ctx(void **ctx)
{
    *ctx = NULL;
}

START_TEST(oom_embed)
{
    write_dir();
    char *out = test_tmpdir();
    embed_opts o = {.dir = oom_dir, .out_c = embed_ref, .symbol = "m"};
    snprintf(embed_out, sizeof embed_out, "%s/out.c", out);
    snprintf(embed_ref, sizeof embed_ref, "%s/ref.c", out);
    ck_assert_int_eq(embed_run(&o, stderr), 0);
    run_scenario(&(scenario){"embed", no_ctx, step_embed, after_embed});
    free(out);
    free(oom_dir);
}
END_TEST

Suite *test_suite(void)
{
    Suite *s = suite_create("oom");
    TCase *off = tcase_create("offline");
    TCase *db = tcase_create("database");
    tcase_add_test(off, oom_add_dir);
    tcase_add_test(off, oom_add_memory);
    tcase_add_test(off, oom_lint);
    tcase_add_test(off, oom_embed);
    tcase_add_test(db, oom_open);
    tcase_add_test(db, oom_apply);
    tcase_add_test(db, oom_apply_notx);
    tcase_add_test(db, oom_revert);
    tcase_add_test(db, oom_status);
    suite_add_tcase(s, off);
    suite_add_tcase(s, db);
    return s;
}
