/* Lint throughput: a generated set of 10 000 statements (a mix of safe and
 * unsafe DDL and DML over 100 migrations), linted offline; prints
 * statements per second. Usage: bench-lint [STATEMENTS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <strata.h>

static const char *const shapes[] = {
    "CREATE TABLE t%d (id bigint PRIMARY KEY, email text, created timestamptz DEFAULT now());\n",
    "CREATE INDEX i%d ON users (email);\n",
    "ALTER TABLE users ADD COLUMN c%d int DEFAULT 0;\n",
    "ALTER TABLE users ADD COLUMN r%d uuid DEFAULT gen_random_uuid();\n",
    "ALTER TABLE posts ADD CONSTRAINT fk%d FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\n",
    "UPDATE users SET email = lower(email) WHERE id = %d;\n",
    "INSERT INTO audit (id, note) VALUES (%d, 'x; y');\n",
    "DO $$ BEGIN RAISE NOTICE 'step %d'; END $$;\n",
    "ALTER TABLE users ALTER COLUMN c1 SET NOT NULL; -- %d\n",
    "SELECT count(*) FROM users WHERE id > %d;\n",
};

int main(int argc, char **argv)
{
    int total = argc > 1 ? atoi(argv[1]) : 10000, per = 100, nmig = (total + per - 1) / per;
    strata *s = NULL;
    strata_lint_report *r = NULL;
    if (strata_open(&s, NULL))
        return 1;
    int k = 0;
    for (int m = 0; m < nmig; m++) {
        size_t cap = (size_t)per * 160;
        char *sql = malloc(cap), *p = sql;
        *p = '\0';
        for (int i = 0; i < per && k < total; i++, k++)
            p += snprintf(p, cap - (size_t)(p - sql), shapes[k % 10], k);
        strata_migration_def d = {m + 1, "gen", sql, "SELECT 1;"};
        if (strata_add_migrations(s, &d, 1))
            return 1;
        free(sql);
    }
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    if (strata_lint(s, &r))
        return 1;
    clock_gettime(CLOCK_MONOTONIC, &b);
    double secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    printf("statements:      %d in %d migrations\n", total, nmig);
    printf("findings:        %zu\n", strata_lint_count(r));
    printf("lint time:       %.3f s\n", secs);
    printf("throughput:      %.0f statements/s\n", total / secs);
    strata_lint_report_free(r);
    strata_close(s);
    return 0;
}
