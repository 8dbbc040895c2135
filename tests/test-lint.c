/* The linter: for every rule, statements that must be reported and close
 * look-alikes that must not; suppression; positions; the unparsable; and a
 * corpus of real SQL (PostgreSQL's own extension scripts). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness.h"

const bool test_needs_pg = false;

typedef struct lint_case {
    const char *rule;
    bool expect;
    const char *setup;   /* earlier migrations, separated by "\n---\n", or NULL */
    const char *sql;     /* the migration checked (last version) */
    const char *down;    /* NULL: none */
    int pgv;             /* 0: default (15) */
} lint_case;

#define DOWN "SELECT 1;"
#define NOTX "-- strata:no-transaction\n"

static const lint_case cases[] = {
    {"index-not-concurrent", true, NULL, "CREATE INDEX i ON users (email);", DOWN, 0},
    {"index-not-concurrent", true, NULL, "CREATE UNIQUE INDEX i ON public.users (lower(email));", DOWN, 0},
    {"index-not-concurrent", false, NULL, "CREATE TABLE t (id int);\nCREATE INDEX i ON t (id);", DOWN, 0},
    {"index-not-concurrent", false, NULL, NOTX "CREATE INDEX CONCURRENTLY i ON users (email);", DOWN, 0},

    {"drop-index-not-concurrent", true, NULL, "DROP INDEX users_email;", DOWN, 0},
    {"drop-index-not-concurrent", true, NULL, "DROP INDEX IF EXISTS a, b;", DOWN, 0},
    {"drop-index-not-concurrent", false, NULL, NOTX "DROP INDEX CONCURRENTLY users_email;", DOWN, 0},
    {"drop-index-not-concurrent", false, NULL, "DROP VIEW users_view;", DOWN, 0},

    {"reindex-not-concurrent", true, NULL, "REINDEX INDEX users_email;", DOWN, 0},
    {"reindex-not-concurrent", true, NULL, "REINDEX TABLE users;", DOWN, 0},
    {"reindex-not-concurrent", false, NULL, NOTX "REINDEX INDEX CONCURRENTLY users_email;", DOWN, 0},
    {"reindex-not-concurrent", false, NULL, NOTX "REINDEX TABLE CONCURRENTLY users;", DOWN, 0},

    {"concurrently-in-transaction", true, NULL, "CREATE INDEX CONCURRENTLY i ON users (email);", DOWN, 0},
    {"concurrently-in-transaction", true, NULL, "DROP INDEX CONCURRENTLY i;", DOWN, 0},
    {"concurrently-in-transaction", true, NULL, "ALTER TABLE ev DETACH PARTITION ev_2020 CONCURRENTLY;", DOWN, 0},
    {"concurrently-in-transaction", false, NULL, NOTX "CREATE INDEX CONCURRENTLY i ON users (email);", DOWN, 0},
    {"concurrently-in-transaction", false, NULL, "REFRESH MATERIALIZED VIEW CONCURRENTLY mv;", DOWN, 0},

    {"add-column-volatile-default", true, NULL, "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();", DOWN, 0},
    {"add-column-volatile-default", true, NULL, "ALTER TABLE users ADD COLUMN r int DEFAULT (random() * 100)::int;", DOWN, 0},
    {"add-column-volatile-default", true, NULL, "ALTER TABLE users ADD COLUMN n int DEFAULT 0;", DOWN, 10},
    {"add-column-volatile-default", false, NULL, "ALTER TABLE users ADD COLUMN n int DEFAULT 0;", DOWN, 0},
    {"add-column-volatile-default", false, NULL, "ALTER TABLE users ADD COLUMN created timestamptz DEFAULT now();", DOWN, 0},

    {"add-column-rewrite-type", true, NULL, "ALTER TABLE users ADD COLUMN n serial;", DOWN, 0},
    {"add-column-rewrite-type", true, NULL, "ALTER TABLE users ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY;", DOWN, 0},
    {"add-column-rewrite-type", true, NULL, "ALTER TABLE users ADD COLUMN d int GENERATED ALWAYS AS (id * 2) STORED;", DOWN, 0},
    {"add-column-rewrite-type", false, NULL, "ALTER TABLE users ADD COLUMN n bigint;", DOWN, 0},
    {"add-column-rewrite-type", false, NULL, "CREATE TABLE t (x int);\nALTER TABLE t ADD COLUMN id serial;", DOWN, 0},

    {"add-column-required", true, NULL, "ALTER TABLE users ADD COLUMN n int NOT NULL;", DOWN, 0},
    {"add-column-required", true, NULL, "ALTER TABLE users ADD COLUMN a text, ADD COLUMN b text NOT NULL;", DOWN, 0},
    {"add-column-required", false, NULL, "ALTER TABLE users ADD COLUMN n int NOT NULL DEFAULT 0;", DOWN, 0},
    {"add-column-required", false, NULL, "ALTER TABLE users ADD COLUMN n int;", DOWN, 0},

    {"set-not-null", true, NULL, "ALTER TABLE users ALTER COLUMN email SET NOT NULL;", DOWN, 0},
    {"set-not-null", true, NULL, "ALTER TABLE public.users ALTER email SET NOT NULL, ALTER name SET NOT NULL;", DOWN, 0},
    {"set-not-null", true, "ALTER TABLE users ADD CONSTRAINT nn CHECK (email IS NOT NULL) NOT VALID;\n---\n"
                           "ALTER TABLE users VALIDATE CONSTRAINT nn;",
     "ALTER TABLE users ALTER COLUMN email SET NOT NULL;", DOWN, 11},
    {"set-not-null", false, NULL, "CREATE TABLE t (x int);\nALTER TABLE t ALTER COLUMN x SET NOT NULL;", DOWN, 0},
    {"set-not-null", false, "ALTER TABLE users ADD CONSTRAINT nn CHECK (email IS NOT NULL) NOT VALID;\n---\n"
                            "ALTER TABLE users VALIDATE CONSTRAINT nn;",
     "ALTER TABLE users ALTER COLUMN email SET NOT NULL;", DOWN, 0},

    {"fk-without-not-valid", true, NULL, "ALTER TABLE posts ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id);", DOWN, 0},
    {"fk-without-not-valid", true, NULL, "ALTER TABLE posts ADD FOREIGN KEY (user_id) REFERENCES users;", DOWN, 0},
    {"fk-without-not-valid", false, NULL, "ALTER TABLE posts ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;", DOWN, 0},
    {"fk-without-not-valid", false, NULL, "CREATE TABLE c (id int, u int REFERENCES users (id));", DOWN, 0},

    {"check-without-not-valid", true, NULL, "ALTER TABLE users ADD CONSTRAINT c CHECK (age > 0);", DOWN, 0},
    {"check-without-not-valid", true, NULL, "ALTER TABLE users ADD CHECK (email <> '');", DOWN, 0},
    {"check-without-not-valid", false, NULL, "ALTER TABLE users ADD CONSTRAINT c CHECK (age > 0) NOT VALID;", DOWN, 0},
    {"check-without-not-valid", false, NULL, "CREATE TABLE t (x int);\nALTER TABLE t ADD CONSTRAINT c CHECK (x > 0);", DOWN, 0},

    {"validate-same-transaction", true, NULL, "ALTER TABLE users ADD CONSTRAINT c CHECK (age > 0) NOT VALID;\n"
                                              "ALTER TABLE users VALIDATE CONSTRAINT c;", DOWN, 0},
    {"validate-same-transaction", true, NULL, "ALTER TABLE posts ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users NOT VALID;\n"
                                              "ALTER TABLE posts VALIDATE CONSTRAINT fk;", DOWN, 0},
    {"validate-same-transaction", false, "ALTER TABLE users ADD CONSTRAINT c CHECK (age > 0) NOT VALID;",
     "ALTER TABLE users VALIDATE CONSTRAINT c;", DOWN, 0},
    {"validate-same-transaction", false, NULL, NOTX "ALTER TABLE users ADD CONSTRAINT c CHECK (age > 0) NOT VALID;\n"
                                               "ALTER TABLE users VALIDATE CONSTRAINT c;", DOWN, 0},

    {"unique-constraint-direct", true, NULL, "ALTER TABLE users ADD CONSTRAINT u UNIQUE (email);", DOWN, 0},
    {"unique-constraint-direct", true, NULL, "ALTER TABLE users ADD PRIMARY KEY (id);", DOWN, 0},
    {"unique-constraint-direct", false, NULL, "ALTER TABLE users ADD CONSTRAINT u UNIQUE USING INDEX users_email_key;", DOWN, 0},
    {"unique-constraint-direct", false, NULL, "CREATE TABLE t (x int);\nALTER TABLE t ADD PRIMARY KEY (x);", DOWN, 0},

    {"alter-column-type", true, NULL, "ALTER TABLE users ALTER COLUMN id TYPE bigint;", DOWN, 0},
    {"alter-column-type", true, "CREATE TABLE t (name varchar(50));", "ALTER TABLE t ALTER COLUMN name TYPE varchar(20);", DOWN, 0},
    {"alter-column-type", false, "CREATE TABLE t (name varchar(20));", "ALTER TABLE t ALTER COLUMN name TYPE varchar(50);", DOWN, 0},
    {"alter-column-type", false, "CREATE TABLE t (name varchar(20));", "ALTER TABLE t ALTER COLUMN name TYPE text;", DOWN, 0},
    {"alter-column-type", true, "CREATE TABLE t (name varchar(20));", "ALTER TABLE t ALTER COLUMN name TYPE text USING upper(name);", DOWN, 0},
    {"alter-column-type", false, "CREATE TABLE t (name varchar(20));", "ALTER TABLE t ALTER COLUMN name TYPE text USING name::text;", DOWN, 0},

    {"rename-column", true, NULL, "ALTER TABLE users RENAME COLUMN email TO mail;", DOWN, 0},
    {"rename-column", true, NULL, "ALTER TABLE users RENAME email TO mail;", DOWN, 0},
    {"rename-column", false, NULL, "CREATE TABLE t (a int);\nALTER TABLE t RENAME COLUMN a TO b;", DOWN, 0},
    {"rename-column", false, NULL, "ALTER INDEX users_email RENAME TO users_mail;", DOWN, 0},

    {"rename-table", true, NULL, "ALTER TABLE users RENAME TO accounts;", DOWN, 0},
    {"rename-table", true, NULL, "ALTER TABLE IF EXISTS public.users RENAME TO accounts;", DOWN, 0},
    {"rename-table", false, NULL, "CREATE TABLE t (a int);\nALTER TABLE t RENAME TO t2;", DOWN, 0},
    {"rename-table", false, NULL, "ALTER SEQUENCE s RENAME TO s2;", DOWN, 0},

    {"drop-column", true, NULL, "ALTER TABLE users DROP COLUMN email;", DOWN, 0},
    {"drop-column", true, NULL, "ALTER TABLE users DROP COLUMN IF EXISTS a, DROP COLUMN b;", DOWN, 0},
    {"drop-column", false, NULL, "-- strata:phase contract\nALTER TABLE users DROP COLUMN email;", DOWN, 0},
    {"drop-column", false, NULL, "CREATE TABLE t (a int, b int);\nALTER TABLE t DROP COLUMN b;", DOWN, 0},

    {"drop-table", true, NULL, "DROP TABLE users;", DOWN, 0},
    {"drop-table", true, NULL, "DROP SCHEMA legacy CASCADE;", DOWN, 0},
    {"drop-table", true, NULL, "TRUNCATE users CASCADE;", DOWN, 0},
    {"drop-table", false, NULL, "CREATE TABLE tmp (a int);\nDROP TABLE tmp;", DOWN, 0},
    {"drop-table", false, NULL, "DROP VIEW users_view;", DOWN, 0},

    {"drop-not-null", true, NULL, "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;", DOWN, 0},
    {"drop-not-null", true, NULL, "ALTER TABLE users ALTER email DROP NOT NULL;", DOWN, 0},
    {"drop-not-null", false, NULL, "CREATE TABLE t (a int NOT NULL);\nALTER TABLE t ALTER a DROP NOT NULL;", DOWN, 0},
    {"drop-not-null", false, NULL, "ALTER TABLE users ALTER COLUMN email SET DEFAULT '';", DOWN, 0},

    {"missing-lock-timeout", true, NULL, "-- strata:lock-timeout 0\nALTER TABLE users ADD COLUMN n int;", DOWN, 0},
    {"missing-lock-timeout", true, NULL, "SET lock_timeout = 0;\nALTER TABLE users ADD COLUMN n int;", DOWN, 0},
    {"missing-lock-timeout", false, NULL, "-- strata:lock-timeout 0\nSET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN n int;", DOWN, 0},
    {"missing-lock-timeout", false, NULL, "ALTER TABLE users ADD COLUMN n int;", DOWN, 0},

    {"statement-after-exclusive-lock", true, NULL, "ALTER TABLE users ADD COLUMN n int;\nCREATE TABLE audit (id int);", DOWN, 0},
    {"statement-after-exclusive-lock", true, NULL, "ALTER TABLE users RENAME COLUMN a TO b;\nSELECT pg_sleep(1);", DOWN, 0},
    {"statement-after-exclusive-lock", false, NULL, "CREATE TABLE audit (id int);\nALTER TABLE users ADD COLUMN n int;", DOWN, 0},
    {"statement-after-exclusive-lock", false, NULL, NOTX "ALTER TABLE users ADD COLUMN n int;\nCREATE TABLE audit (id int);", DOWN, 0},

    {"schema-and-data-mixed", true, NULL, "ALTER TABLE users ADD COLUMN n int;\nUPDATE users SET n = 0;", DOWN, 0},
    {"schema-and-data-mixed", true, NULL, "INSERT INTO settings VALUES (1);\nALTER TABLE users ADD COLUMN n int;", DOWN, 0},
    {"schema-and-data-mixed", false, NULL, "CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);", DOWN, 0},
    {"schema-and-data-mixed", false, NULL, "ALTER TABLE users ADD COLUMN n int;", DOWN, 0},

    {"unbatched-dml", true, NULL, "UPDATE users SET active = true;", DOWN, 0},
    {"unbatched-dml", true, NULL, "DELETE FROM sessions WHERE expired;", DOWN, 0},
    {"unbatched-dml", false, NULL, "-- strata:batch\nUPDATE users SET active = true WHERE id IN "
                                   "(SELECT id FROM users WHERE active IS NULL LIMIT 1000);", DOWN, 0},
    {"unbatched-dml", false, NULL, "CREATE TABLE t (a int);\nUPDATE t SET a = 1;", DOWN, 0},

    {"batch-update-never-converges", true, NULL, "-- strata:batch\nUPDATE users SET active = true WHERE id IN "
                                                 "(SELECT id FROM users WHERE created < now() LIMIT 1000);", DOWN, 0},
    {"batch-update-never-converges", true, NULL, "-- strata:batch\nUPDATE users SET email = lower(email);", DOWN, 0},
    {"batch-update-never-converges", true, NULL, "-- strata:batch\nUPDATE \"Users\" SET \"Flag\" = 1 WHERE id IN "
                                                 "(SELECT id FROM \"Users\" WHERE flag IS NULL LIMIT 100);", DOWN, 0},
    {"batch-update-never-converges", false, NULL, "-- strata:batch\nUPDATE users SET email_lower = lower(email) WHERE id IN "
                                                  "(SELECT id FROM users u WHERE u.email_lower IS NULL LIMIT 1000);", DOWN, 0},
    {"batch-update-never-converges", false, NULL, "UPDATE users SET email = lower(email);", DOWN, 0},
    {"batch-update-never-converges", false, NULL, "-- strata:batch\nDELETE FROM sessions WHERE id IN "
                                                  "(SELECT id FROM sessions WHERE expired LIMIT 1000);", DOWN, 0},
    {"batch-update-never-converges", false, NULL, "-- strata:batch\nUPDATE users SET (a, \"B\") = (1, 2) WHERE id IN "
                                                  "(SELECT id FROM users WHERE \"B\" IS NULL LIMIT 10);", DOWN, 0},

    {"transaction-control", true, NULL, "BEGIN;\nCREATE TABLE t (a int);\nCOMMIT;", DOWN, 0},
    {"transaction-control", true, NULL, "CREATE TABLE t (a int);\nROLLBACK;", DOWN, 0},
    {"transaction-control", false, NULL, "CREATE TABLE t (a int);", DOWN, 0},
    {"transaction-control", false, NULL, "DO $$ BEGIN PERFORM 1; END $$;", DOWN, 0},

    {"detach-partition-not-concurrent", true, NULL, "ALTER TABLE events DETACH PARTITION events_2020;", DOWN, 0},
    {"detach-partition-not-concurrent", true, NULL, "ALTER TABLE public.events DETACH PARTITION public.events_2021;", DOWN, 13},
    {"detach-partition-not-concurrent", false, NULL, NOTX "ALTER TABLE events DETACH PARTITION events_2020 CONCURRENTLY;", DOWN, 0},
    {"detach-partition-not-concurrent", false, NULL, "ALTER TABLE events ATTACH PARTITION events_2020 FOR VALUES FROM (1) TO (2);", DOWN, 0},

    {"enum-value-unordered", true, NULL, "ALTER TYPE mood ADD VALUE 'meh';", DOWN, 0},
    {"enum-value-unordered", true, NULL, "ALTER TYPE mood RENAME VALUE 'sad' TO 'blue';", DOWN, 0},
    {"enum-value-unordered", false, NULL, "ALTER TYPE mood ADD VALUE 'meh' AFTER 'ok';", DOWN, 0},
    {"enum-value-unordered", false, NULL, "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh' BEFORE 'ok';", DOWN, 0},

    {"table-rewrite-maintenance", true, NULL, "VACUUM FULL users;", DOWN, 0},
    {"table-rewrite-maintenance", true, NULL, "CLUSTER users USING users_pkey;", DOWN, 0},
    {"table-rewrite-maintenance", true, NULL, "REFRESH MATERIALIZED VIEW mv;", DOWN, 0},
    {"table-rewrite-maintenance", false, NULL, NOTX "VACUUM ANALYZE users;", DOWN, 0},
    {"table-rewrite-maintenance", false, NULL, "REFRESH MATERIALIZED VIEW CONCURRENTLY mv;", DOWN, 0},

    {"irreversible", true, NULL, "CREATE TABLE t (a int);", NULL, 0},
    {"irreversible", true, NULL, "CREATE INDEX i ON users (email);", NULL, 0},
    {"irreversible", false, NULL, "CREATE TABLE t (a int);", "DROP TABLE t;", 0},
    {"irreversible", false, NULL, "-- strata:allow irreversible -- data migration, no way back\nCREATE TABLE t (a int);", NULL, 0},

    {"unparsed", true, NULL, "CREATE TABLE t (a int);\nCREATE TABLEX oops;", DOWN, 0},
    {"unparsed", true, NULL, "\\echo hello\nCREATE TABLE t (a int);", DOWN, 0},
    {"unparsed", false, NULL, "CREATE TABLE t (a int);", DOWN, 0},
    {"unparsed", false, NULL, "DO $$ BEGIN RAISE NOTICE 'x; y'; END $$;", DOWN, 0},
};

static int count_lines(const char *s)
{
    int n = 1;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* Lints @c and returns the report; versions 1.. for setup, then the case. */
static strata_lint_report *lint_case_report(strata **sp, const lint_case *c, int64_t *last)
{
    strata *s = NULL;
    strata_lint_report *r = NULL;
    char *setup = c->setup ? strdup(c->setup) : NULL;
    int64_t v = 1;
    ck_assert_int_eq(strata_open(&s, NULL), STRATA_OK);
    if (c->pgv)
        ck_assert_int_eq(strata_set_pg_version(s, c->pgv), STRATA_OK);
    for (char *p = setup; p && *p;) {
        char *sep = strstr(p, "\n---\n");
        if (sep)
            *sep = '\0';
        strata_migration_def d = {v++, "setup", p, "SELECT 1;"};
        ck_assert_msg(strata_add_migrations(s, &d, 1) == STRATA_OK, "%s", strata_errmsg(s));
        p = sep ? sep + 5 : NULL;
    }
    strata_migration_def d = {v, "case", c->sql, c->down};
    ck_assert_msg(strata_add_migrations(s, &d, 1) == STRATA_OK, "%s", strata_errmsg(s));
    ck_assert_int_eq(strata_lint(s, &r), STRATA_OK);
    free(setup);
    *sp = s;
    *last = v;
    return r;
}

START_TEST(rule_cases)
{
    const lint_case *c = &cases[_i];
    strata *s;
    int64_t last;
    strata_lint_report *r = lint_case_report(&s, c, &last);
    bool found = false;
    char all[4096] = "";
    for (size_t i = 0; i < strata_lint_count(r); i++) {
        const strata_lint_finding *f = strata_lint_get(r, i);
        snprintf(all + strlen(all), sizeof all - strlen(all), "  v%lld %d:%d %s\n", (long long)f->version,
                 (int)f->line, (int)f->column, f->rule);
        if (f->version != last || strcmp(f->rule, c->rule) != 0)
            continue;
        found = true;
        ck_assert_int_ge(f->line, 1);
        ck_assert_int_le(f->line, count_lines(c->sql));
        ck_assert_ptr_nonnull(f->fix);
        ck_assert_ptr_nonnull(strstr(f->message, ": "));
    }
    ck_assert_msg(found == c->expect, "case %d: rule %s %s on:\n%s\nfindings:\n%s", _i, c->rule,
                  c->expect ? "not reported" : "reported", c->sql, all);
    strata_lint_report_free(r);
    strata_close(s);
}
END_TEST

/* Every rule of the table has at least two cases each way. */
START_TEST(every_rule_covered)
{
    static const char *const ids[] = {
        "index-not-concurrent", "drop-index-not-concurrent", "reindex-not-concurrent",
        "concurrently-in-transaction", "add-column-volatile-default", "add-column-rewrite-type",
        "add-column-required", "set-not-null", "fk-without-not-valid", "check-without-not-valid",
        "validate-same-transaction", "unique-constraint-direct", "alter-column-type", "rename-column",
        "rename-table", "drop-column", "drop-table", "drop-not-null", "missing-lock-timeout",
        "statement-after-exclusive-lock", "schema-and-data-mixed", "unbatched-dml", "transaction-control",
        "detach-partition-not-concurrent", "enum-value-unordered", "table-rewrite-maintenance",
        "irreversible", "unparsed", "batch-update-never-converges"};
    for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++) {
        int yes = 0, no = 0;
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            if (strcmp(cases[i].rule, ids[k]) == 0)
                cases[i].expect ? yes++ : no++;
        }
        ck_assert_msg(yes >= 2 && no >= 2, "rule %s: %d positive, %d negative cases", ids[k], yes, no);
    }
}
END_TEST

static strata_lint_report *lint_one(strata **sp, const char *sql, const char *down)
{
    strata *s = NULL;
    strata_lint_report *r = NULL;
    strata_migration_def d = {1, "one", sql, down};
    ck_assert_int_eq(strata_open(&s, NULL), STRATA_OK);
    ck_assert_msg(strata_add_migrations(s, &d, 1) == STRATA_OK, "%s", strata_errmsg(s));
    ck_assert_int_eq(strata_lint(s, &r), STRATA_OK);
    *sp = s;
    return r;
}

static const strata_lint_finding *find(const strata_lint_report *r, const char *rule)
{
    for (size_t i = 0; i < strata_lint_count(r); i++)
        if (strcmp(strata_lint_get(r, i)->rule, rule) == 0)
            return strata_lint_get(r, i);
    return NULL;
}

START_TEST(suppression)
{
    strata *s;
    /* used: the finding is gone and nothing else is said */
    strata_lint_report *r = lint_one(&s, "-- strata:allow index-not-concurrent -- tiny table\nCREATE INDEX i ON users (e);", "SELECT 1;");
    ck_assert_ptr_null(find(r, "index-not-concurrent"));
    ck_assert_uint_eq(strata_lint_count(r), 0);
    strata_lint_report_free(r);
    strata_close(s);
    /* unused */
    r = lint_one(&s, "-- strata:allow drop-column,index-not-concurrent -- reason\nCREATE INDEX i ON users (e);", "SELECT 1;");
    const strata_lint_finding *f = find(r, "allow-unused");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(strstr(f->message, "drop-column"));
    ck_assert_int_eq(f->line, 1);
    ck_assert_ptr_null(find(r, "index-not-concurrent"));
    strata_lint_report_free(r);
    strata_close(s);
    /* unknown */
    r = lint_one(&s, "-- strata:allow index-not-concurent -- typo\nCREATE INDEX i ON users (e);", "SELECT 1;");
    ck_assert_ptr_nonnull(find(r, "allow-unknown-rule"));
    ck_assert_ptr_nonnull(find(r, "index-not-concurrent")); /* the typo suppressed nothing */
    strata_lint_report_free(r);
    strata_close(s);
}
END_TEST

START_TEST(positions_point_at_the_clause)
{
    strata *s;
    strata_lint_report *r = lint_one(&s, "-- comment; with semicolon\nCREATE TABLE t (a int);\n\n"
                                         "  ALTER TABLE users ADD COLUMN n int NOT NULL;\n"
                                         "/* c */ CREATE INDEX i ON users (e);", "SELECT 1;");
    const strata_lint_finding *f = find(r, "add-column-required");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->line, 4);
    ck_assert_int_eq(f->column, 32); /* the column definition, not the statement */
    f = find(r, "index-not-concurrent");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->line, 5);
    ck_assert_int_eq(f->column, 9); /* after the comment */
    strata_lint_report_free(r);
    strata_close(s);
}
END_TEST

START_TEST(unparsed_keeps_checking_the_rest)
{
    strata *s;
    strata_lint_report *r = lint_one(&s, "CREATE TABLE t (a int);\nCREATE TABLEX oops;\nCREATE INDEX i ON users (e);", "SELECT 1;");
    const strata_lint_finding *f = find(r, "unparsed");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->line, 2);
    ck_assert_ptr_nonnull(find(r, "index-not-concurrent")); /* later statements still checked */
    strata_lint_report_free(r);
    strata_close(s);
}
END_TEST

static bool valid_utf8(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    while (*u) {
        int n = *u < 0x80 ? 0 : (*u & 0xE0) == 0xC0 ? 1 : (*u & 0xF0) == 0xE0 ? 2 : (*u & 0xF8) == 0xF0 ? 3 : -1;
        if (n < 0)
            return false;
        for (u++; n > 0; n--, u++)
            if ((*u & 0xC0) != 0x80)
                return false;
    }
    return true;
}

/* A syntax error cannot be verified and would fail at run time: an error. */
START_TEST(unparsed_is_an_error)
{
    strata *s;
    strata_lint_report *r = lint_one(&s, "CREATE TABLE t (a int);\nCREATE TABLEX oops;", "SELECT 1;");
    const strata_lint_finding *f = find(r, "unparsed");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->severity, STRATA_SEVERITY_ERROR);
    strata_lint_report_free(r);
    strata_close(s);
    r = lint_one(&s, "\\echo hi\nCREATE TABLE t (a int);", "SELECT 1;");
    f = find(r, "unparsed");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->severity, STRATA_SEVERITY_ERROR);
    strata_lint_report_free(r);
    strata_close(s);
    /* a lone unreadable statement the splitter finds nothing in */
    r = lint_one(&s, "CREATE TABLE (;\n", "SELECT 1;");
    f = find(r, "unparsed");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->severity, STRATA_SEVERITY_ERROR);
    strata_lint_report_free(r);
    strata_close(s);
    /* the quoted meta-command is cut short on a character boundary */
    r = lint_one(&s, "\\echo x\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                     "\nCREATE TABLE t (a int);", "SELECT 1;");
    f = find(r, "unparsed");
    ck_assert_ptr_nonnull(f);
    ck_assert_msg(valid_utf8(f->message), "%s", f->message);
    strata_lint_report_free(r);
    strata_close(s);
}
END_TEST

static int count_rule(const strata_lint_report *r, const char *rule)
{
    int n = 0;
    for (size_t i = 0; i < strata_lint_count(r); i++)
        n += strcmp(strata_lint_get(r, i)->rule, rule) == 0;
    return n;
}

/* One finding per lock taken: the first statement that runs under it. */
START_TEST(exclusive_lock_reported_once)
{
    strata *s;
    strata_lint_report *r = lint_one(&s, "ALTER TABLE users ADD COLUMN a int;\nALTER TABLE users ADD COLUMN b int;\n"
                                         "ALTER TABLE users ADD COLUMN c int;\nSELECT 1;\nSELECT 2;", "SELECT 1;");
    ck_assert_int_eq(count_rule(r, "statement-after-exclusive-lock"), 1);
    ck_assert_int_eq(find(r, "statement-after-exclusive-lock")->line, 2);
    strata_lint_report_free(r);
    strata_close(s);
    /* two tables, two locks: each reported once */
    r = lint_one(&s, "ALTER TABLE a ADD COLUMN x int;\nALTER TABLE b ADD COLUMN x int;\nALTER TABLE a ADD COLUMN y int;\n"
                     "SELECT 1;", "SELECT 1;");
    ck_assert_int_eq(count_rule(r, "statement-after-exclusive-lock"), 2);
    strata_lint_report_free(r);
    strata_close(s);
    /* "A" and a are two tables */
    r = lint_one(&s, "ALTER TABLE a ADD COLUMN x int;\nALTER TABLE \"A\" ADD COLUMN x int;\nSELECT 1;", "SELECT 1;");
    ck_assert_int_eq(count_rule(r, "statement-after-exclusive-lock"), 2);
    strata_lint_report_free(r);
    strata_close(s);
}
END_TEST

static void assert_message(const strata_lint_report *r, const char *rule, const char *want)
{
    const strata_lint_finding *f = find(r, rule);
    ck_assert_msg(f != NULL, "%s not reported", rule);
    ck_assert_msg(strstr(f->message, want) != NULL, "%s: \"%s\" not in: %s", rule, want, f->message);
}

/* Every name is printed as PostgreSQL would need it written: mixed case,
 * blanks, quotes, keywords and non-ASCII quoted, plain names bare. */
START_TEST(names_quoted_in_messages)
{
    strata *s;
    strata_lint_report *r = lint_one(&s,
        "CREATE INDEX i ON \"Orders\" (id);\n"
        "ALTER TABLE \"Sales\".\"Orders\" ALTER COLUMN \"Email\" SET NOT NULL;\n"
        "ALTER TABLE \"my table\" DROP COLUMN \"we\"\"ird\";\n"
        "ALTER TABLE \"café\" RENAME COLUMN a TO \"B\";\n"
        "UPDATE \"user\" SET x = 1;\n"
        "ALTER TYPE mood ADD VALUE 'it''s';\n"
        "ALTER TABLE users ADD CONSTRAINT \"Chk\" CHECK (x > 0);\n"
        "ALTER TABLE \"Orders\" RENAME TO \"Order s\";\n"
        "ALTER TABLE users ALTER COLUMN \"Id\" TYPE \"MyType\";\n"
        "ALTER TABLE users ADD COLUMN \"N\" int NOT NULL;\n"
        "DROP INDEX \"Uniq\";\n",
        "SELECT 1;");
    assert_message(r, "index-not-concurrent", "CREATE INDEX on \"Orders\"");
    assert_message(r, "set-not-null", "ALTER COLUMN \"Email\" SET NOT NULL on \"Sales\".\"Orders\"");
    assert_message(r, "drop-column", "DROP COLUMN \"we\"\"ird\" on \"my table\"");
    assert_message(r, "rename-column", "RENAME COLUMN a to \"B\" on \"café\"");
    assert_message(r, "unbatched-dml", "UPDATE of \"user\"");
    assert_message(r, "enum-value-unordered", "ADD VALUE 'it''s'");
    assert_message(r, "check-without-not-valid", "ADD CHECK \"Chk\" on users");
    assert_message(r, "rename-table", "RENAME TABLE \"Orders\" to \"Order s\"");
    assert_message(r, "alter-column-type", "ALTER COLUMN \"Id\" TYPE \"MyType\" on users");
    assert_message(r, "add-column-required", "ADD COLUMN \"N\" NOT NULL");
    assert_message(r, "drop-index-not-concurrent", "DROP INDEX \"Uniq\"");
    strata_lint_report_free(r);
    strata_close(s);
    static const char *const one[][3] = {
        {"VACUUM FULL \"Big\", s.t;", "table-rewrite-maintenance", "VACUUM FULL \"Big\", s.t"},
        {"CLUSTER \"Big\" USING i;", "table-rewrite-maintenance", "CLUSTER \"Big\""},
        {"REFRESH MATERIALIZED VIEW \"Mv\";", "table-rewrite-maintenance", "REFRESH MATERIALIZED VIEW \"Mv\""},
        {"TRUNCATE \"T\", u CASCADE;", "drop-table", "TRUNCATE \"T\", u CASCADE"},
        {"DROP TABLE \"Sales\".\"T\", x;", "drop-table", "DROP TABLE \"Sales\".\"T\", x"},
        {"REINDEX TABLE \"Big\";", "reindex-not-concurrent", "REINDEX \"Big\""},
        {"ALTER TABLE \"P\" DETACH PARTITION \"P1\";", "detach-partition-not-concurrent", "on \"P\""},
        {"ALTER TABLE t ADD CONSTRAINT \"Fk\" FOREIGN KEY (a) REFERENCES u;", "fk-without-not-valid",
         "ADD FOREIGN KEY \"Fk\" on t"},
        {"ALTER TABLE t ADD COLUMN \"Tok\" uuid DEFAULT gen_random_uuid();", "add-column-volatile-default",
         "ADD COLUMN \"Tok\" with"},
    };
    for (size_t i = 0; i < sizeof one / sizeof one[0]; i++) {
        r = lint_one(&s, one[i][0], "SELECT 1;");
        assert_message(r, one[i][1], one[i][2]);
        strata_lint_report_free(r);
        strata_close(s);
    }
    /* plain lower-case names stay bare */
    r = lint_one(&s, "CREATE INDEX i ON public.users (email);", "SELECT 1;");
    assert_message(r, "index-not-concurrent", "CREATE INDEX on public.users");
    strata_lint_report_free(r);
    strata_close(s);
}
END_TEST

/* Names that differ only in case or quoting are different tables; one
 * with a dot or '=' in it does not get confused with another. */
START_TEST(names_compared_exactly)
{
    strata *s;
    /* "T" is new; t is not */
    strata_lint_report *r = lint_one(&s, "CREATE TABLE \"T\" (a int);\nCREATE INDEX i ON t (a);", "SELECT 1;");
    ck_assert_ptr_nonnull(find(r, "index-not-concurrent"));
    strata_lint_report_free(r);
    strata_close(s);
    r = lint_one(&s, "CREATE TABLE \"T\" (a int);\nCREATE INDEX i ON \"T\" (a);\nDROP TABLE \"T\";", "SELECT 1;");
    ck_assert_ptr_null(find(r, "index-not-concurrent"));
    ck_assert_ptr_null(find(r, "drop-table"));
    strata_lint_report_free(r);
    strata_close(s);
    /* remembered column types keyed exactly: a."b.c" (int) is not "a.b".c */
    strata_migration_def d[] = {{1, "one", "CREATE TABLE a (\"b.c\" int);\nCREATE TABLE \"a.b\" (c varchar(10));", "SELECT 1;"},
                                {2, "two", "ALTER TABLE a ALTER COLUMN \"b.c\" TYPE varchar(20);", "SELECT 1;"}};
    ck_assert_int_eq(strata_open(&s, NULL), STRATA_OK);
    ck_assert_int_eq(strata_add_migrations(s, d, 2), STRATA_OK);
    ck_assert_int_eq(strata_lint(s, &r), STRATA_OK);
    ck_assert_ptr_nonnull(find(r, "alter-column-type")); /* int to varchar rewrites */
    strata_lint_report_free(r);
    strata_close(s);
}
END_TEST

START_TEST(directory_files_and_pg_version)
{
    char *d = test_tmpdir();
    strata *s = NULL;
    strata_lint_report *r = NULL;
    test_write(d, "1_t.up.sql", "-- header\nALTER TABLE users ADD COLUMN n int DEFAULT 0;\n");
    test_write(d, "1_t.down.sql", "ALTER TABLE users DROP COLUMN n;\n");
    ck_assert_int_eq(strata_open(&s, NULL), STRATA_OK);
    ck_assert_int_eq(strata_add_dir(s, d), STRATA_OK);
    ck_assert_int_eq(strata_lint(s, &r), STRATA_OK);
    ck_assert_uint_eq(strata_lint_count(r), 0); /* constant default: fine on 15 */
    strata_lint_report_free(r);
    ck_assert_int_eq(strata_set_pg_version(s, 10), STRATA_OK);
    ck_assert_int_eq(strata_lint(s, &r), STRATA_OK);
    const strata_lint_finding *f = find(r, "add-column-volatile-default");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(strstr(f->file, "1_t.up.sql"));
    ck_assert_int_eq(f->line, 2);
    ck_assert_int_eq(f->severity, STRATA_SEVERITY_ERROR);
    strata_lint_report_free(r);
    ck_assert_int_eq(strata_set_pg_version(s, 3), STRATA_EINVAL);
    strata_close(s);
    free(d);
}
END_TEST

/* PostgreSQL's own extension scripts: thousands of lines of real SQL
 * (dollar quotes, DO blocks, psql \echo lines). No crash, no leak, and every
 * finding's position lies inside its file and on a token. */
START_TEST(extension_corpus)
{
    const char *dir = "/usr/share/postgresql/15/extension";
    DIR *dp = opendir(dir);
    struct dirent *de;
    int files = 0;
    size_t findings = 0;
    if (!dp) {
        const char *req = getenv("STRATA_TEST_REQUIRE_PG");
        ck_assert_msg(!(req && strcmp(req, "1") == 0), "%s missing: install postgresql-contrib", dir);
        return;
    }
    while ((de = readdir(dp)) != NULL) {
        char path[600];
        size_t n = strlen(de->d_name);
        if (n < 5 || strcmp(de->d_name + n - 4, ".sql") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        FILE *f = fopen(path, "r");
        ck_assert_ptr_nonnull(f);
        char *text = calloc(1, 1 << 20);
        size_t len = fread(text, 1, (1 << 20) - 1, f);
        fclose(f);
        text[len] = '\0';
        strata *s = NULL;
        strata_lint_report *r = NULL;
        strata_migration_def d = {1, de->d_name, text, NULL};
        ck_assert_int_eq(strata_open(&s, NULL), STRATA_OK);
        if (strata_add_migrations(s, &d, 1) == STRATA_OK) {
            ck_assert_int_eq(strata_lint(s, &r), STRATA_OK);
            for (size_t i = 0; i < strata_lint_count(r); i++) {
                const strata_lint_finding *x = strata_lint_get(r, i);
                const char *p = text;
                for (int l = 1; l < x->line && p; l++) {
                    p = strchr(p, '\n');
                    p = p ? p + 1 : NULL;
                }
                ck_assert_msg(p != NULL, "%s: line %d outside the file", de->d_name, (int)x->line);
                const char *eol = strchr(p, '\n');
                size_t linelen = eol ? (size_t)(eol - p) : strlen(p);
                ck_assert_msg(x->column >= 1 && (size_t)x->column <= linelen + 1, "%s:%d:%d column outside the line",
                              de->d_name, (int)x->line, (int)x->column);
                if (strcmp(x->rule, "irreversible") != 0 && strncmp(x->rule, "allow-", 6) != 0)
                    ck_assert_msg(p[x->column - 1] != ' ' && p[x->column - 1] != '\t' && p[x->column - 1] != '\n',
                                  "%s:%d:%d (%s) does not point at a token", de->d_name, (int)x->line,
                                  (int)x->column, x->rule);
                if (strcmp(x->rule, "index-not-concurrent") == 0)
                    ck_assert_msg(strncasecmp(p + x->column - 1, "CREATE", 6) == 0, "%s:%d: not at CREATE",
                                  de->d_name, (int)x->line);
            }
            findings += strata_lint_count(r);
            strata_lint_report_free(r);
        }
        strata_close(s);
        free(text);
        files++;
    }
    closedir(dp);
    ck_assert_int_gt(files, 100);
    ck_assert_uint_gt(findings, 0);
}
END_TEST

Suite *test_suite(void)
{
    Suite *s = suite_create("lint");
    TCase *tc = tcase_create("rules");
    tcase_add_loop_test(tc, rule_cases, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, every_rule_covered);
    suite_add_tcase(s, tc);
    tc = tcase_create("behaviour");
    tcase_add_test(tc, suppression);
    tcase_add_test(tc, positions_point_at_the_clause);
    tcase_add_test(tc, unparsed_keeps_checking_the_rest);
    tcase_add_test(tc, directory_files_and_pg_version);
    tcase_add_test(tc, unparsed_is_an_error);
    tcase_add_test(tc, exclusive_lock_reported_once);
    tcase_add_test(tc, names_quoted_in_messages);
    tcase_add_test(tc, names_compared_exactly);
    suite_add_tcase(s, tc);
    tc = tcase_create("corpus");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, extension_corpus);
    suite_add_tcase(s, tc);
    return s;
}
