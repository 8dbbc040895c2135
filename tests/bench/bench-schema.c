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
#include <sys/resource.h>
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

/* Wall time, and CPU time of the client and of its server backend: on a
 * shared machine the wall time depends on the load, the CPU time much less. */
typedef struct cost {
    double wall, cpu;
} cost;

static double backend_cpu_s(int pid)
{
    char path[64], buf[1024];
    unsigned long ut = 0, st = 0;
    FILE *f;
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    if (!(f = fopen(path, "r")))
        return 0;
    if (fgets(buf, sizeof buf, f)) {
        const char *p = strrchr(buf, ')'); /* the command may hold spaces */
        if (p)
            sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st);
    }
    fclose(f);
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double client_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

static strata *open_on(strata_migration_def *defs, int m, int k, PGconn **c)
{
    strata *s = NULL;
    *c = PQconnectdb(db_new(k));
    if (PQstatus(*c) != CONNECTION_OK || strata_open_conn(&s, *c) || strata_add_migrations(s, defs, (size_t)m))
        die(s, "setup");
    return s;
}

static cost run(strata_migration_def *defs, int m, int k, bool roundtrip)
{
    PGconn *c;
    strata *s = open_on(defs, m, k, &c);
    strata_roundtrip_report *r = NULL;
    int pid = PQbackendPID(c);
    double w0 = now_s(), c0 = client_cpu_s(), b0 = backend_cpu_s(pid);
    if (roundtrip ? strata_verify_roundtrip(s, 0, &r)
                  : strata_apply(s, STRATA_LATEST) || strata_revert(s, STRATA_BEFORE_FIRST))
        die(s, roundtrip ? "roundtrip" : "up + down");
    cost x = {now_s() - w0, client_cpu_s() - c0 + backend_cpu_s(pid) - b0};
    if (roundtrip && (strata_roundtrip_count(r) != (size_t)m || strata_roundtrip_failures(r) != 0)) {
        fprintf(stderr, "roundtrip: %zu checked, %zu failing\n", strata_roundtrip_count(r),
                strata_roundtrip_failures(r));
        exit(1);
    }
    strata_roundtrip_report_free(r);
    strata_close(s);
    PQfinish(c);
    return x;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Plain up + down and the roundtrip, alternating, so that a load that comes
 * and goes on a shared machine weighs on both; the ratio of each pair, and
 * their median, in wall time and in CPU time (client + server backend). */
static void bench_roundtrip(strata_migration_def *defs, int m, int rounds)
{
    double ratio[16], cpu_ratio[16];
    if (rounds > 16)
        rounds = 16;
    for (int i = 0; i < rounds; i++) {
        cost plain = run(defs, m, 2 + 2 * i, false), rt = run(defs, m, 3 + 2 * i, true);
        ratio[i] = rt.wall / plain.wall;
        cpu_ratio[i] = rt.cpu / plain.cpu;
        printf("roundtrip of %d migrations: %.2f s (cpu %.2f s); plain up + down %.2f s (cpu %.2f s); "
               "ratio %.2fx (cpu %.2fx)\n", m, rt.wall, rt.cpu, plain.wall, plain.cpu, ratio[i], cpu_ratio[i]);
    }
    qsort(ratio, (size_t)rounds, sizeof *ratio, cmp_double);
    qsort(cpu_ratio, (size_t)rounds, sizeof *cpu_ratio, cmp_double);
    printf("roundtrip / plain up + down, median of %d: %.2fx (cpu %.2fx)\n", rounds, ratio[rounds / 2],
           cpu_ratio[rounds / 2]);
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
