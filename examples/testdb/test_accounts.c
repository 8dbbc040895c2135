/* Integration tests of the example service, one fresh migrated database per
 * test case, cloned from a template in milliseconds (strata_testdb_create).
 *
 *   STRATA_ADMIN_URL=postgresql://postgres@localhost/postgres ./testdb-example
 *
 * STRATA_ADMIN_URL is a role with CREATEDB on a maintenance database; the
 * migrations are the service's (STRATA_MIGRATIONS overrides the directory).
 * The first run builds the template; each case then costs one clone. */
#include <check.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <strata.h>

#ifndef MIGRATIONS_DIR
#define MIGRATIONS_DIR "migrations"
#endif

/* Per test case (check runs each in its own process): the admin handle and
 * the URI of this case's database. */
static strata *admin;
static char *db_uri;
static PGconn *db;

static void fresh_database(void)
{
    const char *url = getenv("STRATA_ADMIN_URL"), *dir = getenv("STRATA_MIGRATIONS");
    int rc = strata_open(&admin, url ? url : "dbname=postgres");
    if (rc == STRATA_OK)
        rc = strata_add_dir(admin, dir ? dir : MIGRATIONS_DIR);
    if (rc == STRATA_OK)
        rc = strata_testdb_create(admin, &db_uri);
    ck_assert_msg(rc == STRATA_OK, "fresh database: %s", strata_errmsg(admin));
    db = PQconnectdb(db_uri);
    ck_assert_msg(PQstatus(db) == CONNECTION_OK, "%s", PQerrorMessage(db));
}

static void drop_database(void)
{
    PQfinish(db);
    if (db_uri && strata_testdb_drop(admin, db_uri) != STRATA_OK)
        fprintf(stderr, "drop %s: %s\n", db_uri, strata_errmsg(admin));
    strata_free(db_uri);
    strata_close(admin);
    db_uri = NULL;
    admin = NULL;
}

static long query_long(const char *sql)
{
    PGresult *r = PQexec(db, sql);
    long v;
    ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(db));
    v = strtol(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return v;
}

static void exec_ok(const char *sql)
{
    PGresult *r = PQexec(db, sql);
    ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK, "%s: %s", sql, PQerrorMessage(db));
    PQclear(r);
}

START_TEST(signup_stores_account)
{
    exec_ok("INSERT INTO accounts (email, display_name) VALUES ('ana@example.org', 'Ana')");
    ck_assert_int_eq(query_long("SELECT count(*) FROM accounts"), 1);
}
END_TEST

START_TEST(duplicate_email_refused)
{
    /* empty again: the previous case's row is in another database */
    ck_assert_int_eq(query_long("SELECT count(*) FROM accounts"), 0);
    exec_ok("INSERT INTO accounts (email) VALUES ('bo@example.org')");
    PGresult *r = PQexec(db, "INSERT INTO accounts (email) VALUES ('bo@example.org')");
    ck_assert_int_eq(PQresultStatus(r), PGRES_FATAL_ERROR);
    PQclear(r);
}
END_TEST

START_TEST(every_migration_applied)
{
    ck_assert_int_eq(query_long("SELECT count(*) FROM strata_history WHERE state = 'applied'"), 3);
    ck_assert_int_eq(query_long("SELECT count(*) FROM pg_indexes "
                                "WHERE indexname = 'accounts_created_at'"), 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("accounts");
    TCase *tc = tcase_create("accounts");
    SRunner *sr;
    int failed;
    tcase_add_checked_fixture(tc, fresh_database, drop_database);
    tcase_add_test(tc, signup_stores_account);
    tcase_add_test(tc, duplicate_email_refused);
    tcase_add_test(tc, every_migration_applied);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
