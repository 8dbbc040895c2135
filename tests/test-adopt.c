/* strata_adopt: databases migrated by another tool, its history table made
 * with that tool's published DDL and filled as the tool fills it, the schema
 * built by the same migrations; then strata_apply runs only what is new. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

const bool test_needs_pg = true;

static void fresh_db(void)
{
    test_db_new();
}

/* ---- each tool's published DDL (PostgreSQL) ---- */

#define DBMATE_DDL "create table if not exists schema_migrations (version varchar(128) primary key)"
#define MIGRATE_DDL "CREATE TABLE IF NOT EXISTS schema_migrations (version bigint not null " \
                    "primary key, dirty boolean not null)"
#define GOOSE_DDL "CREATE TABLE goose_db_version (id serial NOT NULL, version_id bigint NOT NULL, " \
                  "is_applied boolean NOT NULL, tstamp timestamp NULL default now(), " \
                  "PRIMARY KEY(id))"
#define SQLX_DDL "CREATE TABLE IF NOT EXISTS _sqlx_migrations (version BIGINT PRIMARY KEY, " \
                 "description TEXT NOT NULL, installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), " \
                 "success BOOLEAN NOT NULL, checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL)"
#define DIESEL_DDL "CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (version VARCHAR(50) " \
                   "PRIMARY KEY NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)"
#define FLYWAY_DDL "CREATE TABLE flyway_schema_history (installed_rank INT NOT NULL, " \
                   "version VARCHAR(50), description VARCHAR(200) NOT NULL, type VARCHAR(20) " \
                   "NOT NULL, script VARCHAR(1000) NOT NULL, checksum INTEGER, installed_by " \
                   "VARCHAR(100) NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT now(), " \
                   "execution_time INTEGER NOT NULL, success BOOLEAN NOT NULL);\n" \
                   "ALTER TABLE flyway_schema_history ADD CONSTRAINT flyway_schema_history_pk " \
                   "PRIMARY KEY (installed_rank);\n" \
                   "CREATE INDEX flyway_schema_history_s_idx ON flyway_schema_history (success)"

/* The schema the other tool's first two migrations built. */
#define UP1 "CREATE TABLE users (id int PRIMARY KEY, \"Nämé\" text);"
#define UP2 "CREATE TABLE posts (id int, author int REFERENCES users);"
#define UP3 "CREATE TABLE tags (id int);"

static void built_by_tool(const char *ddl, const char *rows)
{
    test_sql(UP1);
    test_sql(UP2);
    test_sql(ddl);
    if (rows)
        test_sql(rows);
}

/* A directory in @fmt ("dbmate", "pair", "goose", "simple") with the three
 * migrations at versions @v1 < @v2 < @v3 (as file name prefixes). */
static char *dir_with(const char *fmt, const char *v1, const char *v2, const char *v3)
{
    char *dir = test_tmpdir(), name[128], body[256];
    const char *vs[] = {v1, v2, v3}, *ups[] = {UP1, UP2, UP3}, *tbl[] = {"users", "posts", "tags"};
    for (int i = 0; i < 3; i++) {
        if (strcmp(fmt, "dbmate") == 0) {
            snprintf(name, sizeof name, "%s_%s.sql", vs[i], tbl[i]);
            snprintf(body, sizeof body, "-- migrate:up\n%s\n-- migrate:down\nDROP TABLE %s;\n",
                     ups[i], tbl[i]);
        } else if (strcmp(fmt, "goose") == 0) {
            snprintf(name, sizeof name, "%s_%s.sql", vs[i], tbl[i]);
            snprintf(body, sizeof body, "-- +goose Up\n%s\n-- +goose Down\nDROP TABLE %s;\n",
                     ups[i], tbl[i]);
        } else if (strcmp(fmt, "pair") == 0) {
            snprintf(name, sizeof name, "%s_%s.down.sql", vs[i], tbl[i]);
            snprintf(body, sizeof body, "DROP TABLE %s;\n", tbl[i]);
            test_write(dir, name, body);
            snprintf(name, sizeof name, "%s_%s.up.sql", vs[i], tbl[i]);
            snprintf(body, sizeof body, "%s\n", ups[i]);
        } else {
            snprintf(name, sizeof name, "%s_%s.sql", vs[i], tbl[i]);
            snprintf(body, sizeof body, "%s\n", ups[i]);
        }
        test_write(dir, name, body);
    }
    return dir;
}

static strata *open_dir(const char *dir)
{
    strata *s = test_open();
    ck_assert_msg(strata_add_dir(s, dir) == STRATA_OK, "%s", strata_errmsg(s));
    return s;
}

static char *fingerprint(const char *table)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                              "FROM %s t", table);
    return test_query_value(sql);
}

static long history_rows(void)
{
    char *v = test_query_value("SELECT to_regclass('strata_history') IS NOT NULL");
    bool exists = v && v[0] == 't';
    free(v);
    return exists ? test_query_long("SELECT count(*) FROM strata_history") : 0;
}

static bool history_exists(void)
{
    char *v = test_query_value("SELECT to_regclass('strata_history') IS NOT NULL");
    bool exists = v && v[0] == 't';
    free(v);
    return exists;
}

/* Before adopting, strata_apply refuses: it names @tool and @table (as
 * detected), applies nothing and creates nothing. */
static void apply_refused(strata *s, const char *tool, const char *table)
{
    char quoted[128], plain[128], *t = NULL, *tb = NULL;
    int rc = strata_apply(s, STRATA_LATEST);
    snprintf(quoted, sizeof quoted, "%s (table \"public\".\"%s\")", tool, table);
    snprintf(plain, sizeof plain, "public.%s", table);
    ck_assert_msg(rc == STRATA_EOTHERHISTORY, "apply before adopt: %d %s", rc, strata_errmsg(s));
    ck_assert_msg(strstr(strata_errmsg(s), quoted) && strstr(strata_errmsg(s), "run 'strata adopt' first") &&
                  strstr(strata_errmsg(s), "--ignore-other-history") &&
                  strstr(strata_errmsg(s), "strata's history does not exist yet"), "%s", strata_errmsg(s));
    ck_assert(!history_exists());
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_tables WHERE tablename = 'tags'"), 0);
    ck_assert_int_eq(strata_other_history(s, &t, &tb), STRATA_OK);
    ck_assert_str_eq(t, tool);
    ck_assert_str_eq(tb, plain);
    strata_free(t);
    strata_free(tb);
}

/* Adopts, checks the count and that the other table is untouched, then
 * applies: only migration 3 may run (1 and 2 would fail: tables exist).
 * @refused_as: the tool a strata_apply before adopting names, or NULL
 * when the table is not one detection looks for. */
static void adopt_then_apply(const char *dir, const char *tool, const char *table,
                             const char *their_table, int64_t expect, const char *refused_as)
{
    strata *s = open_dir(dir);
    char *before = fingerprint(their_table);
    int64_t n = -1;
    if (refused_as)
        apply_refused(s, refused_as, their_table);
    int rc = strata_adopt(s, tool, table, &n);
    ck_assert_msg(rc == STRATA_OK, "adopt: %d %s", rc, strata_errmsg(s));
    ck_assert_int_eq(n, expect);
    char *after = fingerprint(their_table);
    ck_assert_str_eq(before, after);
    ck_assert_int_eq(history_rows(), expect);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history WHERE state = 'applied' "
                                     "AND octet_length(checksum) = 32 AND duration_ms IS NULL"),
                     expect);
    rc = strata_apply(s, STRATA_LATEST);
    ck_assert_msg(rc == STRATA_OK, "apply after adopt: %d %s", rc, strata_errmsg(s));
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_tables WHERE tablename = 'tags'"), 1);
    ck_assert_int_eq(history_rows(), 3);
    /* adopting again records nothing */
    ck_assert_int_eq(strata_adopt(s, tool, table, &n), STRATA_OK);
    ck_assert_int_eq(n, 0);
    strata_close(s);
    free(before);
    free(after);
}

/* ---- one per tool ---- */

START_TEST(dbmate)
{
    char *dir = dir_with("dbmate", "20240101000001", "20240101000002", "20240101000003");
    built_by_tool(DBMATE_DDL, "insert into schema_migrations (version) values "
                              "('20240101000001'), ('20240101000002')");
    adopt_then_apply(dir, "dbmate", NULL, "schema_migrations", 2, "dbmate");
    free(dir);
}
END_TEST

START_TEST(golang_migrate_detected)
{
    char *dir = dir_with("pair", "1", "2", "3");
    /* golang-migrate keeps one row: the current version */
    built_by_tool(MIGRATE_DDL, "TRUNCATE schema_migrations; "
                               "INSERT INTO schema_migrations (version, dirty) VALUES (2, false)");
    adopt_then_apply(dir, NULL, NULL, "schema_migrations", 2, "golang-migrate");
    free(dir);
}
END_TEST

START_TEST(golang_migrate_dirty_refused)
{
    char *dir = dir_with("pair", "1", "2", "3");
    built_by_tool(MIGRATE_DDL, "INSERT INTO schema_migrations (version, dirty) VALUES (2, true)");
    strata *s = open_dir(dir);
    int64_t n = -1;
    ck_assert_int_eq(strata_adopt(s, "golang-migrate", NULL, &n), STRATA_EDIRTY);
    ck_assert_msg(strstr(strata_errmsg(s), "version 2") && strstr(strata_errmsg(s), "migrate force"),
                  "%s", strata_errmsg(s));
    ck_assert_int_eq(n, -1);
    ck_assert_int_eq(history_rows(), 0);
    strata_close(s);
    free(dir);
}
END_TEST

START_TEST(goose_latest_row_decides)
{
    char *dir = dir_with("goose", "00001", "00002", "00003");
    /* 3 was applied, then rolled back (goose before v3.x appended a row) */
    built_by_tool(GOOSE_DDL, "INSERT INTO goose_db_version (version_id, is_applied) VALUES "
                             "(0, true), (1, true), (2, true), (3, true), (3, false)");
    adopt_then_apply(dir, NULL, NULL, "goose_db_version", 2, "goose");
    free(dir);
}
END_TEST

START_TEST(sqlx_only_success)
{
    char *dir = dir_with("pair", "1", "2", "3");
    built_by_tool(SQLX_DDL, "INSERT INTO _sqlx_migrations (version, description, success, "
                            "checksum, execution_time) VALUES (1, 'users', true, '\\x00', 10), "
                            "(2, 'posts', true, '\\x01', 12)");
    adopt_then_apply(dir, "sqlx", NULL, "_sqlx_migrations", 2, "sqlx");
    /* a failed row: the database may be half-migrated */
    test_sql("INSERT INTO _sqlx_migrations (version, description, success, checksum, "
             "execution_time) VALUES (4, 'half', false, '\\x02', -1)");
    strata *s = open_dir(dir);
    ck_assert_int_eq(strata_adopt(s, "sqlx", NULL, NULL), STRATA_EDIRTY);
    ck_assert_msg(strstr(strata_errmsg(s), "version 4"), "%s", strata_errmsg(s));
    strata_close(s);
    free(dir);
}
END_TEST

START_TEST(diesel_directories)
{
    char *dir = test_tmpdir(), sub[300];
    const char *names[] = {"2024-01-01-000001_users", "2024-01-01-000002_posts",
                           "2024-01-01-000003_tags"};
    const char *ups[] = {UP1, UP2, UP3};
    for (int i = 0; i < 3; i++) {
        snprintf(sub, sizeof sub, "%s/%s", dir, names[i]);
        ck_assert_int_eq(mkdir(sub, 0755), 0);
        test_write(sub, "up.sql", ups[i]);
        test_write(sub, "down.sql", "SELECT 1;");
    }
    built_by_tool(DIESEL_DDL, "INSERT INTO __diesel_schema_migrations (version) VALUES "
                              "('20240101000001'), ('20240101000002')");
    adopt_then_apply(dir, "diesel", NULL, "__diesel_schema_migrations", 2, "diesel");
    free(dir);
}
END_TEST

#define FLYWAY_ROW(rank, version, type, success)                                              \
    "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, " \
    "installed_by, execution_time, success) VALUES (" #rank ", " version ", 'd', '" type      \
    "', 's.sql', 'me', 1, " #success ");"

START_TEST(flyway_rows)
{
    char *dir = dir_with("simple", "1", "2", "3");
    built_by_tool(FLYWAY_DDL, FLYWAY_ROW(1, "'1'", "SQL", true)
                              FLYWAY_ROW(2, "NULL", "SQL", true) /* repeatable */
                              FLYWAY_ROW(3, "'2'", "SQL", true)
                              FLYWAY_ROW(4, "'3'", "SQL", true)
                              FLYWAY_ROW(5, "'3'", "DELETE", true)); /* repaired away */
    adopt_then_apply(dir, NULL, NULL, "flyway_schema_history", 2, "flyway");
    free(dir);
}
END_TEST

START_TEST(flyway_baseline_and_dotted)
{
    char *dir = dir_with("simple", "1", "2", "3");
    built_by_tool(FLYWAY_DDL, FLYWAY_ROW(1, "'2'", "BASELINE", true));
    adopt_then_apply(dir, "flyway", NULL, "flyway_schema_history", 2, "flyway");
    test_sql(FLYWAY_ROW(2, "'3.1'", "SQL", true));
    strata *s = open_dir(dir);
    ck_assert_int_eq(strata_adopt(s, "flyway", NULL, NULL), STRATA_EPARSE);
    ck_assert_msg(strstr(strata_errmsg(s), "\"3.1\"") && strstr(strata_errmsg(s), "flyway"), "%s",
                  strata_errmsg(s));
    strata_close(s);
    free(dir);
}
END_TEST

/* ---- refusals and detection ---- */

START_TEST(unknown_versions_refused_unless_recorded)
{
    char *dir = dir_with("dbmate", "20240101000001", "20240101000002", "20240101000003");
    built_by_tool(DBMATE_DDL, "insert into schema_migrations (version) values ('20230101000000'), "
                              "('20240101000001'), ('20240101000002'), ('20230505000000')");
    strata *s = open_dir(dir);
    int64_t n = -1;
    ck_assert_int_eq(strata_adopt(s, NULL, NULL, &n), STRATA_EUNKNOWN);
    ck_assert_msg(strstr(strata_errmsg(s), "20230101000000, 20230505000000") &&
                  strstr(strata_errmsg(s), "2 version(s)"), "%s", strata_errmsg(s));
    ck_assert_int_eq(n, -1);
    ck_assert_int_eq(history_rows(), 0); /* nothing recorded */
    strata_close(s);
    /* once in strata's history, such a version is no obstacle */
    test_sql("delete from schema_migrations where version like '2023%'");
    s = open_dir(dir);
    ck_assert_int_eq(strata_adopt(s, NULL, NULL, &n), STRATA_OK);
    ck_assert_int_eq(n, 2);
    strata_close(s);
    test_sql("insert into schema_migrations values ('20240101000003')");
    test_sql(UP3);
    char *dir2 = dir_with("dbmate", "20240101000002", "20240101000003", "20240101000004");
    s = open_dir(dir2); /* 1 is gone from the directory, but strata recorded it */
    ck_assert_msg(strata_adopt(s, NULL, NULL, &n) == STRATA_OK, "%s", strata_errmsg(s));
    ck_assert_int_eq(n, 1);
    strata_close(s);
    free(dir);
    free(dir2);
}
END_TEST

START_TEST(detection_refuses_ambiguity)
{
    char *dir = dir_with("pair", "1", "2", "3");
    strata *s = open_dir(dir);
    ck_assert_int_eq(strata_adopt(s, NULL, NULL, NULL), STRATA_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(strata_errmsg(s), "goose_db_version"));
    ck_assert_int_eq(strata_adopt(s, "goose", NULL, NULL), STRATA_ENOTFOUND);
    ck_assert_int_eq(strata_adopt(s, "rails", NULL, NULL), STRATA_EINVAL);
    ck_assert_ptr_nonnull(strstr(strata_errmsg(s), "dbmate, golang-migrate"));
    /* another application's schema_migrations is not taken for a tool's */
    test_sql("CREATE TABLE schema_migrations (id int, note text)");
    ck_assert_int_eq(strata_adopt(s, NULL, NULL, NULL), STRATA_ENOTFOUND);
    ck_assert_int_eq(strata_adopt(s, NULL, "schema_migrations", NULL), STRATA_EINVAL);
    ck_assert_ptr_nonnull(strstr(strata_errmsg(s), "columns: id,note"));
    test_sql("DROP TABLE schema_migrations");
    test_sql(DBMATE_DDL);
    test_sql(GOOSE_DDL);
    ck_assert_int_eq(strata_adopt(s, NULL, NULL, NULL), STRATA_EINVAL);
    ck_assert_msg(strstr(strata_errmsg(s), "dbmate (\"public\".\"schema_migrations\"), "
                         "goose (\"public\".\"goose_db_version\")"),
                  "%s", strata_errmsg(s));
    /* naming the tool settles it */
    ck_assert_int_eq(strata_adopt(s, "goose", NULL, NULL), STRATA_OK);
    ck_assert_int_eq(strata_adopt(NULL, NULL, NULL, NULL), STRATA_EINVAL);
    strata_close(s);
    ck_assert_int_eq(strata_open(&s, NULL), STRATA_OK);
    ck_assert_int_eq(strata_adopt(s, "dbmate", NULL, NULL), STRATA_ENODB);
    strata_close(s);
    free(dir);
}
END_TEST

START_TEST(named_table_quoted)
{
    char *dir = dir_with("simple", "1", "2", "3");
    test_sql("CREATE SCHEMA \"Legacy Ü\"");
    built_by_tool("create table \"Legacy Ü\".\"My \"\"Migrations\" (version varchar(128) primary key)",
                  "insert into \"Legacy Ü\".\"My \"\"Migrations\" values ('1'), ('2')");
    adopt_then_apply(dir, NULL, "Legacy Ü.My \"Migrations", "\"Legacy Ü\".\"My \"\"Migrations\"", 2, NULL);
    strata *s = open_dir(dir);
    ck_assert_int_eq(strata_adopt(s, "dbmate", "x'; DROP TABLE users; --", NULL), STRATA_ENOTFOUND);
    ck_assert_int_eq(strata_adopt(s, "dbmate", "a.b.c", NULL), STRATA_EINVAL);
    ck_assert_int_eq(strata_adopt(s, "dbmate", "", NULL), STRATA_EINVAL);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_tables WHERE tablename = 'users'"), 1);
    strata_close(s);
    free(dir);
}
END_TEST

START_TEST(runs_under_the_migrator_lock)
{
    char *dir = dir_with("dbmate", "20240101000001", "20240101000002", "20240101000003");
    built_by_tool(DBMATE_DDL, "insert into schema_migrations values ('20240101000001')");
    PGconn *holder = test_connect();
    PGresult *r = PQexec(holder, "SELECT pg_advisory_lock(hashtextextended(current_database() || "
                                 "'/' || current_schema() || '/' || 'strata_history', 0))");
    ck_assert_int_eq(PQresultStatus(r), PGRES_TUPLES_OK);
    PQclear(r);
    strata *s = open_dir(dir);
    strata_set_lock_wait_ms(s, 200);
    ck_assert_int_eq(strata_adopt(s, NULL, NULL, NULL), STRATA_ELOCKED);
    ck_assert_int_eq(history_rows(), 0);
    PQfinish(holder);
    int64_t n = 0;
    ck_assert_int_eq(strata_adopt(s, NULL, NULL, &n), STRATA_OK);
    ck_assert_int_eq(n, 1);
    strata_close(s);
    free(dir);
}
END_TEST

/* ---- the refusal before strata's first run ---- */

/* The database is empty but for goose's table (its migrations undone by
 * hand, say): the option applies everything; without it nothing runs. */
START_TEST(ignore_option_applies_everything)
{
    char *dir = dir_with("goose", "00001", "00002", "00003");
    test_sql(GOOSE_DDL);
    test_sql("INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true)");
    strata *s = open_dir(dir);
    char *t = (char *)"x";
    /* goose's row 0 alone records nothing applied: adopt would record
     * nothing, so there is nothing to refuse */
    ck_assert_int_eq(strata_other_history(s, &t, NULL), STRATA_OK);
    ck_assert_ptr_null(t);
    strata_set_dry_run(s, 1); /* a dry run of the refused run is refused too */
    ck_assert_msg(strata_apply(s, STRATA_LATEST) == STRATA_OK, "%s", strata_errmsg(s));
    test_sql("INSERT INTO goose_db_version (version_id, is_applied) VALUES (1, true), (2, true)");
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_EOTHERHISTORY);
    strata_set_dry_run(s, 0);
    ck_assert_int_eq(strata_set_ignore_other_history(NULL, 1), STRATA_EINVAL);
    ck_assert_int_eq(strata_set_ignore_other_history(s, 1), STRATA_OK);
    ck_assert_msg(strata_apply(s, STRATA_LATEST) == STRATA_OK, "%s", strata_errmsg(s));
    ck_assert_int_eq(history_rows(), 3);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_tables WHERE tablename IN "
                                     "('users', 'posts', 'tags')"), 3);
    strata_close(s);
    free(dir);
}
END_TEST

/* Adopted long ago: strata's history has rows, the old schema_migrations
 * stayed behind. New migrations apply. */
START_TEST(left_behind_table_not_refused)
{
    char *dir = dir_with("dbmate", "20240101000001", "20240101000002", "20240101000003");
    built_by_tool(DBMATE_DDL, "insert into schema_migrations (version) values "
                              "('20240101000001'), ('20240101000002')");
    strata *s = open_dir(dir);
    ck_assert_int_eq(strata_adopt(s, NULL, NULL, NULL), STRATA_OK);
    strata_close(s);
    s = open_dir(dir);
    ck_assert_msg(strata_apply(s, 20240101000003) == STRATA_OK, "%s", strata_errmsg(s));
    ck_assert_int_eq(history_rows(), 3);
    strata_close(s);
    free(dir);
}
END_TEST

/* Several tools' tables: each named; another application's
 * schema_migrations is not a tool's; strata's own history table under such
 * a name (emptied by reverting everything) is never taken for one. */
START_TEST(refusal_names_each_and_skips_strata_own)
{
    char *dir = dir_with("pair", "1", "2", "3"), *t = (char *)"x", *tb = (char *)"y";
    strata *s = open_dir(dir);
    test_sql("CREATE TABLE schema_migrations (id int, note text)");
    ck_assert_int_eq(strata_other_history(s, &t, &tb), STRATA_OK);
    ck_assert_ptr_null(t);
    ck_assert_ptr_null(tb);
    test_sql(SQLX_DDL);
    test_sql(FLYWAY_DDL);
    ck_assert_int_eq(strata_apply(s, 1), STRATA_OK); /* empty: adopting them would record nothing */
    ck_assert_int_eq(strata_revert(s, STRATA_BEFORE_FIRST), STRATA_OK);
    test_sql("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) "
             "VALUES (1, 'users', true, '\\x00', 10)");
    test_sql(FLYWAY_ROW(1, "'1'", "SQL", false)); /* failed: it ran something */
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_EOTHERHISTORY);
    ck_assert_msg(strstr(strata_errmsg(s), "sqlx (table \"public\".\"_sqlx_migrations\"), flyway "
                                          "(table \"public\".\"flyway_schema_history\")") &&
                  strstr(strata_errmsg(s), "strata adopt --from TOOL") &&
                  strstr(strata_errmsg(s), "is empty"), "%s", strata_errmsg(s));
    ck_assert_int_eq(strata_other_history(s, &t, NULL), STRATA_OK);
    ck_assert_str_eq(t, "sqlx");
    strata_free(t);
    strata_close(s);
    test_sql("DROP TABLE _sqlx_migrations, flyway_schema_history, schema_migrations");
    s = open_dir(dir);
    ck_assert_int_eq(strata_set_history_table(s, "schema_migrations"), STRATA_OK);
    ck_assert_msg(strata_apply(s, STRATA_LATEST) == STRATA_OK, "%s", strata_errmsg(s));
    ck_assert_int_eq(strata_revert(s, STRATA_BEFORE_FIRST), STRATA_OK);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM schema_migrations"), 0);
    ck_assert_int_eq(strata_other_history(s, &t, &tb), STRATA_OK);
    ck_assert_ptr_null(t);
    ck_assert_msg(strata_apply(s, STRATA_LATEST) == STRATA_OK, "%s", strata_errmsg(s));
    strata_close(s);
    /* empty strata history, another tool's table: refused, "is empty" */
    test_sql(DIESEL_DDL);
    test_sql("INSERT INTO __diesel_schema_migrations (version) VALUES ('1')");
    s = open_dir(dir);
    ck_assert_int_eq(strata_set_history_table(s, "schema_migrations"), STRATA_OK);
    ck_assert_int_eq(strata_revert(s, STRATA_BEFORE_FIRST), STRATA_OK);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_EOTHERHISTORY);
    ck_assert_msg(strstr(strata_errmsg(s), "diesel (table") && strstr(strata_errmsg(s), "is empty"),
                  "%s", strata_errmsg(s));
    strata_close(s);
    ck_assert_int_eq(strata_other_history(NULL, &t, &tb), STRATA_EINVAL);
    ck_assert_int_eq(strata_open(&s, NULL), STRATA_OK);
    ck_assert_int_eq(strata_other_history(s, &t, &tb), STRATA_ENODB);
    strata_close(s);
    free(dir);
}
END_TEST

/* Found by name in every schema, not through the search_path: dbmate's
 * table in a schema off the path, then with the database's search_path
 * '' (strata's history named schema-qualified). */
START_TEST(found_off_the_search_path)
{
    char *dir = dir_with("dbmate", "20240101000001", "20240101000002", "20240101000003");
    char *t = NULL, *tb = NULL, *db, sql[256];
    int64_t n = -1;
    test_sql("CREATE SCHEMA app");
    built_by_tool("create table app.schema_migrations (version varchar(128) primary key)",
                  "insert into app.schema_migrations values ('20240101000001'), ('20240101000002')");
    strata *s = open_dir(dir);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_EOTHERHISTORY);
    ck_assert_msg(strstr(strata_errmsg(s), "dbmate (table \"app\".\"schema_migrations\")"), "%s",
                  strata_errmsg(s));
    ck_assert(!history_exists());
    ck_assert_int_eq(strata_other_history(s, &t, &tb), STRATA_OK);
    ck_assert_str_eq(t, "dbmate");
    ck_assert_str_eq(tb, "app.schema_migrations");
    strata_free(t);
    strata_free(tb);
    strata_close(s);
    /* search_path '': the table in public is found all the same */
    test_sql("ALTER TABLE app.schema_migrations SET SCHEMA public");
    db = test_query_value("SELECT quote_ident(current_database())");
    snprintf(sql, sizeof sql, "ALTER DATABASE %s SET search_path = ''", db);
    test_sql(sql);
    s = open_dir(dir);
    ck_assert_int_eq(strata_set_history_table(s, "public.strata_history"), STRATA_OK);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_EOTHERHISTORY);
    ck_assert_msg(strstr(strata_errmsg(s), "dbmate (table \"public\".\"schema_migrations\")"), "%s",
                  strata_errmsg(s));
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_tables WHERE tablename = 'strata_history'"), 0);
    /* adopt's detection finds the same table */
    ck_assert_msg(strata_adopt(s, NULL, NULL, &n) == STRATA_OK, "%s", strata_errmsg(s));
    ck_assert_int_eq(n, 2);
    strata_close(s);
    free(db);
    free(dir);
}
END_TEST

/* A role that cannot read the other tool's table: refused all the same,
 * saying so, not failed with an SQL error. */
START_TEST(unreadable_table_refused)
{
    char *dir = dir_with("dbmate", "20240101000001", "20240101000002", "20240101000003");
    built_by_tool(DBMATE_DDL, "insert into schema_migrations values ('20240101000001')");
    test_sql("DROP ROLE IF EXISTS strata_adopt_noread; CREATE ROLE strata_adopt_noread");
    PGconn *c = test_connect();
    PGresult *r = PQexec(c, "SET ROLE strata_adopt_noread");
    ck_assert_int_eq(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    strata *s = NULL;
    ck_assert_int_eq(strata_open_conn(&s, c), STRATA_OK);
    ck_assert_int_eq(strata_add_dir(s, dir), STRATA_OK);
    int rc = strata_apply(s, STRATA_LATEST);
    ck_assert_msg(rc == STRATA_EOTHERHISTORY, "%d %s", rc, strata_errmsg(s));
    ck_assert_msg(strstr(strata_errmsg(s), "dbmate (table \"public\".\"schema_migrations\", present "
                                          "but unreadable by this role)") &&
                  strstr(strata_errmsg(s), "--ignore-other-history") &&
                  strstr(strata_errmsg(s), "strata_set_ignore_other_history"), "%s", strata_errmsg(s));
    ck_assert(!history_exists());
    strata_close(s);
    PQfinish(c);
    test_sql("DROP ROLE strata_adopt_noread");
    free(dir);
}
END_TEST

Suite *test_suite(void)
{
    Suite *s = suite_create("adopt");
    TCase *tc = tcase_create("tools");
    tcase_add_checked_fixture(tc, fresh_db, NULL);
    tcase_add_test(tc, dbmate);
    tcase_add_test(tc, golang_migrate_detected);
    tcase_add_test(tc, golang_migrate_dirty_refused);
    tcase_add_test(tc, goose_latest_row_decides);
    tcase_add_test(tc, sqlx_only_success);
    tcase_add_test(tc, diesel_directories);
    tcase_add_test(tc, flyway_rows);
    tcase_add_test(tc, flyway_baseline_and_dotted);
    suite_add_tcase(s, tc);
    tc = tcase_create("checks");
    tcase_add_checked_fixture(tc, fresh_db, NULL);
    tcase_add_test(tc, unknown_versions_refused_unless_recorded);
    tcase_add_test(tc, detection_refuses_ambiguity);
    tcase_add_test(tc, named_table_quoted);
    tcase_add_test(tc, runs_under_the_migrator_lock);
    suite_add_tcase(s, tc);
    tc = tcase_create("refusal");
    tcase_add_checked_fixture(tc, fresh_db, NULL);
    tcase_add_test(tc, ignore_option_applies_everything);
    tcase_add_test(tc, left_behind_table_not_refused);
    tcase_add_test(tc, refusal_names_each_and_skips_strata_own);
    tcase_add_test(tc, found_off_the_search_path);
    tcase_add_test(tc, unreadable_table_refused);
    suite_add_tcase(s, tc);
    return s;
}
