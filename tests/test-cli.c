/* The strata binary end to end: every command and its exit code, against a
 * real PostgreSQL. The tool is run as a separate process, as people and CI
 * run it. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
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
    ck_assert_ptr_nonnull(strstr(out, "-- ==== 1 users ("));
    ck_assert_ptr_nonnull(strstr(out, "1_users.up.sql): transaction\n"));
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
    /* usage errors: one line and where the help is, as every command says it */
    ck_assert_str_eq(err, "strata: embed: -o OUT.c is required (the C file to write)\n"
                          "try 'strata embed --help'\n");
    ck_assert_int_eq(run_env(NULL, "embed", "--bogus", (char *)NULL), 2);
    ck_assert_str_eq(err, "strata: embed: unknown or incomplete option '--bogus'\n"
                          "try 'strata embed --help'\n");
    ck_assert_int_eq(run_env(NULL, "embed", "-o", outc, mdir, "two", (char *)NULL), 2);
    ck_assert_ptr_nonnull(strstr(err, "unexpected argument 'two'"));
    ck_assert_int_eq(run_env(NULL, "--json", "embed", "-o", outc, (char *)NULL), 2);
    json_check(out, "d['error']['code'] == 'usage' and 'DIR is required' in d['error']['message']");
    ck_assert_int_eq(run_env(NULL, "embed", "--help", (char *)NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "usage: strata embed -o"));
    /* strata-embed shares the parser: the same one line, its own name */
    const char *embed = getenv("STRATA_EMBED");
    char cmd[1024], path[] = "/tmp/strata-embed-err-XXXXXX", got[1024];
    int fd = mkstemp(path);
    ck_assert_ptr_nonnull(embed);
    close(fd);
    snprintf(cmd, sizeof cmd, "'%s' --symbol 'a b' -o x.c %s 2>'%s'", embed, mdir, path);
    ck_assert_int_eq(WEXITSTATUS(system(cmd)), 2);
    slurp(path, got, sizeof got);
    ck_assert_str_eq(got, "strata-embed: --symbol 'a b' is not a C identifier\n"
                          "try 'strata-embed --help'\n");
    snprintf(cmd, sizeof cmd, "'%s' %s 2>'%s'", embed, mdir, path);
    ck_assert_int_eq(WEXITSTATUS(system(cmd)), 2);
    slurp(path, got, sizeof got);
    ck_assert_str_eq(got, "strata-embed: -o OUT.c is required (the C file to write)\n"
                          "try 'strata-embed --help'\n");
    unlink(path);
    free(d);
}
END_TEST


/* ---- issue 10 ---- */

static int count_lines(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static void forget(const char *dir, const char *name)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    ck_assert_int_eq(unlink(p), 0);
}

/* 10.1: an empty or wrong -m is not "up to date". */
START_TEST(wrong_dir_is_an_error)
{
    char *wrong = test_tmpdir();
    test_write(wrong, "50_other.sql", "CREATE TABLE other (id int);\n");
    ck_assert_int_eq(RUN("up"), 0);
    const char *cmds[] = {"status", "up", "verify", "down", "redo"};
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(run_env(test_db_current(), "-m", wrong, cmds[i], (char *)NULL), 1);
        ck_assert_msg(strstr(err, wrong) && strstr(err, "none of the 2 versions applied"), "%s: %s", cmds[i], err);
    }
    ck_assert(has_table("posts") && !has_table("other")); /* nothing run */
    /* one file gone: named the way a CLI user reads it */
    char p[300];
    snprintf(p, sizeof p, "%s/2_posts.up.sql", mdir);
    unlink(p);
    snprintf(p, sizeof p, "%s/2_posts.down.sql", mdir);
    unlink(p);
    ck_assert_int_eq(RUN("up"), 0);
    ck_assert_msg(strstr(err, "applied in the database but not in"), "%s", err);
    free(wrong);
}
END_TEST

/* 10.2: --exit-code: 0 clean, 3 pending only, 1 dirty/modified/unknown. */
START_TEST(status_exit_code_states)
{
    ck_assert_int_eq(RUN("status", "--exit-code"), 3);
    ck_assert_int_eq(RUN("up"), 0);
    ck_assert_int_eq(RUN("status", "--exit-code"), 0);
    test_write(mdir, "2_posts.up.sql", "CREATE TABLE posts (id bigint);\n");
    ck_assert_int_eq(RUN("status", "--exit-code"), 1);
    ck_assert_ptr_nonnull(strstr(err, "2 posts is modified"));
    ck_assert_int_eq(RUN("accept", "2"), 0);
    test_write(mdir, "3_notx.sql", "-- strata:no-transaction\nCREATE TABLE n1 (id int);\nINSERT INTO missing VALUES (1);\n");
    test_write(mdir, "4_later.sql", "CREATE TABLE later (id int);\n");
    ck_assert_int_eq(RUN("up"), 1);
    ck_assert_int_eq(RUN("status", "--exit-code"), 1); /* dirty and pending: dirty wins */
    ck_assert_ptr_nonnull(strstr(err, "3 notx is dirty"));
    test_sql("DELETE FROM strata_history WHERE version = 3");
    forget(mdir, "3_notx.sql");
    test_write(mdir, "99_gone.sql", "SELECT 1;\n");
    ck_assert_int_eq(RUN("up"), 0);
    forget(mdir, "99_gone.sql");
    ck_assert_int_eq(RUN("status", "--exit-code"), 1);
    ck_assert_ptr_nonnull(strstr(err, "99 gone is unknown"));
}
END_TEST

/* 10.3: --to a version that is not there; what is still pending. */
START_TEST(up_to_and_phase_say_what_is_pending)
{
    ck_assert_int_eq(RUN("up", "--to", "7"), 1);
    ck_assert_ptr_nonnull(strstr(err, "no migration with that version"));
    ck_assert(!has_table("users"));
    ck_assert_int_eq(RUN("up", "--to", "1"), 0);
    ck_assert_ptr_null(strstr(err, "up to date"));
    ck_assert_ptr_nonnull(strstr(err, "still pending"));
    ck_assert_ptr_nonnull(strstr(err, "2 posts"));
    test_write(mdir, "5_drop.sql", "-- strata:phase contract\nALTER TABLE users ADD COLUMN gone int;\n");
    ck_assert_int_eq(RUN("up", "--phase", "expand"), 0);
    ck_assert_ptr_null(strstr(err, "up to date"));
    ck_assert_ptr_nonnull(strstr(err, "5 drop (contract)"));
    ck_assert_int_eq(RUN("up"), 0);
    ck_assert_ptr_nonnull(strstr(err, "up to date"));
}
END_TEST

/* 10.4 (CLI part): off a terminal, batch progress at most once a second. */
START_TEST(batch_progress_throttled_off_terminal)
{
    test_write(mdir, "3_t.sql", "CREATE TABLE big AS SELECT g AS id, false AS done FROM generate_series(1, 3000) g;\n");
    test_write(mdir, "4_fill.sql", "-- strata:batch\nUPDATE big SET done = true WHERE id IN (SELECT id FROM big WHERE NOT done LIMIT 10);\n");
    ck_assert_int_eq(RUN("up"), 0);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM big WHERE NOT done"), 0);
    ck_assert_msg(count_lines(err, "batch ") <= 5, "%d progress lines for 300 batches:\n%s", count_lines(err, "batch "), err);
}
END_TEST

/* 10.15: on a narrow terminal the progress line is cut to its width. */
START_TEST(progress_fits_narrow_terminal)
{
    char cmd[2048], path[300];
    test_write(mdir, "3_t.sql", "CREATE TABLE big AS SELECT g AS id, false AS done FROM generate_series(1, 50) g;\n");
    test_write(mdir, "4_fill.sql", "-- strata:batch\nUPDATE big SET done = true WHERE id IN (SELECT id FROM big WHERE NOT done LIMIT 10);\n");
    snprintf(path, sizeof path, "%s/../pty.log", mdir);
    snprintf(cmd, sizeof cmd, "NO_COLOR=1 script -qec \"stty cols 30; '%s' -d '%s' -m '%s' up\" /dev/null >'%s' 2>&1",
             getenv("STRATA_CLI"), test_db_current(), mdir, path);
    ck_assert_int_eq(system(cmd), 0);
    slurp(path, out, sizeof out);
    ck_assert_ptr_nonnull(strstr(out, "batch 1"));
    /* every piece written after "\r\033[K" fits in 29 columns */
    for (const char *p = out; (p = strstr(p, "\r\033[K")) != NULL;) {
        p += 4;
        int cols = 0;
        for (const char *q = p; *q && *q != '\r' && *q != '\n'; q++)
            cols += ((unsigned char)*q & 0xc0) != 0x80;
        ck_assert_msg(cols <= 29, "%d columns on a 30-column terminal: %.60s", cols, p);
    }
}
END_TEST

/* 10.5: Ctrl-C says where the run stopped. */
START_TEST(interrupt_says_where)
{
    test_write(mdir, "3_slow.sql", "-- strata:no-transaction\nCREATE TABLE s1 (id int);\nSELECT pg_sleep(20);\n");
    char path[] = "/tmp/strata-cli-int-XXXXXX";
    int fe = mkstemp(path);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fe, 2);
        setenv("NO_COLOR", "1", 1);
        execl(getenv("STRATA_CLI"), "strata", "-d", test_db_current(), "-m", mdir, "up", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 100 && test_query_long("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(20)%'") == 0; i++)
        usleep(100000);
    kill(pid, SIGINT);
    int st;
    waitpid(pid, &st, 0);
    close(fe);
    slurp(path, err, sizeof err);
    unlink(path);
    ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGINT);
    ck_assert_msg(strstr(err, "interrupted while applying 3 slow at statement 2"), "%s", err);
    ck_assert_ptr_nonnull(strstr(err, "--resume"));
}
END_TEST

/* Defect 5: Ctrl-C during the first statement of a no-transaction migration
 * (a CREATE INDEX CONCURRENTLY waiting on a snapshot held elsewhere) says it
 * is left dirty, not rolled back, and cancels the statement on the server. */
START_TEST(interrupt_first_notx_statement_cancels)
{
    test_write(mdir, "3_idx.sql", "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY users_id_idx ON users (id);\n");
    PGconn *hold = test_connect();
    PQclear(PQexec(hold, "BEGIN ISOLATION LEVEL REPEATABLE READ"));
    PGresult *r = PQexec(hold, "SELECT count(*) FROM pg_class");
    ck_assert_int_eq(PQresultStatus(r), PGRES_TUPLES_OK);
    PQclear(r);
    char path[] = "/tmp/strata-cli-int-XXXXXX";
    int fe = mkstemp(path);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fe, 2);
        setenv("NO_COLOR", "1", 1);
        /* a long lock timeout: the build waits for the snapshot, not retried */
        execl(getenv("STRATA_CLI"), "strata", "-d", test_db_current(), "-m", mdir, "--lock-timeout", "60s",
              "up", (char *)NULL);
        _exit(127);
    }
    static const char running[] = "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                                  "AND query LIKE 'CREATE INDEX CONCURRENTLY users_id_idx%'";
    for (int i = 0; i < 100 && test_query_long(running) == 0; i++)
        usleep(100000);
    long seen = test_query_long(running);
    sleep(1);
    kill(pid, SIGINT);
    int st;
    waitpid(pid, &st, 0);
    close(fe);
    slurp(path, err, sizeof err);
    unlink(path);
    long still = 1;
    for (int i = 0; i < 50 && (still = test_query_long(running)) > 0; i++)
        usleep(100000);
    PQfinish(hold); /* only now: with the snapshot held, an uncancelled build keeps waiting */
    ck_assert_int_eq(seen, 1);
    ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGINT, "status %d: %s", st, err);
    ck_assert_msg(strstr(err, "interrupted while applying 3 idx at statement 1"), "%s", err);
    ck_assert_msg(strstr(err, "without a transaction") && strstr(err, "dirty"), "%s", err);
    ck_assert_msg(!strstr(err, "rolled back"), "%s", err);
    ck_assert_msg(still == 0, "the CREATE INDEX CONCURRENTLY still runs after strata exited");
}
END_TEST

/* 10.6: up shows the lint errors of what it applies; lint says what it checked. */
START_TEST(up_shows_lint_errors_lint_says_what)
{
    test_write(mdir, "3_idx.sql", "ALTER TABLE users ADD COLUMN c int NOT NULL;\n");
    ck_assert_int_eq(RUN("up", "--to", "1"), 0);
    ck_assert_int_eq(RUN("up"), 0); /* not blocking */
    ck_assert_ptr_nonnull(strstr(err, "add-column-required"));
    ck_assert_ptr_nonnull(strstr(err, "not blocking"));
    ck_assert_int_eq(RUN("up", "--lint=off"), 0);
    test_write(mdir, "4_more.sql", "CREATE TABLE more (id int);\n");
    ck_assert_int_eq(RUN("lint"), 0);
    ck_assert_msg(strstr(err, "in 1 pending migration(s) of 4"), "%s", err);
    /* unreachable database: offline, with a warning */
    ck_assert_int_eq(run_env("host=/nonexistent dbname=x", "-m", mdir, "lint", (char *)NULL), 1);
    ck_assert_ptr_nonnull(strstr(err, "offline"));
    ck_assert_ptr_nonnull(strstr(out, "3_idx.sql:1:30: error"));
}
END_TEST

/* 10.8, 10.10: two `new` in one second; a nested directory that does not exist. */
START_TEST(new_twice_and_nested_dir)
{
    char *d = test_tmpdir(), sub[300], a[64], b[64];
    snprintf(sub, sizeof sub, "%s/db/migrations", d);
    ck_assert_int_eq(run_env(NULL, "-m", sub, "new", "one", (char *)NULL), 0);
    snprintf(a, sizeof a, "%.14s", strrchr(out, '/') + 1);
    ck_assert_int_eq(run_env(NULL, "-m", sub, "new", "two", (char *)NULL), 0);
    snprintf(b, sizeof b, "%.14s", strrchr(out, '/') + 1);
    ck_assert_msg(strcmp(a, b) < 0, "%s then %s", a, b);
    ck_assert_int_eq(run_env(NULL, "-m", sub, "status", (char *)NULL) == 2, 0);
    char *s2 = test_tmpdir();
    ck_assert_int_eq(run_env(NULL, "-m", s2, "new", "first", "--seq", (char *)NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "/000001_first.up.sql"));
    ck_assert_int_eq(run_env(NULL, "-m", s2, "new", "second", "--seq", (char *)NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "/000002_second.up.sql"));
    free(d);
    free(s2);
}
END_TEST

/* 10.11: global options after the command; force --pending V. */
START_TEST(global_options_anywhere)
{
    ck_assert_int_eq(run_env(NULL, "up", "-m", mdir, "-d", test_db_current(), (char *)NULL), 0);
    ck_assert(has_table("posts"));
    ck_assert_int_eq(run_env(NULL, "status", "--database", test_db_current(), "--migrations=x", "-m", mdir,
                             "--json", (char *)NULL), 0);
    json_check(out, "len(d) == 2");
    ck_assert_int_eq(run_env(NULL, "force", "--pending", "2", "-d", test_db_current(), "-m", mdir, (char *)NULL), 0);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history"), 1);
    ck_assert_int_eq(RUN("force", "--applied", "2"), 0);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history"), 2);
}
END_TEST

/* 10.12: help, versions, one-line usage errors, deployer flags. */
START_TEST(help_and_usage_errors)
{
    ck_assert_int_eq(run_env(NULL, "help", "up", (char *)NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "--dry-run"));
    ck_assert_ptr_nonnull(strstr(out, "example: strata up"));
    const char *cmds[] = {"force", "accept", "baseline", "new", "down", "redo", "status", "verify", "lint"};
    for (int i = 0; i < 9; i++) {
        ck_assert_int_eq(run_env(NULL, cmds[i], "--help", (char *)NULL), 0);
        ck_assert_msg(strstr(out, "example: strata") != NULL, "%s --help: %s", cmds[i], out);
    }
    ck_assert_int_eq(run_env(NULL, "help", "nope", (char *)NULL), 2);
    ck_assert_int_eq(run_env(NULL, "up", "--sideways", (char *)NULL), 2);
    ck_assert_int_eq(count_lines(err, "\n"), 2);
    ck_assert_ptr_nonnull(strstr(err, "try 'strata up --help'"));
    const char *embed = getenv("STRATA_EMBED");
    if (embed) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "%s --version | grep -q '^strata-embed %s$'", embed, STRATA_VERSION_STRING);
        ck_assert_int_eq(system(cmd), 0);
    }
    ck_assert_int_eq(RUN("--lock-wait", "2s", "--lock-timeout=1s", "--statement-timeout", "10min",
                         "--retries", "0", "up"), 0);
    ck_assert_int_eq(RUN("up", "--lock-timeout", "soon"), 2);
    ck_assert_ptr_nonnull(strstr(err, "--lock-timeout needs a duration"));
    /* a statement over the statement timeout fails */
    test_write(mdir, "3_slow.sql", "SELECT pg_sleep(5);\n");
    ck_assert_int_eq(RUN("--statement-timeout", "200ms", "up"), 1);
    ck_assert_ptr_nonnull(strstr(err, "statement timeout"));
}
END_TEST

/* 10.13: --json for every command, errors included. */
START_TEST(json_everywhere)
{
    ck_assert_int_eq(RUN("--json", "up", "--to", "1"), 0);
    json_check(out, "[a['version'] for a in d['applied']] == [1] and [p['version'] for p in d['pending']] == [2]");
    ck_assert_int_eq(RUN("--json", "up"), 0);
    json_check(out, "d['applied'][0]['name'] == 'posts' and d['pending'] == []");
    ck_assert_int_eq(RUN("--json", "redo"), 0);
    json_check(out, "d['reverted'][0]['version'] == 2 and d['applied'][0]['version'] == 2");
    ck_assert_int_eq(RUN("--json", "down"), 0);
    json_check(out, "[r['version'] for r in d['reverted']] == [2]");
    ck_assert_int_eq(RUN("--json", "up", "--dry-run"), 0);
    json_check(out, "d['dry_run'] and any('CREATE TABLE posts' in x for x in d['statements'])");
    ck_assert_int_eq(RUN("--json", "verify"), 0);
    json_check(out, "d == {'problems': [], 'ok': True}");
    test_write(mdir, "1_users.up.sql", "CREATE TABLE users (id bigint);\n");
    ck_assert_int_eq(RUN("--json", "verify"), 1);
    json_check(out, "not d['ok'] and d['problems'][0]['version'] == 1 and d['problems'][0]['state'] == 'modified'");
    ck_assert_int_eq(RUN("--json", "up"), 1);
    json_check(out, "d['error']['code'] == 'checksum' and 'strata accept 1' in d['error']['message']");
    ck_assert_int_eq(RUN("--json", "accept", "1"), 0);
    json_check(out, "d == {'command': 'accept', 'version': 1, 'ok': True}");
    ck_assert_int_eq(RUN("--json", "up", "--bogus"), 2);
    json_check(out, "d['error']['code'] == 'usage'");
    char *d = test_tmpdir();
    ck_assert_int_eq(run_env(NULL, "--json", "-m", d, "new", "x", (char *)NULL), 0);
    json_check(out, "len(d['files']) == 2 and d['files'][0].endswith('_x.up.sql') and d['version'] > 0");
    ck_assert_int_eq(run_env(NULL, "--json", "lint", "/nonexistent/1_x.sql", (char *)NULL), 1);
    json_check(out, "d['error']['code'] == 'io' and '/nonexistent/1_x.sql' in d['error']['message']");
    free(d);
}
END_TEST

static bool has_trailing_space(const char *s)
{
    for (const char *p = s; *p; p++)
        if (*p == ' ' && (p[1] == '\n' || p[1] == '\0'))
            return true;
    return false;
}

/* 10.14: the status table by display width, ellipsis, durations, no trailing spaces. */
START_TEST(status_table_layout)
{
    test_write(mdir, "3_caf\xc3\xa9s_\xe6\x97\xa5\xe6\x9c\xac.sql", "CREATE TABLE cafes (id int);\n");
    test_write(mdir, "4_a_name_that_is_far_longer_than_forty_columns_of_text.sql", "SELECT 1;\n");
    ck_assert_int_eq(RUN("up", "--to", "3"), 0);
    test_sql("UPDATE strata_history SET duration_ms = 30500 WHERE version = 1");
    setenv("LC_ALL", "C.UTF-8", 1);
    ck_assert_int_eq(RUN("status"), 0);
    unsetenv("LC_ALL");
    ck_assert_msg(!has_trailing_space(out), "trailing spaces:\n%s", out);
    ck_assert_ptr_nonnull(strstr(out, "30.5 s"));
    ck_assert_ptr_nonnull(strstr(out, "\xe2\x80\xa6")); /* the long name cut with an ellipsis */
    /* the PHASE column starts at the same display column on every row */
    const char *line = out;
    int col = -1;
    while (line && *line) {
        const char *ph = strstr(line, "expand");
        const char *nl = strchr(line, '\n');
        if (ph && (!nl || ph < nl)) {
            int w = 0;
            for (const char *p = line; p < ph; p++)
                w += ((unsigned char)*p & 0xc0) != 0x80; /* code points */
            if (strstr(line, "caf") && strstr(line, "caf") < ph)
                w += 2; /* 日本: two wide characters, one column more each */
            ck_assert_msg(col < 0 || w == col, "misaligned:\n%s", out);
            col = w;
        }
        line = nl ? nl + 1 : NULL;
    }
    ck_assert_int_ge(col, 0);
}
END_TEST

/* 10.16: hints that work as written; nothing applied is said plainly. */
START_TEST(hints_work_as_written)
{
    ck_assert_int_eq(RUN("down"), 0);
    ck_assert_ptr_nonnull(strstr(err, "nothing to revert"));
    ck_assert_int_eq(RUN("redo"), 0);
    ck_assert_ptr_nonnull(strstr(err, "nothing to redo"));
    ck_assert_ptr_null(strstr(err, "strata:"));
    test_write(mdir, "3_simple.sql", "CREATE TABLE simple (id int);\n");
    ck_assert_int_eq(RUN("up"), 0);
    ck_assert_int_eq(RUN("down"), 1);
    ck_assert_msg(strstr(err, "3_simple.up.sql") && strstr(err, "rename"), "%s", err);
    test_write(mdir, "4_notx.sql", "-- strata:no-transaction\nCREATE TABLE n1 (id int);\nINSERT INTO missing VALUES (1);\n");
    ck_assert_int_eq(RUN("up"), 1);
    ck_assert_int_eq(RUN("verify"), 1);
    ck_assert_ptr_nonnull(strstr(err, "strata force 4 --applied"));
    ck_assert_ptr_nonnull(strstr(err, "strata force 4 --pending"));
    ck_assert_int_eq(RUN("force", "4", "--pending"), 0);
    forget(mdir, "4_notx.sql");
    test_write(mdir, "99_gone.sql", "SELECT 1;\n");
    ck_assert_int_eq(RUN("up"), 0);
    forget(mdir, "99_gone.sql");
    ck_assert_int_eq(RUN("down"), 1);
    ck_assert_msg(strstr(err, "strata force 99 --pending"), "%s", err);
}
END_TEST

/* 9.12: -q redo re-applies. */
START_TEST(quiet_redo_reapplies)
{
    ck_assert_int_eq(RUN("up"), 0);
    test_sql("INSERT INTO posts VALUES (1)");
    ck_assert_int_eq(RUN("-q", "redo"), 0);
    ck_assert(has_table("posts"));
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM posts"), 0);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history"), 2);
}
END_TEST

/* 9.16: lint PATH --strict; strata-embed and hostile directory names. */
START_TEST(lint_strict_after_path_and_embed_names)
{
    char *d = test_tmpdir();
    test_write(d, "1_t.sql", "CREATE TABLE t (id int);\n");
    test_write(d, "2_nn.sql", "ALTER TABLE t ALTER COLUMN id SET NOT NULL;\n");
    ck_assert_int_eq(run_env(NULL, "lint", d, (char *)NULL), 0);
    ck_assert_int_eq(run_env(NULL, "lint", d, "--strict", (char *)NULL), 1);
    ck_assert_ptr_null(strstr(err, "--strict"));
    char *e = test_tmpdir(), sub[300], outc[300], cmd[1024];
    snprintf(sub, sizeof sub, "%s/00000000000001_a*\\\nb", e);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", sub);
    ck_assert_int_eq(system(cmd), 0);
    test_write(sub, "up.sql", "CREATE TABLE emb (id int);\n");
    test_write(sub, "down.sql", "DROP TABLE emb;\n");
    snprintf(outc, sizeof outc, "%s/gen.c", e);
    ck_assert_int_eq(run_env(NULL, "embed", "-o", outc, e, (char *)NULL), 0);
    snprintf(cmd, sizeof cmd, "cc -std=c11 -Wall -Werror -fsyntax-only -I%s/include '%s'", getenv("STRATA_SOURCE_ROOT"), outc);
    ck_assert_msg(system(cmd) == 0, "generated C does not compile");
    ck_assert_int_eq(run_env(NULL, "embed", "--symbol", "", "-o", outc, mdir, (char *)NULL), 2);
    free(d);
    free(e);
}
END_TEST

/* 9.16: a file name that is not UTF-8 is an error naming it, in valid JSON. */
START_TEST(json_non_utf8_name)
{
    char *d = test_tmpdir();
    test_write(d, "1_caf\xe9.sql", "CREATE TABLE t (id int);\n");
    ck_assert_int_eq(run_env(NULL, "--json", "lint", d, (char *)NULL), 1);
    json_check(out, "'1_caf\\\\xe9.sql' in d['error']['message'] and 'UTF-8' in d['error']['message']");
    free(d);
}
END_TEST

/* The docs cannot drift: every "$ " line of README's CLI section and of the
 * man page's EXAMPLES runs, in order, in a fresh directory and database;
 * each must exit 0, or N when the line says "# exit N". */
static int docs_script(const char *doc, const char *start, const char *stop, const char *script)
{
    char path[1024], line[2048];
    snprintf(path, sizeof path, "%s/%s", getenv("STRATA_SOURCE_ROOT"), doc);
    FILE *in = fopen(path, "r"), *sh = fopen(script, "w");
    int n = 0, lineno = 0;
    bool inside = false;
    ck_assert(in && sh);
    fputs("export NO_COLOR=1\n", sh);
    while (fgets(line, sizeof line, in)) {
        lineno++;
        if (!inside) {
            inside = strncmp(line, start, strlen(start)) == 0;
            continue;
        }
        if (strncmp(line, stop, strlen(stop)) == 0)
            break;
        if (strncmp(line, "$ ", 2) != 0)
            continue;
        char cmd[2048], *w = cmd;
        for (const char *p = line + 2; *p && *p != '\n'; p++) /* man: "\-" is "-" */
            if (!(p[0] == '\\' && p[1] == '-'))
                *w++ = *p;
        *w = '\0';
        const char *ex = strstr(cmd, "# exit ");
        int want = ex ? atoi(ex + 7) : 0;
        fprintf(sh, "%s\nrc=$?; [ $rc = %d ] || { echo \"%s:%d: exit $rc, want %d\" >&2; exit 1; }\n", cmd, want,
                doc, lineno, want);
        n++;
    }
    fclose(in);
    fclose(sh);
    return n;
}

static void run_docs(const char *doc, const char *start, const char *stop)
{
    char *d = test_tmpdir(), script[512], cmd[2048], clidir[1024];
    snprintf(script, sizeof script, "%s/examples.sh", d);
    ck_assert_int_ge(docs_script(doc, start, stop, script), 5);
    snprintf(clidir, sizeof clidir, "%s", getenv("STRATA_CLI"));
    *strrchr(clidir, '/') = '\0';
    setenv("DATABASE_URL", test_db_new(), 1);
    snprintf(cmd, sizeof cmd, "cd '%s' && PATH='%s':\"$PATH\" bash '%s' >'%s/log' 2>&1", d, clidir, script, d);
    int rc = system(cmd);
    unsetenv("DATABASE_URL");
    if (rc != 0) {
        char log[512];
        snprintf(log, sizeof log, "%s/log", d);
        slurp(log, err, sizeof err);
    }
    ck_assert_msg(rc == 0, "%s examples failed:\n%s", doc, err);
    free(d);
}

START_TEST(docs_examples_run)
{
    run_docs("README.md", "## The CLI", "## ");
    run_docs("doc/strata.1", ".SH EXAMPLES", ".SH");
}
END_TEST

/* README's quick start, as written. */
START_TEST(readme_quick_start_runs)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "STRATA_BUILDDIR='%s' bash '%s/examples/quickstart.sh' >/dev/null 2>&1",
             getenv("STRATA_BUILD_ROOT"), getenv("STRATA_SOURCE_ROOT"));
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* Tests that need the library side (run/src branches); registered after the merge. */
static void cli_tests_needing_library(TCase *tc);
/* Issue 10.15, 10.17 and follow-ups (end of the file). */
static void cli_tests_dry_run_and_wait(TCase *tc);

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
    tcase_add_test(tc, wrong_dir_is_an_error);
    tcase_add_test(tc, status_exit_code_states);
    tcase_add_test(tc, up_to_and_phase_say_what_is_pending);
    tcase_add_test(tc, batch_progress_throttled_off_terminal);
    tcase_add_test(tc, interrupt_says_where);
    tcase_add_test(tc, interrupt_first_notx_statement_cancels);
    tcase_add_test(tc, progress_fits_narrow_terminal);
    tcase_add_test(tc, up_shows_lint_errors_lint_says_what);
    tcase_add_test(tc, new_twice_and_nested_dir);
    tcase_add_test(tc, global_options_anywhere);
    tcase_add_test(tc, help_and_usage_errors);
    tcase_add_test(tc, json_everywhere);
    tcase_add_test(tc, status_table_layout);
    tcase_add_test(tc, hints_work_as_written);
    tcase_add_test(tc, quiet_redo_reapplies);
    tcase_add_test(tc, lint_strict_after_path_and_embed_names);
    tcase_add_test(tc, json_non_utf8_name);
    tcase_add_test(tc, docs_examples_run);
    tcase_add_test(tc, readme_quick_start_runs);
    cli_tests_needing_library(tc);
    cli_tests_dry_run_and_wait(tc);
    suite_add_tcase(s, tc);
    return s;
}

/* 9.1: down --all reverts version 0 too; down --to 0 keeps it. */
START_TEST(down_all_and_version_zero)
{
    test_write(mdir, "0_init.up.sql", "CREATE TABLE zero (id int);\n");
    test_write(mdir, "0_init.down.sql", "DROP TABLE zero;\n");
    ck_assert_int_eq(RUN("up"), 0);
    ck_assert_int_eq(RUN("down", "--to", "0"), 0);
    ck_assert(has_table("zero") && !has_table("users"));
    ck_assert_int_eq(RUN("down", "--all"), 0);
    ck_assert(!has_table("zero"));
}
END_TEST

/* 9.2: a README beside the migrations: one warning, nothing with -q. */
START_TEST(skipped_files_warned_once)
{
    test_write(mdir, "README.md", "notes\n");
    test_write(mdir, "data_seed.sql", "INSERT INTO x VALUES (1);\n");
    ck_assert_int_eq(RUN("status"), 0);
    ck_assert_int_eq(count_lines(err, "skipped"), 2);
    ck_assert_ptr_nonnull(strstr(err, "README.md: not a migration"));
    ck_assert_int_eq(RUN("-q", "status"), 0);
    ck_assert_ptr_null(strstr(err, "skipped"));
}
END_TEST

/* 9.3 and 10.7: empty downs and fresh templates. */
START_TEST(empty_down_and_fresh_template)
{
    test_write(mdir, "3_data.up.sql", "CREATE TABLE d3 (id int);\n");
    test_write(mdir, "3_data.down.sql", "-- Not reversible\n");
    ck_assert_int_eq(RUN("up"), 0);
    ck_assert_int_eq(RUN("status"), 0);
    ck_assert_ptr_nonnull(strstr(out, "applied, down empty"));
    ck_assert_int_eq(RUN("down"), 1);
    ck_assert_ptr_nonnull(strstr(err, "Not reversible"));
    ck_assert_int_eq(RUN("down", "--allow-empty-down"), 0);
    ck_assert(has_table("d3"));
    ck_assert_int_eq(run_env(NULL, "-m", mdir, "new", "fresh", (char *)NULL), 0);
    ck_assert_int_eq(RUN("status"), 0);
    ck_assert_ptr_nonnull(strstr(out, "pending (empty)"));
}
END_TEST

/* 10.6: a syntax error is never a pass (the library reports it as "unparsed").
 * "CREATE TABLE (;" is not reported yet: lib/lint/lint.c's lint_piecewise
 * gets 0 statements from pg_query_split_with_scanner for it and adds no
 * finding (library fix pending); hence this typo instead. */
START_TEST(lint_syntax_error_fails)
{
    char *d = test_tmpdir();
    test_write(d, "1_bad.sql", "CREATE TABLE t (a int);\nCREATE TABLEX oops;\n");
    ck_assert_int_eq(run_env(NULL, "lint", d, (char *)NULL), 1);
    ck_assert_ptr_nonnull(strstr(out, "1_bad.sql:2:"));
    free(d);
}
END_TEST

/* 10.1: an empty -m (UBSan: lib/source_dir.c qsorts a NULL array for an
 * empty directory; passes in the normal build). */
START_TEST(empty_dir_is_an_error)
{
    char *empty = test_tmpdir();
    ck_assert_int_eq(RUN("up"), 0);
    const char *cmds[] = {"status", "up", "verify", "down"};
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(run_env(test_db_current(), "-m", empty, cmds[i], (char *)NULL), 1);
        ck_assert_msg(strstr(err, empty) && strstr(err, "holds no migrations"), "%s: %s", cmds[i], err);
    }
    ck_assert(has_table("posts")); /* down refused */
    free(empty);
}
END_TEST


/* ---- the library's newer features, as commands ---- */

/* The schema the other tool built: what 1_users and 2_posts create. */
static void built_by_tool(const char *ddl, const char *rows)
{
    test_sql("CREATE TABLE users (id int); CREATE TABLE posts (id int)");
    test_sql(ddl);
    test_sql(rows);
    test_write(mdir, "3_tags.up.sql", "CREATE TABLE tags (id int);\n");
    test_write(mdir, "3_tags.down.sql", "DROP TABLE tags;\n");
}

/* goose's published DDL; detected without --from. */
START_TEST(adopt_goose_then_up_applies_only_new)
{
    built_by_tool("CREATE TABLE goose_db_version (id serial NOT NULL, version_id bigint NOT NULL, "
                  "is_applied boolean NOT NULL, tstamp timestamp NULL default now(), PRIMARY KEY(id))",
                  "INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true), (1, true), (2, true)");
    /* without adopt: refused, naming the table and the tool, nothing applied */
    ck_assert_int_eq(RUN("up"), 1);
    ck_assert_msg(strstr(err, "goose (table \"public\".\"goose_db_version\")") &&
                  strstr(err, "run 'strata adopt' first (or --ignore-other-history to apply anyway)"),
                  "%s", err);
    ck_assert(!has_table("strata_history") && !has_table("tags"));
    ck_assert_int_eq(RUN("--json", "up"), 1);
    json_check(out, "d['error']['code'] == 'otherhistory' and 'goose_db_version' in d['error']['message']");
    ck_assert_int_eq(RUN("status", "--exit-code"), 3); /* the note does not change it */
    ck_assert_msg(strstr(err, "note: goose's history table \"public.goose_db_version\"") &&
                  strstr(err, "run 'strata adopt' first"), "%s", err);
    ck_assert_int_eq(RUN("-q", "status"), 0);
    ck_assert_ptr_null(strstr(err, "note:"));
    ck_assert_int_eq(RUN("adopt"), 0);
    ck_assert_msg(strstr(err, "adopted 2 version(s)"), "%s", err);
    ck_assert_int_eq(RUN("up"), 0);
    ck_assert_ptr_nonnull(strstr(err, "applied  3 tags"));
    ck_assert_ptr_null(strstr(err, "applied  1 users"));
    ck_assert(has_table("tags"));
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM goose_db_version"), 3); /* left alone */
    ck_assert_int_eq(RUN("--json", "adopt", "--from", "goose"), 0); /* again: nothing new */
    json_check(out, "d == {'adopted': 0}");
    ck_assert_int_eq(RUN("status"), 0);
    ck_assert_ptr_null(strstr(err, "note:")); /* strata's history has rows now */
}
END_TEST

/* A goose table over an empty schema (its migrations undone by hand):
 * --ignore-other-history applies everything. */
START_TEST(up_ignore_other_history)
{
    test_sql("CREATE TABLE goose_db_version (id serial NOT NULL, version_id bigint NOT NULL, "
             "is_applied boolean NOT NULL, tstamp timestamp NULL default now(), PRIMARY KEY(id))");
    test_sql("INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true), (1, true)");
    ck_assert_int_eq(RUN("up", "--dry-run"), 1);
    ck_assert_ptr_nonnull(strstr(err, "goose_db_version"));
    ck_assert_int_eq(RUN("up", "--ignore-other-history"), 0);
    ck_assert(has_table("users") && has_table("posts"));
    ck_assert_int_eq(RUN("up", "--help"), 0);
    ck_assert_ptr_nonnull(strstr(out, "--ignore-other-history"));
}
END_TEST

/* golang-migrate's published DDL, named with --from and --table; dirty is refused. */
START_TEST(adopt_golang_migrate_named_and_refusals)
{
    built_by_tool("CREATE TABLE IF NOT EXISTS \"Old Hist\" (version bigint not null primary key, "
                  "dirty boolean not null)",
                  "INSERT INTO \"Old Hist\" (version, dirty) VALUES (2, true)");
    ck_assert_int_eq(RUN("adopt", "--from", "golang-migrate", "--table", "Old Hist"), 1);
    ck_assert_msg(strstr(err, "dirty"), "%s", err);
    ck_assert_int_eq(RUN("--json", "status"), 0); /* nothing recorded */
    json_check(out, "len(d) == 3 and all(r['state'] == 'pending' for r in d)");
    test_sql("UPDATE \"Old Hist\" SET dirty = false");
    ck_assert_int_eq(RUN("--json", "adopt", "--from", "golang-migrate", "--table", "Old Hist"), 0);
    json_check(out, "d == {'adopted': 2}");
    ck_assert_int_eq(RUN("status", "--exit-code"), 3); /* 3 pending only */
    ck_assert_int_eq(RUN("adopt", "--from", "liquibase"), 2);
    ck_assert_ptr_nonnull(strstr(err, "liquibase"));
    ck_assert_int_eq(RUN("adopt", "--table", "no_such_table"), 1);
    ck_assert_int_eq(RUN("adopt", "--help"), 0);
    ck_assert_ptr_nonnull(strstr(out, "golang-migrate"));
}
END_TEST


static long count_in(const char *conninfo, const char *sql)
{
    PGconn *conn = PQconnectdb(conninfo);
    ck_assert_msg(PQstatus(conn) == CONNECTION_OK, "%s: %s", conninfo, PQerrorMessage(conn));
    PGresult *r = PQexec(conn, sql);
    ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s", PQerrorMessage(conn));
    long n = atol(PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(conn);
    return n;
}

#define RUN_ADMIN(...) run_env(test_admin_dsn(), "-m", mdir, __VA_ARGS__, (char *)NULL)

START_TEST(testdb_create_drop_prune)
{
    char uri[1024];
    ck_assert_int_eq(RUN_ADMIN("testdb", "create"), 0);
    ck_assert_int_eq(count_lines(out, "\n"), 1); /* exactly one line: the URI */
    ck_assert_msg(strncmp(out, "postgresql://", 13) == 0 && strstr(out, "/strata_test_"), "%s", out);
    snprintf(uri, sizeof uri, "%.*s", (int)strcspn(out, "\n"), out);
    ck_assert_int_eq(count_in(uri, "SELECT count(*) FROM pg_class WHERE relname IN ('users', 'posts')"), 2);
    ck_assert_int_eq(RUN_ADMIN("--json", "testdb", "create"), 0); /* the template is reused */
    json_check(out, "d['uri'].startswith('postgresql://') and '/strata_test_' in d['uri']");
    ck_assert_int_eq(RUN_ADMIN("testdb", "drop", uri), 0);
    ck_assert_int_eq(count_in(test_admin_dsn(), "SELECT count(*) FROM pg_database WHERE datname LIKE 'strata_tpl_%'"), 1);
    ck_assert_int_eq(RUN_ADMIN("testdb", "drop", "postgres"), 1); /* never another database */
    ck_assert_int_eq(RUN_ADMIN("testdb", "drop", uri), 1);        /* gone already */
    ck_assert_int_eq(RUN_ADMIN("testdb", "prune", "--keep", "x"), 2);
    ck_assert_int_eq(RUN_ADMIN("testdb", "frob"), 2);
    ck_assert_int_eq(RUN_ADMIN("--json", "testdb", "prune", "--keep", "0"), 0);
    json_check(out, "d['dropped'] >= 1");
    ck_assert_int_eq(count_in(test_admin_dsn(), "SELECT count(*) FROM pg_database WHERE datname LIKE 'strata_tpl_%'"), 0);
    ck_assert_int_eq(RUN_ADMIN("testdb", "--help"), 0);
    ck_assert_ptr_nonnull(strstr(out, "prune"));
}
END_TEST


START_TEST(schema_snapshot_and_check)
{
    char file[1024], bad[1024];
    ck_assert_int_eq(RUN("up"), 0);
    snprintf(file, sizeof file, "%s/schema.txt", mdir);
    ck_assert_int_eq(RUN("schema", "-o", file), 0);
    ck_assert_str_eq(out, "");
    ck_assert_int_eq(RUN("schema"), 0);
    ck_assert_ptr_nonnull(strstr(out, "public.users"));
    ck_assert_ptr_null(strstr(out, "strata_history"));
    ck_assert_int_eq(RUN("schema", "--check", file), 0);
    ck_assert_str_eq(out, "");
    test_sql("ALTER TABLE users ADD COLUMN \"Émail\" text; DROP TABLE posts");
    ck_assert_int_eq(RUN("schema", "--check", file), 1);
    ck_assert_msg(strstr(out, "+ column public.users.\"Émail\"") && strstr(out, "- table public.posts"), "%s", out);
    ck_assert_ptr_nonnull(strstr(err, file));
    ck_assert_int_eq(RUN("--json", "schema", "--check", file), 1);
    json_check(out, "d['ok'] == False and len(d['diff']) >= 2 and "
                    "any(x['change'] == 'added' and x['object'] == 'column' for x in d['diff'])");
    ck_assert_int_eq(RUN("--json", "schema", "-o", file), 0); /* JSON snapshot, read back by --check */
    ck_assert_int_eq(RUN("--json", "schema", "--check", file), 0);
    json_check(out, "d == {'ok': True, 'diff': []}");
    ck_assert_int_eq(RUN("--json", "schema"), 0);
    json_check(out, "isinstance(d, (list, dict))");
    snprintf(bad, sizeof bad, "%s/bad.txt", mdir);
    test_write(mdir, "bad.txt", "this is not a snapshot\n");
    ck_assert_int_eq(RUN("schema", "--check", bad), 1);
    ck_assert_msg(strstr(err, bad) && strstr(err, "line 1"), "%s", err);
    ck_assert_int_eq(RUN("schema", "--check", "/nonexistent/schema.txt"), 1);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/schema.txt"));
    ck_assert_int_eq(RUN("schema", "-o", file, "--check", file), 2);
    test_sql("CREATE ROLE \"cli Reader\"; GRANT SELECT ON users TO \"cli Reader\"");
    ck_assert_int_eq(RUN("schema", "--privileges"), 0);
    ck_assert_msg(strstr(out, "cli Reader"), "%s", out);
    ck_assert_int_eq(RUN("schema"), 0);
    ck_assert_ptr_null(strstr(out, "cli Reader"));
    test_sql("REVOKE ALL ON users FROM \"cli Reader\"; DROP ROLE \"cli Reader\"");
}
END_TEST


static long scratch_dbs(void)
{
    return count_in(test_admin_dsn(), "SELECT count(*) FROM pg_database WHERE datname LIKE 'strata\\_scratch\\_%'");
}

START_TEST(verify_roundtrip_results)
{
    ck_assert_int_eq(RUN("verify", "--roundtrip"), 0);
    ck_assert_msg(strstr(out, "ok") && strstr(err, "every down restores"), "%s\n%s", out, err);
    /* a down that leaves residue: exit 1, the object named */
    test_write(mdir, "3_resid.up.sql", "CREATE TABLE r3 (id int);\n");
    test_write(mdir, "3_resid.down.sql", "DROP TABLE r3;\nCREATE TABLE \"Résidu\" (id int);\n");
    test_write(mdir, "4_bad.up.sql", "CREATE TABLE bad (id int);\n");
    test_write(mdir, "4_bad.down.sql", "DROP TABLE nope;\n");
    ck_assert_int_eq(RUN("verify", "--roundtrip"), 1);
    ck_assert_msg(strstr(out, "residue") && strstr(out, "\"Résidu\""), "%s", out);
    ck_assert_msg(strstr(out, "down-failed") && strstr(out, "4_bad.down.sql:1:"), "%s", out);
    ck_assert_int_eq(RUN("--json", "verify", "--roundtrip", "--from", "3"), 1);
    json_check(out, "[x['version'] for x in d] == [3, 4] and d[0]['result'] == 'residue' and 'diff' in d[0] "
                    "and d[1]['result'] == 'down-failed' and 'nope' in d[1]['error']");
    ck_assert_int_eq(scratch_dbs(), 0); /* dropped after each run, failures included */
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_class WHERE relname = 'users'"), 0); /* target untouched */
    ck_assert_int_eq(RUN("verify", "--from", "3"), 2);
    ck_assert_int_eq(RUN("verify", "--roundtrip", "--drift"), 2);
}
END_TEST

START_TEST(verify_scratch_must_be_empty)
{
    char dsn[1024];
    test_sql("SELECT 1");
    PGconn *a = PQconnectdb(test_admin_dsn());
    PQclear(PQexec(a, "DROP DATABASE IF EXISTS cli_scratch_kept"));
    PQclear(PQexec(a, "CREATE DATABASE cli_scratch_kept"));
    PQfinish(a);
    snprintf(dsn, sizeof dsn, "%s dbname=cli_scratch_kept", test_admin_dsn());
    PGconn *k = PQconnectdb(dsn);
    PQclear(PQexec(k, "CREATE TABLE \"Leftover\" (id int)"));
    PQfinish(k);
    ck_assert_int_eq(RUN("verify", "--roundtrip", "--scratch", dsn), 1);
    ck_assert_msg(strstr(err, "Leftover"), "%s", err);
    ck_assert_int_eq(RUN("verify", "--drift", "--scratch", dsn), 1);
    ck_assert_msg(strstr(err, "Leftover"), "%s", err);
    ck_assert_int_eq(count_in(dsn, "SELECT count(*) FROM pg_class WHERE relname = 'Leftover'"), 1); /* kept */
    k = PQconnectdb(dsn);
    PQclear(PQexec(k, "DROP TABLE \"Leftover\""));
    PQfinish(k);
    ck_assert_int_eq(RUN("verify", "--roundtrip", "--scratch", dsn), 0); /* empty: used, and kept */
    ck_assert_int_eq(count_in(test_admin_dsn(), "SELECT count(*) FROM pg_database WHERE datname = 'cli_scratch_kept'"), 1);
    a = PQconnectdb(test_admin_dsn());
    PQclear(PQexec(a, "DROP DATABASE cli_scratch_kept WITH (FORCE)"));
    PQfinish(a);
}
END_TEST

START_TEST(verify_drift_after_hand_alter)
{
    ck_assert_int_eq(RUN("up", "--to", "1"), 0);
    ck_assert_int_eq(RUN("verify", "--drift"), 0);
    ck_assert_ptr_nonnull(strstr(err, "drift: none"));
    test_sql("ALTER TABLE users ADD COLUMN \"Hand Made\" text");
    ck_assert_int_eq(RUN("verify", "--drift"), 1);
    ck_assert_msg(strstr(out, "+ column public.users.\"Hand Made\""), "%s", out);
    ck_assert_int_eq(RUN("--json", "verify", "--drift"), 1);
    json_check(out, "d['drift'] == True and d['diff'][0]['change'] == 'added' and d['diff'][0]['object'] == 'column'");
    ck_assert_int_eq(scratch_dbs(), 0);
}
END_TEST

/* SIGINT or SIGTERM to strata mid-run: the scratch database is dropped. */
START_TEST(verify_signal_drops_scratch)
{
    static const int sigs[] = {SIGINT, SIGTERM};
    test_write(mdir, "3_slow.up.sql", "SELECT pg_sleep(60);\n");
    test_write(mdir, "3_slow.down.sql", "SELECT 1;\n");
    for (int i = 0; i < 2; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            int null = open("/dev/null", O_WRONLY);
            dup2(null, 1);
            dup2(null, 2);
            execl(getenv("STRATA_CLI"), "strata", "-d", test_db_current(), "-m", mdir, "verify", "--roundtrip",
                  (char *)NULL);
            _exit(127);
        }
        for (int k = 0; k < 200 && test_query_long("SELECT count(*) FROM pg_stat_activity WHERE query LIKE "
                                                   "'SELECT pg_sleep(60)%'") == 0; k++)
            usleep(50000);
        ck_assert_int_eq(scratch_dbs(), 1);
        kill(pid, sigs[i]); /* the parent only: it passes the signal on */
        int st;
        waitpid(pid, &st, 0);
        ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 128 + sigs[i], "status %d", st);
        ck_assert_int_eq(scratch_dbs(), 0);
    }
}
END_TEST


START_TEST(up_observe_locks_and_rewrites)
{
    ck_assert_int_eq(RUN("up"), 0);
    test_write(mdir, "3_add.up.sql", "ALTER TABLE users ADD COLUMN note text;\n");
    test_write(mdir, "4_type.up.sql", "-- widen\nSELECT 1;\nALTER TABLE users ALTER COLUMN id TYPE bigint;\n");
    ck_assert_int_eq(RUN("--json", "up", "--observe", "--lint=off"), 0);
    json_check(out, "[m['version'] for m in d] == [3, 4] and "
                    "set(d[0]['statements'][0]) == {'line', 'duration_ms', 'rows', 'locks', 'rewrote'} and "
                    "{'relation': 'users', 'mode': 'AccessExclusiveLock'} in d[0]['statements'][0]['locks'] and "
                    "d[0]['statements'][0]['rewrote'] == [] and d[0]['statements'][0]['line'] == 1 and "
                    "d[1]['statements'][1]['line'] == 3 and 'users' in d[1]['statements'][1]['rewrote'] and "
                    "d[1]['statements'][0]['rewrote'] == [] and "
                    "any(h['relation'] == 'users' and h['ms'] >= 0 for h in d[0]['held'])");
    ck_assert_int_eq(RUN("down", "--steps", "2", "--allow-empty-down"), 1); /* no downs: irreversible */
    test_write(mdir, "3_add.down.sql", "ALTER TABLE users DROP COLUMN note;\n");
    test_write(mdir, "4_type.down.sql", "ALTER TABLE users ALTER COLUMN id TYPE int;\n");
    ck_assert_int_eq(RUN("down", "--steps", "2"), 0);
    ck_assert_int_eq(RUN("up", "--observe", "--lint=off"), 0);
    ck_assert_msg(strstr(out, "== 3 add") && strstr(out, "strongest lock: users AccessExclusiveLock, held"),
                  "%s", out);
    ck_assert_msg(strstr(out, "REWROTE: users") && strstr(out, "line 3"), "%s", out);
    ck_assert_int_eq(RUN("up", "--observe", "--dry-run"), 2);
}
END_TEST

static void cli_tests_needing_library(TCase *tc)
{
    tcase_add_test(tc, up_observe_locks_and_rewrites);
    tcase_add_test(tc, verify_roundtrip_results);
    tcase_add_test(tc, verify_scratch_must_be_empty);
    tcase_add_test(tc, verify_drift_after_hand_alter);
    tcase_add_test(tc, verify_signal_drops_scratch);
    tcase_add_test(tc, schema_snapshot_and_check);
    tcase_add_test(tc, testdb_create_drop_prune);
    tcase_add_test(tc, adopt_goose_then_up_applies_only_new);
    tcase_add_test(tc, up_ignore_other_history);
    tcase_add_test(tc, adopt_golang_migrate_named_and_refusals);
    tcase_add_test(tc, empty_dir_is_an_error);
    tcase_add_test(tc, lint_syntax_error_fails);
    tcase_add_test(tc, down_all_and_version_zero);
    tcase_add_test(tc, skipped_files_warned_once);
    tcase_add_test(tc, empty_down_and_fresh_template);
}

/* Offset of @needle in @hay (the test fails when it is missing). */
static long at(const char *hay, const char *needle)
{
    const char *p = strstr(hay, needle);
    ck_assert_msg(p != NULL, "'%.200s' not in:\n%.2500s", needle, hay);
    return p - hay;
}

/* 10.17: a header per migration naming its mode; the statements as sent,
 * their `;` included; the history statement where each mode runs it. */
START_TEST(dry_run_exact_per_mode)
{
    test_write(mdir, "3_idx.sql", "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY ui ON users (id);\n"
                                  "CREATE TABLE n1 (id int);\n");
    test_write(mdir, "4_fill.sql", "-- strata:batch\nUPDATE users SET id = 0 WHERE id IN "
                                   "(SELECT id FROM users WHERE id <> 0 LIMIT 10);\n");
    test_write(mdir, "5_self.sql", "BEGIN;\nCREATE TABLE s5 (id int);\nCOMMIT;\n");
    ck_assert_int_eq(RUN("up", "--dry-run", "--lint=off"), 0);
    ck_assert(!has_table("users") && !has_table("strata_history"));
    /* headers: file and mode */
    long h1 = at(out, "-- ==== 1 users ("), h3 = at(out, "3_idx.sql): no-transaction\n");
    long h4 = at(out, "4_fill.sql): batch\n"), h5 = at(out, "5_self.sql): self-managed\n");
    at(out, "1_users.up.sql): transaction\n");
    ck_assert(h1 < h3 && h3 < h4 && h4 < h5);
    /* transaction: one round trip, the INSERT before the COMMIT */
    long ins1 = at(out, "INSERT INTO \"public\".\"strata_history\" (version, name, applied_rank, checksum, "
                        "checksum_algo, phase, state, duration_ms, applied_by, statements_done) VALUES (1, 'users'");
    ck_assert(at(out, "BEGIN;\nSET LOCAL lock_timeout = '750ms';\nSET LOCAL statement_timeout = '0ms';\n"
                      "CREATE TABLE users (id int);\n\n;\nINSERT") < ins1);
    ck_assert(ins1 < at(out, "NULL);\nCOMMIT;\n-- in the same round trip"));
    /* no-transaction: the dirty row first, each statement with its `;` and
     * progress, CONCURRENTLY alone, the final UPDATE last */
    long dirty3 = at(out, "VALUES (3, 'idx'"), cic = at(out, "\nCREATE INDEX CONCURRENTLY ui ON users (id);\n");
    long n1 = at(out, "\nCREATE TABLE n1 (id int)\n;\nUPDATE \"public\".\"strata_history\" SET statements_done = 2, "
                      "done_hashes = '");
    long fin3 = at(out, "SET state = 'applied', statements_done = 2, failed_statement = NULL, error = NULL, "
                        "duration_ms = coalesce(duration_ms, 0) + <elapsed ms>, applied_at = now() WHERE version = 3;");
    ck_assert(h3 < dirty3 && strstr(out + dirty3, "'dirty'") < out + cic);
    ck_assert(at(out, "SET lock_timeout = '750ms';\nSET statement_timeout = '0ms';\n-- refuses") < cic);
    ck_assert(cic < at(out, "SET statements_done = 1, done_hashes") && cic < n1 && n1 < fin3 && fin3 < h4);
    /* batch: the dirty row, a batch with its progress in its transaction, then applied */
    long dirty4 = at(out, "VALUES (4, 'fill'"), b1 = at(out, "BEGIN;\nSET LOCAL lock_timeout = '750ms';\n"
                                                           "SET LOCAL statement_timeout = '0ms';\n-- strata:batch\nUPDATE users");
    long prog4 = at(out, "SET statements_done = 1, error = 'batch interrupted: 0 rows done in 0 batches; run "
                         "`strata up --resume` to continue' WHERE version = 4;\nCOMMIT;");
    long fin4 = at(out, "SET state = 'applied', statements_done = <batches>");
    ck_assert(h4 < dirty4 && dirty4 < b1 && b1 < prog4 && prog4 < fin4 && fin4 < h5);
    /* self-managed: session timeouts, the SQL as written, the INSERT after it */
    long self = at(out, "SET lock_timeout = '750ms';\nSET statement_timeout = '0ms';\nBEGIN;\nCREATE TABLE s5 (id int);\nCOMMIT;\n");
    ck_assert(h5 < self && self < at(out, "-- INSERT INTO \"public\".\"strata_history\" (version, name, applied_rank, "
                                          "checksum, checksum_algo, phase, state, duration_ms, applied_by, "
                                          "statements_done) VALUES (5, 'self'"));
    ck_assert_ptr_nonnull(strstr(out, "'applied', <elapsed ms>, current_user"));
    /* JSON: the same, per migration */
    ck_assert_int_eq(RUN("--json", "up", "--dry-run", "--lint=off"), 0);
    json_check(out, "[(m['version'], m['mode']) for m in d['migrations']] == [(1, 'transaction'), (2, "
                    "'transaction'), (3, 'no-transaction'), (4, 'batch'), (5, 'self-managed')] and "
                    "d['migrations'][2]['file'].endswith('3_idx.sql') and any(s.startswith('CREATE TABLE n1 "
                    "(id int)\\n;\\nUPDATE') for s in d['migrations'][2]['statements'])");
}
END_TEST

/* 10.17: single-transaction mode, and downs: each mode and its DELETE. */
START_TEST(dry_run_single_transaction_and_down)
{
    ck_assert_int_eq(RUN("up", "--dry-run", "--single-transaction", "--lint=off"), 0);
    at(out, "1_users.up.sql): single transaction\n");
    /* as run_tx.c sends it: no savepoint, no INSERT of its own (the run's
     * rows go in one multi-row INSERT before the COMMIT) */
    ck_assert_ptr_null(strstr(out, "SAVEPOINT"));
    ck_assert_ptr_null(strstr(out, "VALUES (1, 'users'"));
    /* BEGIN, the multi-row INSERT and COMMIT are statements, not comments:
     * BEGIN before the first migration, the INSERT (durations filled at run
     * time) and COMMIT after the last */
    long begin = at(out, "\nBEGIN;\n"), u = at(out, "SET LOCAL lock_timeout = '750ms';\nSET LOCAL "
                                                  "statement_timeout = '0ms';\nCREATE TABLE users");
    long p2 = at(out, "CREATE TABLE posts"), ins = at(out, "\nINSERT INTO \"public\".\"strata_history\" ");
    long r1 = at(out, "VALUES\n(1, 'users', "), r2 = at(out, "),\n(2, 'posts', ");
    long commit = at(out, "\nCOMMIT;\n");
    ck_assert(at(out, "-- ==== 1 users (") < begin && begin < u && u < p2 && p2 < ins && ins < r1 &&
              r1 < r2 && r2 < commit);
    ck_assert_ptr_nonnull(strstr(out + r2, "<elapsed ms>, current_user"));
    ck_assert_ptr_null(strstr(out, "-- inside the run's one transaction: BEGIN;"));
    ck_assert_msg(!strstr(out + commit + 1, "\nCOMMIT;"), "COMMIT twice: %s", out + commit); /* once */
    test_write(mdir, "2_posts.down.sql", "-- strata:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS pi;\nDROP TABLE posts;\n");
    ck_assert_int_eq(RUN("up"), 0);
    ck_assert_int_eq(RUN("down", "--all", "--dry-run"), 0);
    ck_assert(has_table("posts"));
    long h2 = at(out, "-- ==== revert 2 posts ("), h1 = at(out, "-- ==== revert 1 users (");
    at(out, "2_posts.down.sql): no-transaction\n");
    at(out, "1_users.down.sql): transaction\n");
    long drop = at(out, "\nDROP TABLE posts;\n"), del2 = at(out, "DELETE FROM \"public\".\"strata_history\" WHERE version = 2;");
    ck_assert(h2 < at(out, "\nDROP INDEX CONCURRENTLY IF EXISTS pi;\n") && drop < del2 && del2 < h1);
    const char *restore2 = strstr(out + del2, "-- then: the session's settings put back");
    ck_assert(restore2 && restore2 < out + h1); /* the DELETE, then the settings */
    ck_assert(h1 < at(out, "DROP TABLE users;\n\n;\nDELETE FROM \"public\".\"strata_history\" WHERE version = 1;\nCOMMIT;"));
    ck_assert_int_eq(RUN("--json", "down", "--dry-run"), 0);
    json_check(out, "d['migrations'][0]['direction'] == 'down' and d['migrations'][0]['mode'] == 'no-transaction'");
}
END_TEST

/* A dirty no-transaction migration: the dry run refuses as the run does
 * (same code and message), and with --resume shows the resume. */
START_TEST(dry_run_dirty_refuses_or_resumes)
{
    test_write(mdir, "2_posts.up.sql", "-- strata:no-transaction\nCREATE TABLE posts (id int);\n"
                                       "INSERT INTO missing VALUES (1);\nCREATE TABLE p3 (id int);\n");
    ck_assert_int_eq(RUN("up"), 1);
    ck_assert_int_eq(RUN("up"), 1);
    static char real[sizeof err];
    memcpy(real, err, sizeof err);
    ck_assert_ptr_nonnull(strstr(real, "is dirty"));
    ck_assert_int_eq(RUN("up", "--dry-run"), 1);
    /* the message the run gives (after the CLI's command prefix) */
    ck_assert_str_eq(strstr(err, "migration 2 ("), strstr(real, "migration 2 ("));
    ck_assert_ptr_null(strstr(out, "INSERT INTO missing"));
    ck_assert_int_eq(RUN("up", "--dry-run", "--resume"), 0);
    long h = at(out, "-- ==== 2 posts ("), c = at(out, "-- resume of dirty version 2: 1 statement(s) "
                                                      "finished before");
    long from = at(out, "resumes from statement 2: INSERT INTO missing VALUES (1)");
    long s2 = at(out, "\nINSERT INTO missing VALUES (1)\n;\nUPDATE \"public\".\"strata_history\" SET "
                      "statements_done = 2, done_hashes = '");
    long s3 = at(out, "\nCREATE TABLE p3 (id int)\n;\nUPDATE ");
    long fin = at(out, "state = 'applied', statements_done = 3,");
    ck_assert(h < c && c <= from && from < s2 && s2 < s3 && s3 < fin);
    ck_assert_ptr_null(strstr(out, "\nCREATE TABLE posts (id int)\n;")); /* finished: not again */
    ck_assert_ptr_null(strstr(out, "'dirty'"));                          /* the row is kept */
    ck_assert(!has_table("p3"));
}
END_TEST

/* 10.17: SQL the parser cannot read fails the dry run, with file:line:col. */
START_TEST(dry_run_syntax_error_fails)
{
    test_write(mdir, "3_bad.sql", "CREATE TABLE ok3 (id int);\n-- caf\xc3\xa9\nSELECT 'caf\xc3\xa9', 1 2;\n");
    ck_assert_int_eq(RUN("up", "--dry-run", "--lint=off"), 1);
    ck_assert_msg(strstr(err, "3_bad.sql:3:18: syntax error at or near \"2\""), "%s", err);
    test_write(mdir, "3_bad.sql", "-- strata:no-transaction\nCREATE TABLE ok3 (id int);\nCREAT TABLE x (id int);\n");
    ck_assert_int_eq(RUN("--json", "up", "--dry-run", "--lint=off"), 1);
    json_check(out, "d['error']['code'] == 'parse' and '3_bad.sql:3:1: syntax error at or near' in d['error']['message']");
    test_write(mdir, "3_bad.sql", "-- strata:batch\nUPDATE users SET id = 1 WHERE;\n");
    ck_assert_int_eq(RUN("up", "--dry-run", "--lint=off"), 1);
    ck_assert_msg(strstr(err, "3_bad.sql:2:30: syntax error"), "%s", err);
    char path[300];
    snprintf(path, sizeof path, "%s/3_bad.sql", mdir);
    unlink(path);
    ck_assert_int_eq(RUN("up"), 0);
    test_write(mdir, "2_posts.down.sql", "DROP TABLE posts;\nDROP TABLE posts WHERE;\n");
    ck_assert_int_eq(RUN("down", "--dry-run"), 1);
    ck_assert_msg(strstr(err, "2_posts.down.sql:2:18: syntax error"), "%s", err);
    ck_assert(has_table("posts"));
}
END_TEST

/* 10.17: hostile names in the history statements, quoted by the server's rules. */
START_TEST(dry_run_hostile_names_quoted)
{
    test_write(mdir, "3_o'brien_caf\xc3\xa9.sql", "-- strata:no-transaction\nCREATE TABLE q3 (id int);\n");
    ck_assert_int_eq(RUN("--table", "we\"ird T\xc3\xa4", "up", "--dry-run", "--lint=off"), 0);
    ck_assert_ptr_nonnull(strstr(out, "INSERT INTO \"public\".\"we\"\"ird T\xc3\xa4\" (version"));
    ck_assert_ptr_nonnull(strstr(out, "VALUES (3, 'o''brien caf\xc3\xa9', (SELECT coalesce(max(applied_rank), 0) + 1 "
                                      "FROM \"public\".\"we\"\"ird T\xc3\xa4\")"));
    ck_assert_ptr_nonnull(strstr(out, "-- ==== 3 o'brien caf\xc3\xa9 ("));
    ck_assert_ptr_nonnull(strstr(out, "\n;\nUPDATE \"public\".\"we\"\"ird T\xc3\xa4\" SET statements_done = 1, done_hashes = '"));
    /* and what the dry run shows is what runs: the names as shown work */
    ck_assert_int_eq(RUN("--table", "we\"ird T\xc3\xa4", "up"), 0);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM \"we\"\"ird T\xc3\xa4\" WHERE name = 'o''brien caf\xc3\xa9'"), 1);
}
END_TEST


/* Follow-up: the dry run of a first run says where the history table is
 * created, and shows the done_hashes ALTER before the first no-transaction
 * migration for a table that lacks the column, exactly as sent. */
START_TEST(dry_run_first_run_history_statements)
{
    static const char alter[] = "\nALTER TABLE \"public\".\"strata_history\" ADD COLUMN IF NOT EXISTS "
                                "done_hashes text;\n";
    test_write(mdir, "3_idx.sql", "-- strata:no-transaction\nCREATE TABLE n3 (id int);\n");
    test_write(mdir, "4_idx.sql", "-- strata:no-transaction\nCREATE TABLE n4 (id int);\n");
    ck_assert_int_eq(RUN("up", "--dry-run", "--lint=off"), 0);
    ck_assert(!has_table("strata_history"));
    long h1 = at(out, "-- ==== 1 users ("), h2 = at(out, "-- ==== 2 posts (");
    long create = at(out, "\n-- first run: the history table \"public\".\"strata_history\" does not exist "
                          "yet; under the migrator lock, before this migration, it is created (CREATE TABLE "
                          "IF NOT EXISTS \"public\".\"strata_history\"");
    ck_assert(h1 < create && create < h2 && create < at(out, "BEGIN;\nSET LOCAL"));
    ck_assert_ptr_null(strstr(out + create + 16, "first run")); /* once */
    long h3 = at(out, "-- ==== 3 idx ("), h4 = at(out, "-- ==== 4 idx (");
    long alt = at(out, alter), dirty3 = at(out, "VALUES (3, 'idx'");
    ck_assert(h3 < alt && alt < dirty3);
    ck_assert_ptr_null(strstr(out + alt + 2, "ALTER TABLE")); /* the first no-transaction only */
    ck_assert(h4 < at(out + h4, "-- a catalog look first") + h4);
    /* an existing table without the column: no CREATE, the ALTER */
    ck_assert_int_eq(RUN("up", "--to", "1"), 0);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_attribute WHERE attrelid = 'strata_history'::regclass "
                                     "AND attname = 'done_hashes'"), 0);
    ck_assert_int_eq(RUN("up", "--dry-run", "--lint=off"), 0);
    ck_assert_ptr_null(strstr(out, "first run"));
    ck_assert(at(out, "-- ==== 3 idx (") < at(out, alter));
    ck_assert_int_eq(RUN("--json", "up", "--dry-run", "--lint=off"), 0);
    json_check(out, "any(s.startswith('ALTER TABLE') for s in d['migrations'][1]['statements'])");
    /* the run sends it: the column is there afterwards, and no dry run shows it again */
    ck_assert_int_eq(RUN("up", "--to", "3"), 0);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_attribute WHERE attrelid = 'strata_history'::regclass "
                                     "AND attname = 'done_hashes'"), 1);
    ck_assert_int_eq(RUN("up", "--dry-run", "--lint=off"), 0);
    ck_assert_ptr_null(strstr(out, "ALTER TABLE"));
    ck_assert_ptr_nonnull(strstr(out, "-- a catalog look first"));
    /* a named schema is created with the table */
    ck_assert_int_eq(RUN("--table", "Sch\xc3\xa9ma.h", "up", "--dry-run", "--lint=off"), 0);
    ck_assert_ptr_nonnull(strstr(out, "-- first run: the history table \"Sch\xc3\xa9ma\".\"h\" does not exist yet"));
    ck_assert_ptr_nonnull(strstr(out, "(CREATE SCHEMA IF NOT EXISTS for its schema, then CREATE TABLE"));
}
END_TEST

/* A child process holding the migrator lock of the current test database
 * (history public.strata_history) for @ms; *backend gets its backend pid. */
static pid_t hold_lock(int ms, int *backend)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        PGconn *c = PQconnectdb(test_db_current());
        PGresult *r = PQexec(c, "SELECT pg_backend_pid() FROM (SELECT pg_advisory_lock(hashtextextended("
                                "current_database() || '/public/strata_history', 0))) x");
        int b = PQresultStatus(r) == PGRES_TUPLES_OK ? atoi(PQgetvalue(r, 0, 0)) : -1;
        PQclear(r);
        if (write(fds[1], &b, sizeof b) != (ssize_t)sizeof b)
            _exit(1);
        usleep((useconds_t)ms * 1000);
        PQfinish(c);
        _exit(0);
    }
    close(fds[1]);
    ck_assert_int_eq(read(fds[0], backend, sizeof *backend), (ssize_t)sizeof *backend);
    close(fds[0]);
    ck_assert_int_gt(*backend, 0);
    return pid;
}

typedef struct waits {
    int n;
    int64_t ms[64];
    int32_t pid[64];
} waits;

static void on_wait(const strata_event *ev, void *payload)
{
    waits *w = payload;
    if (ev->type == STRATA_EVENT_LOCK_WAIT && w->n < 64) {
        w->ms[w->n] = ev->duration_ms;
        w->pid[w->n++] = ev->pid;
    }
}

/* 10.15: while another migrator holds the lock, LOCK_WAIT repeats with the
 * holder's pid and the time waited. */
START_TEST(lock_wait_event_repeats)
{
    int backend;
    pid_t holder = hold_lock(2500, &backend);
    strata *s = test_open();
    waits w = {0};
    strata_migration_def d = {1, "w", "CREATE TABLE w1 (id int);", NULL};
    strata_set_event_callback(s, on_wait, &w);
    ck_assert_int_eq(strata_add_migrations(s, &d, 1), 0);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), 0);
    strata_close(s);
    waitpid(holder, NULL, 0);
    ck_assert(has_table("w1"));
    ck_assert_int_ge(w.n, 2);
    for (int i = 0; i < w.n; i++) {
        ck_assert_int_eq(w.pid[i], backend);
        ck_assert(i == 0 || w.ms[i] > w.ms[i - 1]);
    }
    ck_assert_int_ge(w.ms[w.n - 1], 1000);
    ck_assert_int_le(w.n, 4); /* about once a second, not once per poll */
}
END_TEST

/* 10.15: off a terminal the waiting line names the pid and the time, once
 * every 5 s; on a narrow terminal it is rewritten in place, cut to fit. */
START_TEST(lock_wait_line)
{
    int backend;
    char want[128], cmd[2048], path[300];
    pid_t holder = hold_lock(5600, &backend);
    ck_assert_int_eq(RUN("up"), 0);
    waitpid(holder, NULL, 0);
    snprintf(want, sizeof want, "waiting for migrator lock held by pid %d (0.0 s)\n", backend);
    ck_assert_msg(strstr(err, want), "%s", err);
    snprintf(want, sizeof want, "waiting for migrator lock held by pid %d (5.", backend);
    ck_assert_msg(strstr(err, want), "%s", err);
    ck_assert_int_eq(count_lines(err, "waiting for"), 2);
    ck_assert(has_table("posts"));
    ck_assert_int_eq(RUN("down", "--all"), 0);
    holder = hold_lock(2500, &backend);
    snprintf(path, sizeof path, "%s/../pty-wait.log", mdir);
    snprintf(cmd, sizeof cmd, "NO_COLOR=1 script -qec \"stty cols 30; '%s' -d '%s' -m '%s' up\" /dev/null >'%s' 2>&1",
             getenv("STRATA_CLI"), test_db_current(), mdir, path);
    ck_assert_int_eq(system(cmd), 0);
    waitpid(holder, NULL, 0);
    slurp(path, out, sizeof out);
    int rewrites = 0;
    for (const char *p = out; (p = strstr(p, "\r\033[K")) != NULL;) {
        p += 4;
        int cols = 0;
        for (const char *q = p; *q && *q != '\r' && *q != '\n'; q++)
            cols += ((unsigned char)*q & 0xc0) != 0x80;
        ck_assert_msg(cols <= 29, "%d columns on a 30-column terminal: %.60s", cols, p);
        rewrites += strncmp(p, "waiting for migrator lock", 25) == 0;
    }
    ck_assert_msg(rewrites >= 2, "%d waiting lines rewritten in place:\n%s", rewrites, out);
}
END_TEST

/* Follow-up: the timeouts sent to the server are refused above its limit,
 * by the library (the option left as it was) and by the CLI flags; garbage,
 * overflow and negative values are usage errors. */
START_TEST(timeouts_above_limit_refused)
{
    int (*const set[])(strata *, int64_t) = {strata_set_lock_wait_ms, strata_set_lock_timeout_ms,
                                             strata_set_statement_timeout_ms};
    strata *s = test_open();
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(set[i](s, INT64_C(2147483648)), STRATA_EINVAL);
        ck_assert_msg(strstr(strata_errmsg(s), "2147483647 ms"), "%s", strata_errmsg(s));
        ck_assert_int_eq(set[i](s, INT64_MAX), STRATA_EINVAL);
        ck_assert_int_eq(set[i](s, -1), STRATA_EINVAL);
        ck_assert_int_eq(set[i](s, INT64_C(2147483647)), STRATA_OK);
    }
    ck_assert_int_eq(set[0](NULL, 1), STRATA_EINVAL);
    /* refused: statement_timeout stays 300 ms, so the slow migration fails */
    strata_migration_def d = {1, "slow", "SELECT pg_sleep(2);", NULL};
    ck_assert_int_eq(strata_set_statement_timeout_ms(s, 300), STRATA_OK);
    ck_assert_int_eq(strata_set_statement_timeout_ms(s, INT64_C(4294967296)), STRATA_EINVAL);
    ck_assert_int_eq(strata_add_migrations(s, &d, 1), STRATA_OK);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_ESQL);
    ck_assert_msg(strstr(strata_errmsg(s), "statement timeout"), "%s", strata_errmsg(s));
    strata_close(s);
    /* the CLI: a usage error before anything runs */
    const char *bad[][2] = {{"--lock-timeout", "2147483648"}, {"--statement-timeout", "3000000s"},
                            {"--lock-wait", "25000h"}, {"--lock-timeout", "10x"}, {"--lock-wait", "-5"},
                            {"--statement-timeout", "99999999999999999999"}, {"--retries", "1001"},
                            {"--retries", "-1"}, {"--retry-budget", "soon"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(RUN(bad[i][0], bad[i][1], "up"), 2);
        ck_assert_msg(strstr(err, bad[i][0]) && strstr(err, "try 'strata"), "%s", err);
        ck_assert_int_eq(count_lines(err, "\n"), 2);
    }
    ck_assert_ptr_nonnull(strstr(err, "--retry-budget needs a duration"));
    ck_assert_int_eq(RUN("up", "--lock-timeout", "2147483648"), 2);
    ck_assert_ptr_nonnull(strstr(err, "above the limit of 2147483647 ms"));
    ck_assert(!has_table("users"));
    ck_assert_int_eq(RUN("--lock-timeout", "2147483647", "--statement-timeout=2147483647ms", "up"), 0);
    ck_assert(has_table("posts"));
    ck_assert_int_eq(run_env(NULL, "lint", "--pg-version", "fifteen", mdir, (char *)NULL), 2);
    ck_assert_ptr_nonnull(strstr(err, "--pg-version needs a PostgreSQL major version"));
}
END_TEST

/* Follow-up: what a dbmate, goose, golang-migrate or sqlx user types. */
START_TEST(peer_users_are_understood)
{
    const char *said[][2] = {{"create", "strata new"}, {"migrate", "strata up"}, {"rollback", "strata down"},
                             {"version", "strata status"}, {"stauts", "strata status"}};
    for (size_t i = 0; i < sizeof said / sizeof said[0]; i++) {
        ck_assert_int_eq(run_env(NULL, said[i][0], (char *)NULL), 2);
        ck_assert_msg(strstr(err, "did you mean") && strstr(err, said[i][1]), "%s: %s", said[i][0], err);
        ck_assert_int_eq(count_lines(err, "\n"), 2);
    }
    ck_assert_int_eq(run_env(NULL, "frobnicate", (char *)NULL), 2);
    ck_assert_ptr_null(strstr(err, "did you mean"));
    /* -h after the command, as everywhere else */
    ck_assert_int_eq(run_env(NULL, "up", "-h", (char *)NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "usage: strata up"));
    ck_assert_int_eq(run_env(NULL, "testdb", "prune", "-h", (char *)NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "usage: strata testdb"));
    /* golang-migrate's `up N` / `down N` */
    ck_assert_int_eq(RUN("up", "2"), 2);
    ck_assert_msg(strstr(err, "strata up --to 2"), "%s", err);
    ck_assert_int_eq(RUN("down", "2"), 2);
    ck_assert_msg(strstr(err, "--steps N"), "%s", err);
    ck_assert(!has_table("users"));
    /* dbmate creates a missing database; strata says how */
    ck_assert_int_eq(run_env("host=/tmp dbname=strata_no_such_db_here", "-m", mdir, "status", (char *)NULL), 1);
    ck_assert_int_eq(run_env(NULL, "-d", "dbname=strata_no_such_db_here", "-m", mdir, "status", (char *)NULL), 1);
    /* goose's `redo` with a dry run first */
    ck_assert_int_eq(RUN("up"), 0);
    ck_assert_int_eq(RUN("redo", "--dry-run"), 0);
    ck_assert(at(out, "-- ==== revert 2 posts (") < at(out, "-- ==== 2 posts ("));
    ck_assert(at(out, "DELETE FROM \"public\".\"strata_history\" WHERE version = 2;") < at(out, "VALUES (2, 'posts'"));
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history"), 2);
    test_sql("INSERT INTO posts VALUES (1)");
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM posts"), 1); /* not redone */
    ck_assert_int_eq(RUN("--json", "redo", "--dry-run"), 0);
    json_check(out, "[(m['direction'], m['version']) for m in d['migrations']] == [('down', 2), ('up', 2)]");
}
END_TEST

/* Follow-up: a database that does not exist: the error and how to make it. */
START_TEST(missing_database_hint)
{
    char url[512];
    PGconn *c = test_connect();
    snprintf(url, sizeof url, "host=%s port=%s user=%s dbname=strata_app_dev", PQhost(c), PQport(c), PQuser(c));
    PQfinish(c);
    ck_assert_int_eq(run_env(url, "-m", mdir, "up", (char *)NULL), 1);
    ck_assert_msg(strstr(err, "database \"strata_app_dev\" does not exist"), "%s", err);
    ck_assert_msg(strstr(err, "hint: strata does not create the database: create it first (createdb strata_app_dev"),
                  "%s", err);
}
END_TEST

/* Follow-up: a mistyped `down --to V` would revert everything above it. */
START_TEST(down_to_unknown_version_refused)
{
    ck_assert_int_eq(RUN("up"), 0);
    ck_assert_int_eq(RUN("down", "--to", "20240101"), 1);
    ck_assert_msg(strstr(err, "down --to 20240101:") && strstr(err, "has no migration with that version") &&
                  strstr(err, "--all"), "%s", err);
    ck_assert(has_table("users") && has_table("posts"));
    ck_assert_int_eq(RUN("--json", "down", "--to", "3"), 1);
    json_check(out, "d['error']['code'] == 'notfound'");
    ck_assert_int_eq(RUN("down", "--to", "1"), 0);
    ck_assert(has_table("users") && !has_table("posts"));
    ck_assert_int_eq(RUN("down", "--to", "0"), 0); /* 0: everything but a version 0 */
    ck_assert(!has_table("users"));
}
END_TEST

typedef struct dry_log {
    char text[8192];
    int headers;
} dry_log;

static void on_dry(const strata_event *ev, void *payload)
{
    dry_log *l = payload;
    if (ev->type != STRATA_EVENT_DRY_RUN)
        return;
    l->headers += ev->statement == 0;
    size_t n = strlen(l->text);
    snprintf(l->text + n, sizeof l->text - n, "%s\n", ev->message);
}

/* 10.17, library: without a database the dry run still shows every
 * statement, and says which history statements it cannot quote. */
START_TEST(dry_run_offline_library)
{
    strata_migration_def defs[] = {{1, "t", "CREATE TABLE t (id int);", NULL},
                                   {2, "i", "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY ti ON t (id);\n"
                                            "ANALYZE t;", NULL},
                                   {3, "bad", "SELECT 1;\nSELECT FROM WHERE;", NULL}};
    strata *s = NULL;
    dry_log l = {"", 0};
    ck_assert_int_eq(strata_open(&s, NULL), STRATA_OK);
    strata_set_event_callback(s, on_dry, &l);
    ck_assert_int_eq(strata_set_dry_run(s, 1), STRATA_OK);
    ck_assert_int_eq(strata_add_migrations(s, defs, 2), STRATA_OK);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_OK);
    ck_assert_int_eq(l.headers, 2);
    ck_assert_msg(strstr(l.text, "-- ==== 1 t (1_t): transaction\n") && strstr(l.text, "-- ==== 2 i (2_i): no-transaction\n"),
                  "%s", l.text);
    ck_assert_msg(strstr(l.text, "CREATE TABLE t (id int);\n;\n-- INSERT of the history row (not shown: without a "
                                 "connection its name cannot be quoted)\nCOMMIT;"), "%s", l.text);
    ck_assert_msg(strstr(l.text, "\nCREATE INDEX CONCURRENTLY ti ON t (id);\n") && strstr(l.text, "\nANALYZE t;\n"),
                  "%s", l.text);
    const char *created = strstr(l.text, "-- first, under the migrator lock: the history table is created "
                                         "if it does not exist yet");
    ck_assert_msg(created && created > strstr(l.text, "-- ==== 1 t") && created < strstr(l.text, "-- ==== 2 i") &&
                  !strstr(created + 10, "-- first,"), "%s", l.text);
    ck_assert_int_eq(strata_add_migrations(s, defs + 2, 1), STRATA_OK);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_EPARSE);
    ck_assert_msg(strstr(strata_errmsg(s), "3_bad:2:13: syntax error at or near \"WHERE\""), "%s", strata_errmsg(s));
    strata_close(s);
}
END_TEST

/* Follow-up: verify with nothing applied does not claim a pass. */
START_TEST(verify_says_what_it_checked)
{
    ck_assert_int_eq(RUN("verify"), 0);
    ck_assert_msg(strstr(err, "nothing to verify: no migration is applied yet"), "%s", err);
    ck_assert_int_eq(RUN("up"), 0);
    ck_assert_int_eq(RUN("verify"), 0);
    ck_assert_msg(strstr(err, "verified: every applied migration matches its file (2)"), "%s", err);
}
END_TEST

static void cli_tests_dry_run_and_wait(TCase *tc)
{
    tcase_add_test(tc, verify_says_what_it_checked);
    tcase_add_test(tc, dry_run_offline_library);
    tcase_add_test(tc, down_to_unknown_version_refused);
    tcase_add_test(tc, peer_users_are_understood);
    tcase_add_test(tc, missing_database_hint);
    tcase_add_test(tc, timeouts_above_limit_refused);
    tcase_add_test(tc, lock_wait_event_repeats);
    tcase_add_test(tc, lock_wait_line);
    tcase_add_test(tc, dry_run_exact_per_mode);
    tcase_add_test(tc, dry_run_single_transaction_and_down);
    tcase_add_test(tc, dry_run_dirty_refuses_or_resumes);
    tcase_add_test(tc, dry_run_syntax_error_fails);
    tcase_add_test(tc, dry_run_hostile_names_quoted);
    tcase_add_test(tc, dry_run_first_run_history_statements);
}
