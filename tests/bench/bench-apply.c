/* Apply benchmark: N generated migrations applied by strata to a fresh
 * database, against the same SQL through `psql -1 -f` (one transaction, the
 * floor); then a no-op run, whose server round trips are counted from
 * libpq's protocol trace. The two workloads alternate over ROUNDS rounds,
 * each on a fresh database, and the best time of each is compared (single
 * runs on a shared 2-core machine vary by up to 2x).
 * Usage: bench-apply [N [ROUNDS]] (defaults 1000, 3). */
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

/* A fresh database (the harness's helper asserts with check, which needs a
 * running test case). */
static const char *db_new(int k)
{
    static char dsn[64][512];
    char sql[128];
    PGconn *c = PQconnectdb(test_admin_dsn());
    snprintf(sql, sizeof sql, "CREATE DATABASE bench_%d_%d", (int)getpid(), k);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        fprintf(stderr, "create database: %s", PQerrorMessage(c));
        exit(1);
    }
    PQclear(r);
    PQfinish(c);
    snprintf(dsn[k], sizeof dsn[k], "%s dbname=bench_%d_%d", test_admin_dsn(), (int)getpid(), k);
    return dsn[k];
}

static char *migration_sql(int i)
{
    char *s = malloc(256);
    snprintf(s, 256, "CREATE TABLE bench_%d (id bigint PRIMARY KEY, v text NOT NULL);\n"
                     "INSERT INTO bench_%d VALUES (1, 'x');\n", i, i);
    return s;
}

static int count_queries(const char *trace_path)
{
    FILE *f = fopen(trace_path, "r");
    char line[4096];
    int n = 0;
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, "\tF\t") && strstr(line, "\tQuery\t"))
            n++;
    if (f)
        fclose(f);
    return n;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    strata_migration_def *defs = calloc((size_t)n, sizeof *defs);
    char names[32];
    int rc = harness_start();
    harness_tmp_init();
    if (rc)
        return rc;
    atexit(harness_stop);
    for (int i = 0; i < n; i++) {
        snprintf(names, sizeof names, "m%d", i + 1);
        defs[i] = (strata_migration_def){i + 1, strdup(names), migration_sql(i + 1), NULL};
    }

    int rounds = argc > 2 ? atoi(argv[2]) : 3;
    double best_strata = 1e9, best_psql = 1e9, t0;
    char sqlpath[] = "/tmp/strata-bench-sql-XXXXXX";
    int fd = mkstemp(sqlpath);
    FILE *sf = fdopen(fd, "w");
    for (int i = 0; i < n; i++)
        fputs(defs[i].up_sql, sf);
    fclose(sf);
    const char *dsn = NULL;
    for (int round = 0; round < rounds && round < 31; round++) {
        /* strata */
        strata *s = NULL;
        dsn = db_new(2 * round);
        if (strata_open(&s, dsn) || strata_add_migrations(s, defs, (size_t)n)) {
            fprintf(stderr, "setup: %s\n", strata_errmsg(s));
            return 1;
        }
        t0 = now_s();
        if (strata_apply(s, STRATA_LATEST)) {
            fprintf(stderr, "apply: %s\n", strata_errmsg(s));
            return 1;
        }
        double el = now_s() - t0;
        strata_close(s);
        /* baseline: psql -1 -f of the concatenated SQL */
        char cmd[1400];
        snprintf(cmd, sizeof cmd, "psql -q -X -v ON_ERROR_STOP=1 -1 -f %s '%s' >/dev/null", sqlpath,
                 db_new(2 * round + 1));
        t0 = now_s();
        rc = system(cmd);
        double ep = now_s() - t0;
        if (rc) {
            fprintf(stderr, "psql baseline failed\n");
            return 1;
        }
        printf("round %d:                    strata %.3f s, psql %.3f s\n", round + 1, el, ep);
        if (el < best_strata)
            best_strata = el;
        if (ep < best_psql)
            best_psql = ep;
    }
    unlink(sqlpath);

    /* no-op run on a traced connection, against the last strata database */
    strata *s = NULL;
    PGconn *c = PQconnectdb(dsn);
    char trace[] = "/tmp/strata-bench-trace-XXXXXX";
    fd = mkstemp(trace);
    FILE *tf = fdopen(fd, "w");
    strata_open_conn(&s, c);
    strata_add_migrations(s, defs, (size_t)n);
    PQtrace(c, tf);
    t0 = now_s();
    rc = strata_apply(s, STRATA_LATEST);
    double t_noop = now_s() - t0;
    PQuntrace(c);
    fclose(tf);
    int queries = count_queries(trace);
    unlink(trace);
    strata_close(s);
    PQfinish(c);
    if (rc)
        return 1;

    printf("migrations:                 %d, best of %d rounds\n", n, rounds);
    printf("strata apply:               %.3f s (%.2f ms per migration)\n", best_strata, best_strata * 1000 / n);
    printf("psql -1 -f (baseline):      %.3f s\n", best_psql);
    printf("ratio strata / psql:        %.2fx\n", best_strata / best_psql);
    printf("no-op run:                  %.2f ms, %d server round trip(s)\n", t_noop * 1000, queries);
    for (int i = 0; i < n; i++) {
        free((char *)defs[i].name);
        free((char *)defs[i].up_sql);
    }
    free(defs);
    return 0;
}
