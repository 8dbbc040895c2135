/* Schema benchmark (issue 12).
 * 1. Snapshot time of a generated schema of N tables (each: identity key,
 *    six typed columns with defaults, a foreign key, a check, an index, a
 *    comment; every tenth a trigger, a view and a function), best of ROUNDS,
 *    and the server round trips of one snapshot (libpq protocol trace).
 * 2. strata_verify_roundtrip over M migrations against plain up + down of
 *    the same set (strata_apply, then strata_revert of everything), in
 *    RT_ROUNDS alternating pairs, each on new databases.
 * Usage: bench-schema [N [M [ROUNDS [RT_ROUNDS]]]] (defaults 300, 300, 5, 3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../harness.h"

const bool test_needs_pg = true;
Suite *test_suite(void) { return NULL; }

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A new database; its conninfo, valid until the next call. */
static const char *db_new(int k)
{
    static char dsn[512];
    char sql[128];
    PGconn *c = PQconnectdb(test_admin_dsn());
    snprintf(sql, sizeof sql, "CREATE DATABASE bench_schema_%d_%d", (int)getpid(), k);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        fprintf(stderr, "create database: %s", PQerrorMessage(c));
        exit(1);
    }
    PQclear(r);
    PQfinish(c);
    snprintf(dsn, sizeof dsn, "%s dbname=bench_schema_%d_%d", test_admin_dsn(), (int)getpid(), k);
    return dsn;
}

static char *table_sql(int i)
{
    char *s = malloc(2048);
    int n = snprintf(s, 2048,
                     "CREATE TABLE t%d (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
                     "name varchar(100) NOT NULL DEFAULT '', amount numeric(12,2) CHECK (amount >= 0), "
                     "created timestamptz NOT NULL DEFAULT now(), flags int[] , data jsonb, "
                     "parent_id bigint%s);\n"
                     "CREATE INDEX t%d_name_idx ON t%d (lower(name));\n"
                     "COMMENT ON TABLE t%d IS 'table %d';\n",
                     i, i > 1 ? "" : "", i, i, i, i);
    if (i > 1)
        n += snprintf(s + n, 2048 - (size_t)n,
                      "ALTER TABLE t%d ADD CONSTRAINT t%d_parent_fk FOREIGN KEY (parent_id) REFERENCES t%d;\n",
                      i, i, i - 1);
    if (i % 10 == 0)
        snprintf(s + n, 2048 - (size_t)n,
                 "CREATE FUNCTION f%d() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;\n"
                 "CREATE TRIGGER t%d_trg BEFORE UPDATE ON t%d FOR EACH ROW EXECUTE FUNCTION f%d();\n"
                 "CREATE VIEW v%d AS SELECT id, name FROM t%d WHERE amount > 0;\n",
                 i, i, i, i, i, i);
    return s;
}

static char *drop_sql(int i)
{
    char *s = malloc(256);
    if (i % 10 == 0)
        snprintf(s, 256, "DROP VIEW v%d; DROP TABLE t%d; DROP FUNCTION f%d();\n", i, i, i);
    else
        snprintf(s, 256, "DROP TABLE t%d;\n", i);
    return s;
}

static int count_queries(const char *trace_path)
{
    FILE *f = fopen(trace_path, "r");
    char line[8192];
    int n = 0;
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, "\tF\t") && strstr(line, "\tQuery\t"))
            n++;
    if (f)
        fclose(f);
    return n;
}

static void die(strata *s, const char *what)
{
    fprintf(stderr, "%s: %s\n", what, strata_errmsg(s));
    exit(1);
}

static void bench_snapshot(strata_migration_def *defs, int n, int rounds)
{
    strata *s = NULL;
    strata_schema *sc = NULL;
    double best = 1e9;
    char *text = NULL;
    if (strata_open(&s, db_new(0)) || strata_add_migrations(s, defs, (size_t)n) ||
        strata_apply(s, STRATA_LATEST))
        die(s, "setup");
    for (int r = 0; r < rounds; r++) {
        double t0 = now_s();
        if (strata_schema_snapshot(s, 0, &sc))
            die(s, "snapshot");
        double el = now_s() - t0;
        if (el < best)
            best = el;
        if (r == rounds - 1)
            strata_schema_render(sc, STRATA_FORMAT_TEXT, &text);
        strata_schema_free(sc);
    }
    strata_close(s);

    /* round trips of one snapshot */
    PGconn *c = PQconnectdb(db_new(1));
    char trace[] = "/tmp/strata-bench-trace-XXXXXX";
    FILE *tf = fdopen(mkstemp(trace), "w");
    strata_open_conn(&s, c);
    PQtrace(c, tf);
    if (strata_schema_snapshot(s, 0, &sc))
        die(s, "snapshot");
    PQuntrace(c);
    fclose(tf);
    strata_schema_free(sc);
    strata_close(s);
    PQfinish(c);
    printf("snapshot of %d tables:      %.1f ms (best of %d), %zu bytes of text, %d round trip(s)\n", n,
           best * 1000, rounds, text ? strlen(text) : 0, count_queries(trace));
    unlink(trace);
    strata_free(text);
}

static double plain_run(strata_migration_def *defs, int m, int k)
{
    strata *s = NULL;
    double t0;
    if (strata_open(&s, db_new(k)) || strata_add_migrations(s, defs, (size_t)m))
        die(s, "setup");
    t0 = now_s();
    if (strata_apply(s, STRATA_LATEST) || strata_revert(s, STRATA_BEFORE_FIRST))
        die(s, "up + down");
    t0 = now_s() - t0;
    strata_close(s);
    return t0;
}

static double roundtrip_run(strata_migration_def *defs, int m, int k)
{
    strata *s = NULL;
    strata_roundtrip_report *r = NULL;
    double t0;
    if (strata_open(&s, db_new(k)) || strata_add_migrations(s, defs, (size_t)m))
        die(s, "setup");
    t0 = now_s();
    if (strata_verify_roundtrip(s, 0, &r))
        die(s, "roundtrip");
    t0 = now_s() - t0;
    if (strata_roundtrip_count(r) != (size_t)m || strata_roundtrip_failures(r) != 0) {
        fprintf(stderr, "roundtrip: %zu checked, %zu failing\n", strata_roundtrip_count(r),
                strata_roundtrip_failures(r));
        exit(1);
    }
    strata_roundtrip_report_free(r);
    strata_close(s);
    return t0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Plain up + down and the roundtrip, alternating, so that a load that comes
 * and goes on a shared machine weighs on both; the ratio of each pair, and
 * their median. */
static void bench_roundtrip(strata_migration_def *defs, int m, int rounds)
{
    double ratio[16];
    if (rounds > 16)
        rounds = 16;
    for (int i = 0; i < rounds; i++) {
        double plain = plain_run(defs, m, 2 + 2 * i), rt = roundtrip_run(defs, m, 3 + 2 * i);
        ratio[i] = rt / plain;
        printf("roundtrip of %d migrations: %.2f s; plain up + down %.2f s; ratio %.2fx\n", m, rt, plain,
               ratio[i]);
    }
    qsort(ratio, (size_t)rounds, sizeof *ratio, cmp_double);
    printf("roundtrip / plain up + down, median of %d: %.2fx\n", rounds, ratio[rounds / 2]);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 300, m = argc > 2 ? atoi(argv[2]) : 300;
    int rounds = argc > 3 ? atoi(argv[3]) : 5, max = n > m ? n : m;
    int rt_rounds = argc > 4 ? atoi(argv[4]) : 3;
    strata_migration_def *defs = calloc((size_t)max, sizeof *defs);
    int rc = harness_start();
    harness_tmp_init();
    if (rc)
        return rc;
    atexit(harness_stop);
    for (int i = 0; i < max; i++)
        defs[i] = (strata_migration_def){i + 1, "table", table_sql(i + 1), drop_sql(i + 1)};
    bench_snapshot(defs, n, rounds);
    bench_roundtrip(defs, m, rt_rounds);
    for (int i = 0; i < max; i++) {
        free((char *)defs[i].up_sql);
        free((char *)defs[i].down_sql);
    }
    free(defs);
    return 0;
}
