/* Reading migrations: every directory format, directives, and every bad
 * directory case refused with a message naming the path. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"

const bool test_needs_pg = false;

static strata *offline(void)
{
    strata *s = NULL;
    ck_assert_int_eq(strata_open(&s, NULL), STRATA_OK);
    return s;
}

static void get(strata *s, size_t i, strata_migration_def *d)
{
    ck_assert_int_eq(strata_migration_get(s, i, d), STRATA_OK);
}

START_TEST(sqlx_pairs_and_simple)
{
    char *dir = test_tmpdir();
    strata *s = offline();
    strata_migration_def d;
    test_write(dir, "20240101120000_create_users.up.sql", "CREATE TABLE users (id int);\n");
    test_write(dir, "20240101120000_create_users.down.sql", "DROP TABLE users;\n");
    test_write(dir, "20240102000000_add_index.sql", "CREATE INDEX ON users (id);\n");
    test_write(dir, "README.md", "not a migration");
    ck_assert_int_eq(strata_add_dir(s, dir), STRATA_OK);
    ck_assert_uint_eq(strata_migration_count(s), 2);
    get(s, 0, &d);
    ck_assert_int_eq(d.version, 20240101120000LL);
    ck_assert_str_eq(d.name, "create users");
    ck_assert_str_eq(d.up_sql, "CREATE TABLE users (id int);\n");
    ck_assert_str_eq(d.down_sql, "DROP TABLE users;\n");
    get(s, 1, &d);
    ck_assert_str_eq(d.name, "add index");
    ck_assert_ptr_null(d.down_sql);
    ck_assert_ptr_nonnull(strstr(strata_migration_source(s, 1), "20240102000000_add_index.sql"));
    strata_close(s);
    free(dir);
}
END_TEST

START_TEST(dbmate_markers)
{
    char *dir = test_tmpdir();
    strata *s = offline();
    strata_migration_def d;
    test_write(dir, "20240101000000_users.sql",
               "-- migrate:up transaction:false\nCREATE TABLE u (id int);\n\n"
               "-- migrate:down\nDROP TABLE u;\n");
    test_write(dir, "20240102000000_empty_down.sql",
               "-- migrate:up\nCREATE TABLE v (id int);\n-- migrate:down\n\n");
    ck_assert_int_eq(strata_add_dir(s, dir), STRATA_OK);
    get(s, 0, &d);
    ck_assert_ptr_nonnull(strstr(d.up_sql, "CREATE TABLE u"));
    ck_assert_ptr_null(strstr(d.up_sql, "DROP TABLE"));
    /* the down carries its own marker line (and so its transaction mode) */
    ck_assert_str_eq(d.down_sql, "-- migrate:down\nDROP TABLE u;\n");
    get(s, 1, &d);
    ck_assert_str_eq(d.down_sql, "-- migrate:down\n\n"); /* empty, but not missing */
    strata_close(s);
    free(dir);
}
END_TEST

START_TEST(goose_markers)
{
    char *dir = test_tmpdir();
    strata *s = offline();
    strata_migration_def d;
    test_write(dir, "00001_create.sql",
               "-- +goose NO TRANSACTION\n  -- +GOOSE UP\n-- +goose StatementBegin\n"
               "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n"
               "-- +goose StatementEnd\n-- +goose Down\nDROP FUNCTION f();\n");
    ck_assert_int_eq(strata_add_dir(s, dir), STRATA_OK);
    get(s, 0, &d);
    ck_assert_int_eq(d.version, 1);
    ck_assert_str_eq(d.name, "create");
    ck_assert_ptr_nonnull(strstr(d.up_sql, "CREATE FUNCTION"));
    /* NO TRANSACTION is file-wide for goose: the down carries it too */
    ck_assert_str_eq(d.down_sql, "-- +goose NO TRANSACTION\n-- +goose Down\nDROP FUNCTION f();\n");
    strata_close(s);
    free(dir);
}
END_TEST

START_TEST(diesel_directories)
{
    char *dir = test_tmpdir(), sub[256];
    strata *s = offline();
    strata_migration_def d;
    snprintf(sub, sizeof sub, "%s/2024-01-01-120000_create_users", dir);
    ck_assert_int_eq(mkdir(sub, 0755), 0);
    test_write(sub, "up.sql", "CREATE TABLE users (id int);\n");
    test_write(sub, "down.sql", "DROP TABLE users;\n");
    test_write(sub, "metadata.toml", "run_in_transaction = false\n");
    snprintf(sub, sizeof sub, "%s/not_a_migration", dir);
    ck_assert_int_eq(mkdir(sub, 0755), 0);
    ck_assert_int_eq(strata_add_dir(s, dir), STRATA_OK);
    ck_assert_uint_eq(strata_migration_count(s), 1);
    get(s, 0, &d);
    ck_assert_int_eq(d.version, 20240101120000LL);
    ck_assert_str_eq(d.name, "create users");
    /* metadata.toml travels as a directive, so an embedded copy agrees */
    ck_assert_ptr_nonnull(strstr(d.up_sql, "-- strata:no-transaction\n"));
    ck_assert_str_eq(d.down_sql, "-- strata:no-transaction\nDROP TABLE users;\n");
    strata_close(s);
    free(dir);
}
END_TEST

START_TEST(bom_dropped_and_memory_source)
{
    char *dir = test_tmpdir();
    strata *s = offline();
    strata_migration_def d;
    strata_migration_def defs[] = {{5, "five", "SELECT 5;", NULL}, {3, "three", "SELECT 3;", "SELECT 0;"}};
    test_write(dir, "1_bom.sql", "\xEF\xBB\xBFSELECT 1;\n");
    ck_assert_int_eq(strata_add_dir(s, dir), STRATA_OK);
    ck_assert_int_eq(strata_add_migrations(s, defs, 2), STRATA_OK);
    get(s, 0, &d);
    ck_assert_str_eq(d.up_sql, "SELECT 1;\n");
    get(s, 1, &d);
    ck_assert_int_eq(d.version, 3); /* kept in version order */
    ck_assert_str_eq(strata_migration_source(s, 2), "5_five");
    ck_assert_int_eq(strata_migration_get(s, 3, &d), STRATA_ENOTFOUND);
    strata_close(s);
    free(dir);
}
END_TEST

/* Each bad case: the call fails with @code, the message names @needle, and
 * the set is left as it was. */
static void expect_bad(const char *dir, int code, const char *needle, const char *needle2)
{
    strata *s = offline();
    strata_migration_def keep = {99, "keep", "SELECT 1;", NULL};
    ck_assert_int_eq(strata_add_migrations(s, &keep, 1), STRATA_OK);
    int rc = strata_add_dir(s, dir);
    ck_assert_msg(rc == code, "expected %d, got %d: %s", code, rc, strata_errmsg(s));
    ck_assert_msg(strstr(strata_errmsg(s), needle), "message \"%s\" lacks \"%s\"",
                  strata_errmsg(s), needle);
    if (needle2)
        ck_assert_msg(strstr(strata_errmsg(s), needle2), "message \"%s\" lacks \"%s\"",
                      strata_errmsg(s), needle2);
    ck_assert_uint_eq(strata_migration_count(s), 1);
    strata_close(s);
}

START_TEST(bad_duplicate_version)
{
    char *dir = test_tmpdir();
    test_write(dir, "1_a.sql", "SELECT 1;");
    test_write(dir, "1_b.up.sql", "SELECT 2;");
    test_write(dir, "2_ok.sql", "SELECT 3;");
    expect_bad(dir, STRATA_EDUPLICATE, "1_a.sql", "1_b.up.sql");
    free(dir);
}
END_TEST

START_TEST(bad_down_without_up)
{
    char *dir = test_tmpdir();
    test_write(dir, "1_a.up.sql", "SELECT 1;");
    test_write(dir, "2_b.down.sql", "SELECT 2;");
    expect_bad(dir, STRATA_EPARSE, "2_b.down.sql", "without an up");
    free(dir);
}
END_TEST

START_TEST(bad_unparsable_name)
{
    char *dir = test_tmpdir();
    test_write(dir, "1_a.sql", "SELECT 1;");
    test_write(dir, "1create_users.sql", "SELECT 2;");
    expect_bad(dir, STRATA_EPARSE, "1create_users.sql", "<version>_<name>");
    free(dir);
}
END_TEST

START_TEST(bad_nul_byte)
{
    char *dir = test_tmpdir();
    test_write_bytes(dir, "1_a.sql", "SELECT 1;\nSEL\0ECT 2;", 20);
    expect_bad(dir, STRATA_EPARSE, "1_a.sql:2", "NUL");
    free(dir);
}
END_TEST

START_TEST(bad_invalid_utf8)
{
    char *dir = test_tmpdir();
    test_write(dir, "1_a.sql", "SELECT '\xC3\x28';");
    expect_bad(dir, STRATA_EPARSE, "1_a.sql", "UTF-8");
    free(dir);
}
END_TEST

START_TEST(bad_unreadable_file)
{
    char *dir = test_tmpdir(), p[256];
    snprintf(p, sizeof p, "%s/1_a.sql", dir);
    /* a dangling link: unreadable even for root */
    ck_assert_int_eq(symlink("/nonexistent/strata/x.sql", p), 0);
    expect_bad(dir, STRATA_EIO, "1_a.sql", NULL);
    free(dir);
}
END_TEST

START_TEST(bad_unknown_directive)
{
    char *dir = test_tmpdir();
    test_write(dir, "1_a.sql", "-- a comment\n-- strata:no-transation\nSELECT 1;");
    expect_bad(dir, STRATA_EPARSE, "1_a.sql:2", "strata:no-transation");
    free(dir);
}
END_TEST

START_TEST(bad_missing_directory)
{
    expect_bad("/nonexistent/strata-migrations", STRATA_EIO, "/nonexistent/strata-migrations", NULL);
}
END_TEST

START_TEST(bad_markers)
{
    char *dir = test_tmpdir();
    test_write(dir, "1_a.sql", "-- migrate:down\nDROP TABLE x;\n");
    expect_bad(dir, STRATA_EPARSE, "1_a.sql:1", "no up marker");
    free(dir);
}
END_TEST

START_TEST(directive_values)
{
    strata *s = offline();
    strata_migration_def ok = {1, "ok", "-- strata:lock-timeout 2s\n-- strata:statement-timeout 10min\n"
                                         "-- strata:phase contract\n-- strata:batch pause 100ms\n"
                                         "-- strata:allow drop-column -- reason\nSELECT 1;", NULL};
    strata_migration_def bad_dur = {2, "bad", "-- strata:lock-timeout soon\nSELECT 1;", NULL};
    strata_migration_def bad_phase = {3, "bad", "-- strata:phase later\nSELECT 1;", NULL};
    strata_migration_def late = {4, "late", "SELECT 1;\n-- strata:bogus is not a directive here\n", NULL};
    ck_assert_int_eq(strata_add_migrations(s, &ok, 1), STRATA_OK);
    ck_assert_int_eq(strata_add_migrations(s, &bad_dur, 1), STRATA_EPARSE);
    ck_assert_ptr_nonnull(strstr(strata_errmsg(s), "2_bad:1"));
    ck_assert_int_eq(strata_add_migrations(s, &bad_phase, 1), STRATA_EPARSE);
    ck_assert_int_eq(strata_add_migrations(s, &late, 1), STRATA_OK);
    ck_assert_int_eq(strata_add_migrations(s, &ok, 1), STRATA_EDUPLICATE);
    ck_assert_uint_eq(strata_migration_count(s), 2);
    strata_close(s);
}
END_TEST

START_TEST(api_contract)
{
    strata *s = NULL;
    strata_status_list *st = (strata_status_list *)0x1;
    ck_assert_int_eq(strata_open(NULL, NULL), STRATA_EINVAL);
    strata_close(NULL);
    strata_status_free(NULL);
    ck_assert_str_eq(strata_version(), STRATA_VERSION_STRING);
    ck_assert_str_ne(strata_strerror(STRATA_ECHECKSUM), strata_strerror(STRATA_EDIRTY));
    ck_assert_int_eq(strata_open(&s, NULL), STRATA_OK);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_ENODB);
    ck_assert_int_eq(strata_set_phase(s, 7), STRATA_EINVAL);
    ck_assert_int_eq(strata_set_history_table(s, "a.b.c"), STRATA_EINVAL);
    ck_assert_int_eq(strata_set_history_table(s, "myschema.hist"), STRATA_OK);
    /* with no database every migration is pending; out set only on success */
    ck_assert_int_eq(strata_status(NULL, &st), STRATA_EINVAL);
    ck_assert_ptr_eq(st, (strata_status_list *)0x1);
    strata_close(s);
}
END_TEST

/* ---- issue 9: real directories as they are ---- */

static void mkdir_in(const char *dir, const char *name, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", dir, name);
    ck_assert_int_eq(mkdir(out, 0755), 0);
}

START_TEST(version_zero_and_range)
{
    char *dir = test_tmpdir(), sub[512];
    strata *s = offline();
    strata_migration_def d;
    strata_migration_def zero = {0, "zero", "SELECT 0;", NULL};
    strata_migration_def max = {INT64_MAX - 1, "max", "SELECT 1;", NULL};
    strata_migration_def latest = {INT64_MAX, "latest", "SELECT 1;", NULL};
    strata_migration_def neg = {-1, "neg", "SELECT 1;", NULL};
    mkdir_in(dir, "00000000000000_diesel_initial_setup", sub, sizeof sub);
    test_write(sub, "up.sql", "SELECT 'setup';\n");
    test_write(sub, "down.sql", "SELECT 'teardown';\n");
    /* 18 and 19 digits below the limit: refused before, with a wrong message */
    test_write(dir, "922337203685477580_a.sql", "SELECT 1;\n");
    test_write(dir, "9223372036854775800_b.sql", "SELECT 2;\n");
    ck_assert_int_eq(strata_add_dir(s, dir), STRATA_OK);
    ck_assert_uint_eq(strata_migration_count(s), 3);
    get(s, 0, &d);
    ck_assert_int_eq(d.version, 0);
    ck_assert_str_eq(d.name, "diesel initial setup");
    get(s, 2, &d);
    ck_assert_int_eq(d.version, 9223372036854775800LL);
    strata_close(s);

    s = offline();
    ck_assert_int_eq(strata_add_migrations(s, &zero, 1), STRATA_OK);
    ck_assert_int_eq(strata_add_migrations(s, &max, 1), STRATA_OK);
    ck_assert_int_eq(strata_add_migrations(s, &latest, 1), STRATA_EINVAL);
    ck_assert_ptr_nonnull(strstr(strata_errmsg(s), "at most 9223372036854775806"));
    ck_assert_int_eq(strata_add_migrations(s, &neg, 1), STRATA_EINVAL);
    ck_assert_ptr_nonnull(strstr(strata_errmsg(s), "version -1"));
    ck_assert_uint_eq(strata_migration_count(s), 2);
    strata_close(s);
    free(dir);
}
END_TEST

START_TEST(version_out_of_range_file)
{
    char *dir = test_tmpdir();
    test_write(dir, "99999999999999999999_big.sql", "SELECT 1;");
    expect_bad(dir, STRATA_EPARSE, "99999999999999999999_big.sql",
               "version 99999999999999999999 is out of range (at most 9223372036854775806)");
    free(dir);
    dir = test_tmpdir();
    test_write(dir, "9223372036854775807_latest.sql", "SELECT 1;");
    expect_bad(dir, STRATA_EPARSE, "9223372036854775807_latest.sql", "out of range");
    free(dir);
}
END_TEST

START_TEST(not_migrations_skipped_once)
{
    char *dir = test_tmpdir(), sub[512];
    strata *s = offline();
    test_events ev = {0};
    test_write(dir, "1_a.sql", "SELECT 1;");
    test_write(dir, "README.md", "docs");
    test_write(dir, "data_oauth_github.sql", "INSERT INTO x VALUES (1);");
    test_write(dir, "atlas.sum", "h1:abc");
    test_write(dir, ".keep", "");
    test_write(dir, ".gitkeep", "");
    mkdir_in(dir, "seeds", sub, sizeof sub);
    test_write(sub, "1_seed.sql", "SELECT 'not read';");
    strata_set_event_callback(s, test_events_cb, &ev);
    ck_assert_int_eq(strata_add_dir(s, dir), STRATA_OK);
    ck_assert_uint_eq(strata_migration_count(s), 1);
    ck_assert_int_eq(ev.count[STRATA_EVENT_SKIPPED_FILE], 4);
    ck_assert_int_eq(ev.n, 4);
    ck_assert_ptr_nonnull(strstr(ev.log, "/README.md\n"));
    ck_assert_ptr_nonnull(strstr(ev.log, "/data_oauth_github.sql\n"));
    ck_assert_ptr_nonnull(strstr(ev.log, "/atlas.sum\n"));
    ck_assert_ptr_nonnull(strstr(ev.log, "/seeds\n"));
    ck_assert_ptr_null(strstr(ev.log, "keep"));
    strata_close(s);
    free(dir);
}
END_TEST

START_TEST(empty_directory_reads_nothing)
{
    char *dir = test_tmpdir();
    strata *s = offline();
    test_events ev = {0};
    strata_set_event_callback(s, test_events_cb, &ev);
    ck_assert_int_eq(strata_add_dir(s, dir), STRATA_OK); /* empty: UBSan saw qsort(NULL) */
    test_write(dir, ".gitkeep", "");
    ck_assert_int_eq(strata_add_dir(s, dir), STRATA_OK);
    ck_assert_int_eq(ev.n, 0);
    ck_assert_uint_eq(strata_migration_count(s), 0);
    strata_close(s);
    free(dir);
}
END_TEST

START_TEST(digit_names_stay_errors)
{
    char *dir = test_tmpdir(), sub[512];
    test_write(dir, "20240101_notes.txt", "not SQL");
    expect_bad(dir, STRATA_EPARSE, "20240101_notes.txt", "does not end in .sql");
    free(dir);
    dir = test_tmpdir();
    mkdir_in(dir, "20240101_archive", sub, sizeof sub);
    expect_bad(dir, STRATA_EPARSE, "20240101_archive", "holds no up.sql");
    free(dir);
}
END_TEST

START_TEST(empty_up_loads)
{
    char *dir = test_tmpdir();
    strata *s = offline();
    strata_migration_def d;
    /* a fresh `strata new` template; and every other way to hold nothing */
    test_write(dir, "1_a.up.sql", "  \n-- only a comment\n");
    test_write(dir, "2_b.sql", "/* a block /* nested */ comment */\n\f;\n\v\r\n");
    test_write(dir, "3_c.up.sql", "");
    ck_assert_int_eq(strata_add_dir(s, dir), STRATA_OK);
    ck_assert_uint_eq(strata_migration_count(s), 3);
    get(s, 1, &d);
    ck_assert_str_eq(d.up_sql, "/* a block /* nested */ comment */\n\f;\n\v\r\n");
    strata_close(s);
    free(dir);
}
END_TEST

START_TEST(empty_down_kept)
{
    char *dir = test_tmpdir();
    strata *s = offline();
    strata_migration_def d;
    test_write(dir, "1_a.up.sql", "CREATE TABLE a (id int);");
    test_write(dir, "1_a.down.sql", "-- Not reversible\n");
    test_write(dir, "2_b.up.sql", "CREATE TABLE b (id int);");
    ck_assert_int_eq(strata_add_dir(s, dir), STRATA_OK);
    get(s, 0, &d);
    ck_assert_str_eq(d.down_sql, "-- Not reversible\n"); /* exists: not NULL */
    get(s, 1, &d);
    ck_assert_ptr_null(d.down_sql);                      /* missing: NULL */
    strata_close(s);
    free(dir);
}
END_TEST

/* ---- issue 9.16: hangs and overflows ---- */

START_TEST(form_feed_after_marker)
{
    char *dir = test_tmpdir();
    strata *s = offline();
    strata_migration_def d;
    test_write(dir, "1_ff.sql", "-- migrate:up\f\nCREATE TABLE t (id int);\n-- migrate:down\v\nDROP TABLE t;\n");
    /* the form feed between the marker and its option hung the reader */
    test_write(dir, "2_vt.sql", "-- migrate:up\ftransaction:false\v\nSELECT 2;\n");
    ck_assert_int_eq(strata_add_dir(s, dir), STRATA_OK);
    get(s, 0, &d);
    ck_assert_ptr_null(strstr(d.up_sql, "DROP"));
    ck_assert_ptr_nonnull(strstr(d.down_sql, "DROP TABLE t;"));
    strata_close(s);
    free(dir);
}
END_TEST

START_TEST(lone_cr_ends_a_line)
{
    char *dir = test_tmpdir();
    strata *s = offline();
    strata_migration_def d;
    /* PostgreSQL ends a -- comment at \r: so must the marker reader, or the
     * DROP below would run as part of the up */
    test_write(dir, "1_mac.sql", "-- migrate:up\rCREATE TABLE t (id int);\r-- migrate:down\rDROP TABLE t;\r");
    ck_assert_int_eq(strata_add_dir(s, dir), STRATA_OK);
    get(s, 0, &d);
    ck_assert_str_eq(d.up_sql, "-- migrate:up\rCREATE TABLE t (id int);\r");
    ck_assert_str_eq(d.down_sql, "-- migrate:down\rDROP TABLE t;\r");
    strata_close(s);
    free(dir);
}
END_TEST

START_TEST(fifo_refused)
{
    char *dir = test_tmpdir(), p[512];
    test_write(dir, "1_a.sql", "SELECT 1;");
    snprintf(p, sizeof p, "%s/2_fifo.sql", dir);
    ck_assert_int_eq(mkfifo(p, 0644), 0);
    expect_bad(dir, STRATA_EIO, "2_fifo.sql", "not a regular file");
    free(dir);
    /* a socket cannot even be opened: still named as what it is */
    dir = test_tmpdir();
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s/3_sock.sql", dir);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    expect_bad(dir, STRATA_EIO, "3_sock.sql", "not a regular file");
    close(fd);
    free(dir);
}
END_TEST

START_TEST(duration_limits)
{
    strata *s = offline();
    strata_migration_def ok = {1, "ok", "-- strata:lock-timeout 596h\n-- strata:statement-timeout 2147483647\nSELECT 1;", NULL};
    strata_migration_def wrap = {2, "wrap", "-- strata:lock-timeout 5124095576030432h\nSELECT 1;", NULL};
    strata_migration_def h600 = {3, "h600", "-- x\n-- strata:statement-timeout 600h\nSELECT 1;", NULL};
    strata_migration_def ms = {4, "ms", "-- strata:lock-timeout 2147483648ms\nSELECT 1;", NULL};
    strata_migration_def huge = {5, "huge", "-- strata:batch pause 99999999999999999999999s\nSELECT 1;", NULL};
    ck_assert_int_eq(strata_add_migrations(s, &ok, 1), STRATA_OK);
    ck_assert_int_eq(strata_add_migrations(s, &wrap, 1), STRATA_EPARSE);
    ck_assert_ptr_nonnull(strstr(strata_errmsg(s), "2_wrap:1"));
    ck_assert_ptr_nonnull(strstr(strata_errmsg(s), "2147483647"));
    ck_assert_int_eq(strata_add_migrations(s, &h600, 1), STRATA_EPARSE);
    ck_assert_ptr_nonnull(strstr(strata_errmsg(s), "3_h600:2"));
    ck_assert_ptr_nonnull(strstr(strata_errmsg(s), "600h"));
    ck_assert_int_eq(strata_add_migrations(s, &ms, 1), STRATA_EPARSE);
    ck_assert_int_eq(strata_add_migrations(s, &huge, 1), STRATA_EPARSE);
    ck_assert_uint_eq(strata_migration_count(s), 1);
    strata_close(s);
}
END_TEST

START_TEST(down_directives_checked)
{
    char *dir = test_tmpdir();
    strata *s = offline();
    strata_migration_def mem = {9, "mem", "SELECT 1;", "-- strata:statement-timeout 700h\nSELECT 0;"};
    /* a down's directives are its own: a bad one is an error naming the down */
    test_write(dir, "1_a.up.sql", "CREATE TABLE a (id int);");
    test_write(dir, "1_a.down.sql", "-- Drops a\n-- strata:lock-timeout soon\nDROP TABLE a;");
    expect_bad(dir, STRATA_EPARSE, "1_a.down.sql:2", "soon");
    free(dir);
    dir = test_tmpdir();
    test_write(dir, "2_b.sql", "-- migrate:up\nSELECT 1;\n\n-- migrate:down\n-- strata:bogus\nSELECT 2;\n");
    expect_bad(dir, STRATA_EPARSE, "2_b.sql:5", "strata:bogus");
    ck_assert_int_eq(strata_add_migrations(s, &mem, 1), STRATA_EPARSE);
    ck_assert_ptr_nonnull(strstr(strata_errmsg(s), "9_mem:1"));
    ck_assert_ptr_nonnull(strstr(strata_errmsg(s), "700h"));
    strata_close(s);
    free(dir);
}
END_TEST

START_TEST(non_utf8_file_name)
{
    char *dir = test_tmpdir();
    test_write(dir, "1_caf\xff.sql", "SELECT 1;");
    expect_bad(dir, STRATA_EPARSE, "1_caf\\xff.sql", "not valid UTF-8");
    free(dir);
}
END_TEST

START_TEST(add_nothing_no_leak)
{
    strata *s = offline();
    strata_migration_def one = {1, "one", "SELECT 1;", NULL};
    /* the leak shows under ASan and valgrind */
    ck_assert_int_eq(strata_add_migrations(s, NULL, 0), STRATA_OK);
    ck_assert_int_eq(strata_add_migrations(s, &one, 0), STRATA_OK);
    ck_assert_uint_eq(strata_migration_count(s), 0);
    strata_close(s);
}
END_TEST

START_TEST(add_file_root_path)
{
    char *dir = test_tmpdir(), cwd[4096];
    strata *s = offline();
    int rc;
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    test_write(dir, "1_strata_root_probe.sql", "SELECT 'the cwd copy';");
    ck_assert_int_eq(chdir(dir), 0);
    /* the path as given: "/1_..." lives in "/", never "./1_..." */
    rc = strata_add_file(s, "/1_strata_root_probe.sql");
    ck_assert_int_eq(chdir(cwd), 0);
    ck_assert_int_eq(rc, STRATA_EIO);
    ck_assert_ptr_nonnull(strstr(strata_errmsg(s), "/1_strata_root_probe.sql: cannot read"));
    ck_assert_uint_eq(strata_migration_count(s), 0);
    strata_close(s);
    free(dir);
}
END_TEST

START_TEST(add_file_reads_pair)
{
    char *dir = test_tmpdir(), p[512];
    strata *s = offline();
    strata_migration_def d;
    test_write(dir, "7_x.up.sql", "CREATE TABLE x (id int);");
    test_write(dir, "7_x.down.sql", "DROP TABLE x;");
    test_write(dir, "8_lone.down.sql", "DROP TABLE y;");
    snprintf(p, sizeof p, "%s/7_x.up.sql", dir);
    ck_assert_int_eq(strata_add_file(s, p), STRATA_OK);
    get(s, 0, &d);
    ck_assert_str_eq(d.down_sql, "DROP TABLE x;"); /* lint must not call it irreversible */
    strata_close(s);
    s = offline();
    snprintf(p, sizeof p, "%s/7_x.down.sql", dir);
    ck_assert_int_eq(strata_add_file(s, p), STRATA_OK);
    get(s, 0, &d);
    ck_assert_int_eq(d.version, 7);
    ck_assert_str_eq(d.up_sql, "CREATE TABLE x (id int);");
    ck_assert_str_eq(d.down_sql, "DROP TABLE x;");
    snprintf(p, sizeof p, "%s/8_lone.down.sql", dir);
    ck_assert_int_eq(strata_add_file(s, p), STRATA_EPARSE);
    ck_assert_ptr_nonnull(strstr(strata_errmsg(s), "8_lone.down.sql: down migration without an up"));
    strata_close(s);
    free(dir);
}
END_TEST

Suite *test_suite(void)
{
    Suite *s = suite_create("source");
    TCase *tc = tcase_create("formats");
    tcase_add_test(tc, sqlx_pairs_and_simple);
    tcase_add_test(tc, dbmate_markers);
    tcase_add_test(tc, goose_markers);
    tcase_add_test(tc, diesel_directories);
    tcase_add_test(tc, bom_dropped_and_memory_source);
    suite_add_tcase(s, tc);
    tc = tcase_create("bad-directories");
    tcase_add_test(tc, bad_duplicate_version);
    tcase_add_test(tc, bad_down_without_up);
    tcase_add_test(tc, bad_unparsable_name);
    tcase_add_test(tc, bad_nul_byte);
    tcase_add_test(tc, bad_invalid_utf8);
    tcase_add_test(tc, bad_unreadable_file);
    tcase_add_test(tc, bad_unknown_directive);
    tcase_add_test(tc, bad_missing_directory);
    tcase_add_test(tc, bad_markers);
    suite_add_tcase(s, tc);
    tc = tcase_create("directives");
    tcase_add_test(tc, directive_values);
    tcase_add_test(tc, api_contract);
    suite_add_tcase(s, tc);
    tc = tcase_create("real-directories");
    tcase_add_test(tc, version_zero_and_range);
    tcase_add_test(tc, version_out_of_range_file);
    tcase_add_test(tc, not_migrations_skipped_once);
    tcase_add_test(tc, digit_names_stay_errors);
    tcase_add_test(tc, empty_directory_reads_nothing);
    tcase_add_test(tc, empty_up_loads);
    tcase_add_test(tc, empty_down_kept);
    suite_add_tcase(s, tc);
    tc = tcase_create("hangs-and-overflows");
    tcase_set_timeout(tc, 20); /* a hang fails fast */
    tcase_add_test(tc, form_feed_after_marker);
    tcase_add_test(tc, lone_cr_ends_a_line);
    tcase_add_test(tc, fifo_refused);
    tcase_add_test(tc, duration_limits);
    tcase_add_test(tc, non_utf8_file_name);
    tcase_add_test(tc, down_directives_checked);
    tcase_add_test(tc, add_nothing_no_leak);
    tcase_add_test(tc, add_file_root_path);
    tcase_add_test(tc, add_file_reads_pair);
    suite_add_tcase(s, tc);
    return s;
}
