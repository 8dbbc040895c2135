/* The linter with a live database: tables looked up by their exact names
 * (mixed case, schema, search_path, blanks, quotes, non-ASCII) for size
 * grading, and column types read from the catalog for ALTER COLUMN TYPE,
 * checked against what PostgreSQL itself does (does the table's file
 * change?). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

const bool test_needs_pg = true;

static void fresh_db(void)
{
    test_db_new();
}

static const strata_lint_finding *find_v(const strata_lint_report *r, int64_t version, const char *rule)
{
    for (size_t i = 0; i < strata_lint_count(r); i++) {
        const strata_lint_finding *f = strata_lint_get(r, i);
        if (f->version == version && strcmp(f->rule, rule) == 0)
            return f;
    }
    return NULL;
}

#define BIG "AS SELECT g AS id, repeat('x', 100) AS pad FROM generate_series(1, 20000) g"

/* A big "Orders" beside a tiny orders: the lookup must find "Orders". */
START_TEST(grading_uses_exact_names)
{
    static const struct {
        const char *sql, *name; /* name as printed */
        int32_t severity;
    } want[] = {
        {"CREATE INDEX ON \"Orders\" (id);", "\"Orders\": ~20000 rows", STRATA_SEVERITY_ERROR},
        {"CREATE INDEX ON \"Sales\".\"Orders\" (id);", "\"Sales\".\"Orders\": ~20000 rows", STRATA_SEVERITY_ERROR},
        {"CREATE INDEX ON \"my table\" (id);", "\"my table\": ~20000 rows", STRATA_SEVERITY_ERROR},
        {"CREATE INDEX ON \"Café Ü\" (id);", "\"Café Ü\": ~20000 rows", STRATA_SEVERITY_ERROR},
        {"CREATE INDEX ON \"we\"\"ird\" (id);", "\"we\"\"ird\": ~20000 rows", STRATA_SEVERITY_ERROR},
        {"CREATE INDEX ON \"Invoices\" (id);", "\"Invoices\": ~20000 rows", STRATA_SEVERITY_ERROR},
        {"CREATE INDEX ON orders (id);", "orders: ~1 rows", STRATA_SEVERITY_WARNING},
        {"CREATE INDEX ON \"Nope\" (id);", "\"Nope\" is not in the database yet", STRATA_SEVERITY_INFO},
    };
    enum { N = sizeof want / sizeof want[0] };
    strata_migration_def defs[N];
    strata_lint_report *r = NULL;
    char sql[300], *db = test_query_value("SELECT current_database()");
    test_sql("CREATE TABLE \"Orders\" " BIG);
    test_sql("CREATE TABLE orders AS SELECT 1 AS id");
    test_sql("CREATE SCHEMA \"Sales\"; CREATE SCHEMA sales");
    test_sql("CREATE TABLE \"Sales\".\"Orders\" " BIG);
    test_sql("CREATE TABLE sales.orders AS SELECT 1 AS id");
    test_sql("CREATE TABLE \"my table\" " BIG);
    test_sql("CREATE TABLE \"Café Ü\" " BIG);
    test_sql("CREATE TABLE \"we\"\"ird\" " BIG);
    test_sql("CREATE TABLE \"Sales\".\"Invoices\" " BIG); /* found through the search_path */
    test_sql("ANALYZE");
    snprintf(sql, sizeof sql, "ALTER DATABASE \"%s\" SET search_path = public, \"Sales\"", db);
    test_sql(sql);
    free(db);
    strata *s = test_open();
    for (int i = 0; i < N; i++)
        defs[i] = (strata_migration_def){i + 1, "ix", want[i].sql, "SELECT 1;"};
    ck_assert_int_eq(strata_add_migrations(s, defs, N), STRATA_OK);
    ck_assert_int_eq(strata_lint(s, &r), STRATA_OK);
    for (int i = 0; i < N; i++) {
        const strata_lint_finding *f = find_v(r, i + 1, "index-not-concurrent");
        ck_assert_msg(f != NULL, "%s: no finding", want[i].sql);
        ck_assert_msg(strstr(f->message, want[i].name) != NULL, "%s: wanted \"%s\" in: %s", want[i].sql,
                      want[i].name, f->message);
        ck_assert_msg(f->severity == want[i].severity, "%s: severity %d: %s", want[i].sql, (int)f->severity,
                      f->message);
    }
    strata_lint_report_free(r);
    /* maintenance statements are graded by their table too */
    strata_migration_def more[] = {{N + 1, "vac", "VACUUM FULL \"Orders\";", "SELECT 1;"},
                                   {N + 2, "cluster", "CLUSTER orders USING orders_i;", "SELECT 1;"}};
    ck_assert_int_eq(strata_add_migrations(s, more, 2), STRATA_OK);
    ck_assert_int_eq(strata_lint(s, &r), STRATA_OK);
    const strata_lint_finding *f = find_v(r, N + 1, "table-rewrite-maintenance");
    ck_assert_msg(f && f->severity == STRATA_SEVERITY_ERROR && strstr(f->message, "(\"Orders\": ~20000 rows"),
                  "%s", f ? f->message : "no finding");
    f = find_v(r, N + 2, "table-rewrite-maintenance");
    ck_assert_msg(f && f->severity == STRATA_SEVERITY_WARNING && strstr(f->message, "(orders: "), "%s",
                  f ? f->message : "no finding");
    strata_lint_report_free(r);
    /* up --lint=error stops at the big mixed-case table */
    strata_set_lint_level(s, STRATA_SEVERITY_ERROR);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_ELINT);
    ck_assert_msg(strstr(strata_errmsg(s), "1_ix:1:1: error: CREATE INDEX on \"Orders\""), "%s", strata_errmsg(s));
    ck_assert_ptr_null(strstr(strata_errmsg(s), "7_ix"));
    strata_close(s);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_indexes WHERE indexname LIKE '%id_idx'"), 0);
}
END_TEST

/* The longest names there are, quoted: printed whole. */
START_TEST(long_names_printed_whole)
{
    char schema[64], table[64], sql[400], want[300];
    strata_lint_report *r = NULL;
    memset(schema, '"', 63); /* 63 quotes: 128 bytes quoted */
    schema[63] = '\0';
    memset(table, '"', 7);
    for (int i = 0; i < 28; i++)
        memcpy(table + 7 + 2 * i, "\xc3\xa9", 2); /* é */
    table[63] = '\0';
    char qs[200] = "\"", qt[200] = "\"";
    for (const char *p = schema; *p; p++)
        strncat(qs, *p == '"' ? "\"\"" : (char[]){*p, 0}, sizeof qs - strlen(qs) - 1);
    for (const char *p = table; *p; p++)
        strncat(qt, *p == '"' ? "\"\"" : (char[]){*p, 0}, sizeof qt - strlen(qt) - 1);
    strcat(qs, "\"");
    strcat(qt, "\"");
    snprintf(sql, sizeof sql, "CREATE INDEX ON %s.%s (id);", qs, qt);
    snprintf(want, sizeof want, "(%s.%s is not in the database yet", qs, qt);
    strata *s = test_open();
    strata_migration_def d = {1, "long", sql, "SELECT 1;"};
    ck_assert_int_eq(strata_add_migrations(s, &d, 1), STRATA_OK);
    ck_assert_int_eq(strata_lint(s, &r), STRATA_OK);
    const strata_lint_finding *f = find_v(r, 1, "index-not-concurrent");
    ck_assert_ptr_nonnull(f);
    ck_assert_msg(strstr(f->message, want) != NULL, "%s", f->message);
    strata_lint_report_free(r);
    strata_close(s);
}
END_TEST

/* The column's type as the catalog has it. */
static const struct type_case {
    const char *col, *type;
} type_cases[] = {
    {"\"Email\"", "varchar(512)"}, {"\"Email\"", "text"}, {"\"Email\"", "varchar"},
    {"\"Email\"", "varchar(100)"}, {"\"Email\"", "varchar(255)"}, {"\"Email\"", "char(300)"},
    {"price", "numeric(12,2)"}, {"price", "numeric"}, {"price", "numeric(12,3)"}, {"price", "numeric(8,2)"},
    {"price", "decimal(10,2)"}, {"n", "numeric(10,0)"}, {"n", "numeric(12)"},
    {"at", "timestamptz(6)"}, {"at", "timestamp with time zone"}, {"at", "timestamptz(1)"},
    {"at", "timestamp(3)"}, {"tm", "time(4)"}, {"tm", "time"}, {"tm", "time(1)"},
    {"id", "bigint"}, {"id", "integer"}, {"id", "text"},
    {"code", "char(10)"}, {"code", "text"}, {"code", "varchar(5)"},
    {"tags", "varchar(20)[]"}, {"tags", "varchar(10)[]"}, {"tags", "varchar(10)"},
    {"ip", "inet"}, {"ip", "cidr"}, {"t", "varchar"}, {"t", "varchar(10)"},
    {"b", "varbit(16)"}, {"b", "varbit"}, {"b", "varbit(4)"},
    {"\"Email\"", "text USING lower(\"Email\")"}, {"\"Email\"", "text USING \"Email\"::text"},
    {"\"Email\"", "varchar(600) USING \"Email\""}, {"\"Email\"", "varchar(600) USING 'x'"},
};

static char *filenode(void)
{
    return test_query_value("SELECT pg_relation_filenode('\"App\".\"Users\"')");
}

/* Live lint says "rewrite" exactly when PostgreSQL rewrites the table. */
START_TEST(live_types_match_postgres)
{
    const struct type_case *tc = &type_cases[_i];
    char sql[300];
    strata_lint_report *r = NULL;
    test_sql("CREATE SCHEMA \"App\"");
    test_sql("CREATE TABLE \"App\".\"Users\" (id int, \"Email\" varchar(255), price numeric(10,2), n numeric(10), "
             "at timestamptz(3), tm time(2), code char(5), tags varchar(10)[], ip cidr, t text, b varbit(8))");
    test_sql("INSERT INTO \"App\".\"Users\" VALUES (1, 'a@b', 1.5, 2, now(), now(), 'x', '{a}', '10.0.0.0/8', 't', "
             "B'101')");
    snprintf(sql, sizeof sql, "ALTER TABLE \"App\".\"Users\" ALTER COLUMN %s TYPE %s;", tc->col, tc->type);
    strata *s = test_open();
    strata_migration_def d = {1, "alter", sql, "SELECT 1;"};
    ck_assert_int_eq(strata_add_migrations(s, &d, 1), STRATA_OK);
    ck_assert_int_eq(strata_lint(s, &r), STRATA_OK);
    const strata_lint_finding *f = find_v(r, 1, "alter-column-type");
    char *before = filenode();
    test_sql(sql);
    char *after = filenode();
    bool rewrote = strcmp(before, after) != 0;
    ck_assert_msg((f != NULL) == rewrote, "%s: PostgreSQL %s, lint %s%s", sql, rewrote ? "rewrote" : "did not rewrite",
                  f ? "reported: " : "said nothing", f ? f->message : "");
    if (f)
        ck_assert_msg(strstr(f->message, "(was "), "%s", f->message);
    free(before);
    free(after);
    strata_lint_report_free(r);
    strata_close(s);
}
END_TEST

/* Types from the set win over the catalog (a pending migration changed
 * them); tables and columns the set creates keep working as offline. */
START_TEST(set_types_before_live_types)
{
    strata_migration_def defs[] = {
        {1, "shrink", "ALTER TABLE u ALTER COLUMN name TYPE varchar(20);", "SELECT 1;"},
        {2, "widen", "ALTER TABLE u ALTER COLUMN name TYPE varchar(50);", "SELECT 1;"},
        {3, "add", "ALTER TABLE u ADD COLUMN x varchar(10);", "SELECT 1;"},
        {4, "widen-new", "ALTER TABLE u ALTER COLUMN x TYPE varchar(30);", "SELECT 1;"},
        {5, "create", "CREATE TABLE fresh (y varchar(10));", "SELECT 1;"},
        {6, "widen-fresh", "ALTER TABLE fresh ALTER COLUMN y TYPE text;", "SELECT 1;"},
        {7, "unknown", "ALTER TABLE u ALTER COLUMN nope TYPE text;", "SELECT 1;"},
    };
    strata_lint_report *r = NULL;
    test_sql("CREATE TABLE u (name varchar(100))");
    strata *s = test_open();
    ck_assert_int_eq(strata_add_migrations(s, defs, 7), STRATA_OK);
    ck_assert_int_eq(strata_lint(s, &r), STRATA_OK);
    const strata_lint_finding *f = find_v(r, 1, "alter-column-type");
    ck_assert_ptr_nonnull(f);
    ck_assert_msg(strstr(f->message, "(was varchar(100))"), "%s", f->message);
    ck_assert_ptr_null(find_v(r, 2, "alter-column-type"));
    ck_assert_ptr_null(find_v(r, 4, "alter-column-type"));
    ck_assert_ptr_null(find_v(r, 6, "alter-column-type"));
    ck_assert_ptr_nonnull(find_v(r, 7, "alter-column-type"));
    strata_lint_report_free(r);
    strata_close(s);
}
END_TEST

/* The connection lost before linting: the linter still answers, as it
 * would offline (no grading, no catalog types), instead of failing. */
START_TEST(lost_connection_lints_offline)
{
    strata_migration_def defs[] = {
        {1, "widen", "ALTER TABLE u ALTER COLUMN name TYPE varchar(200);", "SELECT 1;"},
        {2, "ix", "CREATE INDEX ON u (name);", "SELECT 1;"},
    };
    strata_lint_report *r = NULL;
    test_sql("CREATE TABLE u (name varchar(100))");
    strata *s = test_open();
    ck_assert_int_eq(strata_set_lint_all(s, 1), STRATA_OK);
    ck_assert_int_eq(strata_add_migrations(s, defs, 2), STRATA_OK);
    test_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
             "AND pid <> pg_backend_pid()");
    ck_assert_msg(strata_lint(s, &r) == STRATA_OK, "%s", strata_errmsg(s));
    const strata_lint_finding *f = find_v(r, 1, "alter-column-type");
    ck_assert_ptr_nonnull(f); /* the old type is unknown offline */
    ck_assert_ptr_null(strstr(f->message, "(was "));
    f = find_v(r, 2, "index-not-concurrent");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->severity, STRATA_SEVERITY_ERROR);
    ck_assert_msg(strstr(f->message, "rows") == NULL, "%s", f->message);
    strata_lint_report_free(r);
    strata_close(s);
}
END_TEST

Suite *test_suite(void)
{
    Suite *s = suite_create("lint-live");
    TCase *tc = tcase_create("names");
    tcase_add_checked_fixture(tc, fresh_db, NULL);
    tcase_add_test(tc, grading_uses_exact_names);
    tcase_add_test(tc, long_names_printed_whole);
    suite_add_tcase(s, tc);
    tc = tcase_create("types");
    tcase_add_checked_fixture(tc, fresh_db, NULL);
    tcase_add_loop_test(tc, live_types_match_postgres, 0, (int)(sizeof type_cases / sizeof type_cases[0]));
    tcase_add_test(tc, set_types_before_live_types);
    tcase_add_test(tc, lost_connection_lints_offline);
    suite_add_tcase(s, tc);
    return s;
}
