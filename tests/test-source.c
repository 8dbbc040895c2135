/* Reading migrations: every directory format, directives, and every bad
 * directory case refused with a message naming the path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
    ck_assert_str_eq(d.down_sql, "DROP TABLE u;\n");
    get(s, 1, &d);
    ck_assert_ptr_null(d.down_sql); /* an empty down section is no down */
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
    ck_assert_str_eq(d.down_sql, "DROP FUNCTION f();\n");
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
    ck_assert_str_eq(d.down_sql, "DROP TABLE users;\n");
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
    test_write(dir, "create_users.sql", "SELECT 2;");
    expect_bad(dir, STRATA_EPARSE, "create_users.sql", "<version>_<name>");
    free(dir);
}
END_TEST

START_TEST(bad_empty_up)
{
    char *dir = test_tmpdir();
    test_write(dir, "1_a.up.sql", "  \n-- only a comment\n");
    expect_bad(dir, STRATA_EPARSE, "1_a.up.sql", "empty");
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
    tcase_add_test(tc, bad_empty_up);
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
    return s;
}
