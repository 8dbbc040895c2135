/* The strata binary end to end: every command and its exit code, against a
 * real PostgreSQL. The tool is run as a separate process, as people and CI
 * run it. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

const bool test_needs_pg = true;

static char out[65536], err[65536];
static char *mdir;

static void slurp(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "r");
    size_t k = f ? fread(buf, 1, n - 1, f) : 0;
    buf[k] = '\0';
    if (f)
        fclose(f);
}

/* Runs the CLI with DATABASE_URL set to @url (NULL: unset); NULL-terminated args. */
static int run_env(const char *url, ...)
{
    const char *cli = getenv("STRATA_CLI");
    char *argv[32];
    int argc = 0, st;
    va_list ap;
    char tmp_out[] = "/tmp/strata-cli-out-XXXXXX", tmp_err[] = "/tmp/strata-cli-err-XXXXXX";
    int fo = mkstemp(tmp_out), fe = mkstemp(tmp_err);
    ck_assert_msg(cli != NULL, "STRATA_CLI is not set");
    argv[argc++] = (char *)cli;
    va_start(ap, url);
    for (char *a; (a = va_arg(ap, char *)) != NULL && argc < 31;)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fo, 1);
        dup2(fe, 2);
        if (url)
            setenv("DATABASE_URL", url, 1);
        else
            unsetenv("DATABASE_URL");
        setenv("NO_COLOR", "1", 1);
        execv(cli, argv);
        _exit(127);
    }
    waitpid(pid, &st, 0);
    close(fo);
    close(fe);
    slurp(tmp_out, out, sizeof out);
    slurp(tmp_err, err, sizeof err);
    unlink(tmp_out);
    unlink(tmp_err);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

#define RUN(...) run_env(test_db_current(), "-m", mdir, __VA_ARGS__, (char *)NULL)

static void setup(void)
{
    test_db_new();
    mdir = test_tmpdir();
    test_write(mdir, "1_users.up.sql", "CREATE TABLE users (id int);\n");
    test_write(mdir, "1_users.down.sql", "DROP TABLE users;\n");
    test_write(mdir, "2_posts.up.sql", "CREATE TABLE posts (id int);\n");
    test_write(mdir, "2_posts.down.sql", "DROP TABLE posts;\n");
}

static void teardown(void)
{
    free(mdir);
}

static bool has_table(const char *t)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM pg_class WHERE relname = '%s' AND relkind = 'r'", t);
    return test_query_long(sql) == 1;
}

/* Checks @json with Python's json module; @expr is evaluated with d = the data. */
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

START_TEST(help_version_usage)
{
    ck_assert_int_eq(run_env(NULL, "--help", (char *)NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "usage: strata"));
    ck_assert_int_eq(run_env(NULL, "--version", (char *)NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, STRATA_VERSION_STRING));
    ck_assert_int_eq(run_env(NULL, "frobnicate", (char *)NULL), 2);
    ck_assert_ptr_nonnull(strstr(err, "unknown command 'frobnicate'"));
    ck_assert_ptr_nonnull(strstr(err, "try 'strata --help'"));
    ck_assert_int_eq(run_env(NULL, "--bogus", "status", (char *)NULL), 2);
    ck_assert_int_eq(run_env(NULL, "up", "--sideways", (char *)NULL), 2);
    ck_assert_int_eq(run_env(NULL, (char *)NULL), 2);
    ck_assert_int_eq(run_env(NULL, "up", "--help", (char *)NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "--dry-run"));
}
END_TEST

START_TEST(status_exit_code_and_json)
{
    ck_assert_int_eq(RUN("status", "--exit-code"), 3);
    ck_assert_int_eq(RUN("status"), 0);
    ck_assert_ptr_nonnull(strstr(out, "pending"));
    ck_assert_int_eq(RUN("up"), 0);
    ck_assert_ptr_nonnull(strstr(err, "applied  1 users"));
    ck_assert(has_table("users") && has_table("posts"));
    ck_assert_int_eq(RUN("status", "--exit-code"), 0);
    ck_assert_int_eq(RUN("--json", "status"), 0);
    json_check(out, "len(d) == 2 and d[0]['version'] == 1 and d[0]['name'] == 'users' and "
                    "d[0]['state'] == 'applied' and d[0]['phase'] == 'expand' and "
                    "isinstance(d[0]['duration_ms'], int) and d[1]['applied_at'].endswith('Z')");
}
END_TEST

START_TEST(dry_run_touches_nothing)
{
    ck_assert_int_eq(RUN("up", "--dry-run"), 0);
    ck_assert_ptr_nonnull(strstr(out, "CREATE TABLE users (id int);"));
    ck_assert_ptr_nonnull(strstr(out, "BEGIN;"));
    ck_assert(!has_table("users"));
    ck_assert(!has_table("strata_history"));
}
END_TEST

START_TEST(down_defaults_to_one_step_and_redo)
{
    ck_assert_int_eq(RUN("up"), 0);
    ck_assert_int_eq(RUN("down"), 0);
    ck_assert(has_table("users") && !has_table("posts"));
    ck_assert_int_eq(RUN("up"), 0);
    test_sql("INSERT INTO posts VALUES (1)");
    ck_assert_int_eq(RUN("redo"), 0);
    ck_assert(has_table("posts"));
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM posts"), 0); /* recreated */
    ck_assert_int_eq(RUN("down", "--to", "0"), 0);
    ck_assert(!has_table("users"));
    ck_assert_int_eq(RUN("down", "--to", "1", "--steps", "1"), 2);
}
END_TEST

START_TEST(verify_and_accept)
{
    ck_assert_int_eq(RUN("up"), 0);
    ck_assert_int_eq(RUN("verify"), 0);
    test_write(mdir, "2_posts.up.sql", "CREATE TABLE posts (id bigint);\n");
    ck_assert_int_eq(RUN("verify"), 1);
    ck_assert_ptr_nonnull(strstr(err, "2_posts.up.sql"));
    ck_assert_int_eq(RUN("up"), 1);
    ck_assert_ptr_nonnull(strstr(err, "strata accept 2"));
    ck_assert_int_eq(RUN("accept", "2"), 0);
    ck_assert_int_eq(RUN("verify"), 0);
}
END_TEST

START_TEST(baseline_and_force)
{
    ck_assert_int_eq(RUN("baseline", "1"), 0);
    ck_assert(!has_table("users")); /* marked, not run */
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history WHERE version = 1 AND duration_ms IS NULL"), 1);
    ck_assert_int_eq(RUN("up"), 0);
    ck_assert(has_table("posts") && !has_table("users"));
    ck_assert_int_eq(RUN("force", "1", "--pending"), 0);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history"), 1);
    ck_assert_int_eq(RUN("force", "1", "--applied"), 0);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history"), 2);
    ck_assert_int_eq(RUN("force", "1"), 2);
    ck_assert_int_eq(RUN("force", "9", "--applied"), 1);
    ck_assert_int_eq(RUN("baseline", "nope"), 2);
}
END_TEST

START_TEST(database_url_and_flag)
{
    /* -d wins over DATABASE_URL */
    ck_assert_int_eq(run_env("host=/nonexistent dbname=x", "-m", mdir, "-d", test_db_current(), "up", (char *)NULL), 0);
    ck_assert(has_table("users"));
    ck_assert_int_eq(run_env("host=/nonexistent dbname=x", "-m", mdir, "status", (char *)NULL), 1);
    ck_assert_ptr_nonnull(strstr(err, "could not connect"));
}
END_TEST

START_TEST(password_never_printed)
{
    const char *url = "postgresql://bob:Pa55w0rdXYZ@127.0.0.1:1/nodb?connect_timeout=2";
    ck_assert_int_eq(run_env(url, "-m", mdir, "up", (char *)NULL), 1);
    ck_assert_ptr_null(strstr(out, "Pa55w0rdXYZ"));
    ck_assert_ptr_null(strstr(err, "Pa55w0rdXYZ"));
    ck_assert_int_eq(run_env(NULL, "-m", mdir, "-d", url, "status", (char *)NULL), 1);
    ck_assert_ptr_null(strstr(err, "Pa55w0rdXYZ"));
    ck_assert_ptr_nonnull(strstr(err, "could not connect"));
    /* a malformed URI: libpq echoes parts of it */
    ck_assert_int_eq(run_env(NULL, "-m", mdir, "-d", "postgresql://bob:Pa55w0rdXYZ@host:notaport/db", "status", (char *)NULL), 1);
    ck_assert_ptr_null(strstr(err, "Pa55w0rdXYZ"));
}
END_TEST

START_TEST(missing_directory)
{
    ck_assert_int_eq(run_env(test_db_current(), "-m", "/nonexistent/strata-dir", "up", (char *)NULL), 1);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/strata-dir"));
}
END_TEST

START_TEST(new_creates_files)
{
    char *d = test_tmpdir(), sub[256];
    snprintf(sub, sizeof sub, "%s/m", d);
    ck_assert_int_eq(run_env(NULL, "-m", sub, "new", "add users", (char *)NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "_add_users.up.sql"));
    ck_assert_ptr_nonnull(strstr(out, "_add_users.down.sql"));
    ck_assert_int_eq(run_env(NULL, "-m", sub, "new", "solo", "--simple", (char *)NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "_solo.sql"));
    ck_assert_ptr_null(strstr(out, "down"));
    ck_assert_int_eq(run_env(NULL, "-m", sub, "new", (char *)NULL), 2);
    free(d);
}
END_TEST

START_TEST(lint_command)
{
    char *d = test_tmpdir();
    test_write(d, "1_t.sql", "CREATE TABLE t (id int);\n");
    test_write(d, "2_idx.sql", "-- strata:allow irreversible -- on purpose\nCREATE INDEX t_id ON t (id);\n");
    ck_assert_int_eq(run_env(NULL, "lint", d, (char *)NULL), 1);
    ck_assert_ptr_nonnull(strstr(out, "2_idx.sql:2:1: error:"));
    ck_assert_ptr_nonnull(strstr(out, "[index-not-concurrent]"));
    ck_assert_int_eq(run_env(NULL, "lint", "--json", d, (char *)NULL), 1);
    json_check(out, "any(f['rule'] == 'index-not-concurrent' and f['line'] == 2 and f['column'] == 1 "
                    "and f['severity'] == 'error' and 'CONCURRENTLY' in f['fix'] for f in d) and "
                    "all(set(f) == {'file','line','column','rule','severity','message','fix'} for f in d)");
    ck_assert_int_eq(run_env(NULL, "lint", "--format", "github", d, (char *)NULL), 1);
    ck_assert_ptr_nonnull(strstr(out, "::error file="));
    char old[300];
    snprintf(old, sizeof old, "%s/2_idx.sql", d);
    unlink(old);
    test_write(d, "2_idx.up.sql", "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY t_id ON t (id);\n");
    test_write(d, "2_idx.down.sql", "DROP INDEX t_id;\n");
    ck_assert_int_eq(run_env(NULL, "lint", d, (char *)NULL), 0); /* only infos/warnings remain */
    ck_assert_int_eq(run_env(NULL, "lint", "--strict", d, (char *)NULL), 0);
    /* up --lint=error refuses, listing the finding */
    test_write(d, "3_bad.sql", "ALTER TABLE t ADD COLUMN c int NOT NULL;\n");
    ck_assert_int_eq(run_env(test_db_current(), "-m", d, "up", "--lint=error", (char *)NULL), 1);
    ck_assert_ptr_nonnull(strstr(err, "add-column-required"));
    ck_assert(!has_table("t"));
    free(d);
}
END_TEST

START_TEST(up_options)
{
    test_write(mdir, "5_contract.sql", "-- strata:phase contract\nALTER TABLE users ADD COLUMN gone int;\n");
    ck_assert_int_eq(RUN("up", "--to", "1"), 0);
    ck_assert(has_table("users") && !has_table("posts"));
    ck_assert_int_eq(RUN("up", "--phase", "expand"), 0);
    ck_assert(has_table("posts"));
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history"), 2);
    ck_assert_int_eq(RUN("up", "--phase", "contract"), 0);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history"), 3);
    ck_assert_int_eq(RUN("up", "--phase", "sideways"), 2);
    /* a late arrival: refused, then allowed */
    test_write(mdir, "4_late.sql", "CREATE TABLE late (id int);\n");
    ck_assert_int_eq(RUN("up"), 1);
    ck_assert_ptr_nonnull(strstr(err, "--allow-out-of-order"));
    ck_assert_int_eq(RUN("up", "--allow-out-of-order"), 0);
    ck_assert(has_table("late"));
}
END_TEST

START_TEST(dirty_then_resume)
{
    test_write(mdir, "3_notx.sql", "-- strata:no-transaction\nCREATE TABLE n1 (id int);\nINSERT INTO missing VALUES (1);\n");
    ck_assert_int_eq(RUN("up"), 1);
    ck_assert_ptr_nonnull(strstr(err, "3_notx.sql:3:13"));
    ck_assert_int_eq(RUN("status"), 0);
    ck_assert_ptr_nonnull(strstr(out, "dirty"));
    ck_assert_ptr_nonnull(strstr(out, "failed at statement 2"));
    ck_assert_int_eq(RUN("--json", "status"), 0);
    json_check(out, "d[2]['state'] == 'dirty' and d[2]['failed_statement'] == 2 and 'missing' in d[2]['error']");
    ck_assert_int_eq(RUN("up"), 1);
    ck_assert_ptr_nonnull(strstr(err, "--resume"));
    test_sql("CREATE TABLE missing (id int)");
    ck_assert_int_eq(RUN("up", "--resume"), 0);
    ck_assert_int_eq(RUN("status", "--exit-code"), 0);
}
END_TEST

START_TEST(embed_command)
{
    char *d = test_tmpdir(), outc[300];
    snprintf(outc, sizeof outc, "%s/gen.c", d);
    ck_assert_int_eq(run_env(NULL, "embed", "-o", outc, mdir, (char *)NULL), 0);
    FILE *f = fopen(outc, "r");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    ck_assert_int_eq(run_env(NULL, "embed", mdir, (char *)NULL), 2);
    free(d);
}
END_TEST

Suite *test_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("commands");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, help_version_usage);
    tcase_add_test(tc, status_exit_code_and_json);
    tcase_add_test(tc, dry_run_touches_nothing);
    tcase_add_test(tc, down_defaults_to_one_step_and_redo);
    tcase_add_test(tc, verify_and_accept);
    tcase_add_test(tc, baseline_and_force);
    tcase_add_test(tc, database_url_and_flag);
    tcase_add_test(tc, password_never_printed);
    tcase_add_test(tc, missing_directory);
    tcase_add_test(tc, new_creates_files);
    tcase_add_test(tc, lint_command);
    tcase_add_test(tc, embed_command);
    tcase_add_test(tc, up_options);
    tcase_add_test(tc, dirty_then_resume);
    suite_add_tcase(s, tc);
    return s;
}
