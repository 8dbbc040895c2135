/* Time to a fresh migrated database against the number of migrations:
 * by applying them (CREATE DATABASE, then strata_apply), by claiming a
 * ready spare (strata_testdb_create with its default pool of spares, the
 * previous call's replacement finished), by cloning the template
 * (strata_testdb_create with no spares; the first call, which builds the
 * template, is reported apart), and the server's CREATE DATABASE alone with
 * either strategy (what the clone costs beyond strata's own two round
 * trips). Each figure is the best of ROUNDS, the workloads alternating.
 * Then the steady state of a test loop (create, the test body, drop) with
 * and without spares, for a trivial body (SELECT 1: shorter than a copy, so
 * each call waits for the replacement the previous one started) and a
 * 200 ms body (longer than a copy: the copy is hidden). The mean of LOOP
 * iterations after one warm-up.
 * Usage: bench-testdb [ROUNDS [LOOP]] (defaults 5 and 8); sizes 10, 100, 300. */
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

static void admin_exec(const char *sql)
{
    PGconn *c = PQconnectdb(test_admin_dsn());
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
        exit(1);
    }
    PQclear(r);
    PQfinish(c);
}

static strata_migration_def *make_defs(int n)
{
    strata_migration_def *defs = calloc((size_t)n, sizeof *defs);
    for (int i = 0; i < n; i++) {
        char name[32], *sql = malloc(256);
        snprintf(name, sizeof name, "m%d", i + 1);
        snprintf(sql, 256, "CREATE TABLE bench_%d (id bigint PRIMARY KEY, v text NOT NULL);\n"
                           "INSERT INTO bench_%d VALUES (1, 'x');\n", i + 1, i + 1);
        defs[i] = (strata_migration_def){i + 1, strdup(name), sql, NULL};
    }
    return defs;
}

static void free_defs(strata_migration_def *defs, int n)
{
    for (int i = 0; i < n; i++) {
        free((char *)defs[i].name);
        free((char *)defs[i].up_sql);
    }
    free(defs);
}

static void check(int rc, strata *s, const char *what)
{
    if (rc) {
        fprintf(stderr, "%s: %s\n", what, strata_errmsg(s));
        exit(1);
    }
}

/* CREATE DATABASE + strata_apply, timed; the database is dropped after. */
static double by_applying(const strata_migration_def *defs, int n, int k)
{
    char sql[128], dsn[512];
    strata *s = NULL;
    double t0 = now_s(), el;
    snprintf(sql, sizeof sql, "CREATE DATABASE bench_apply_%d_%d", n, k);
    admin_exec(sql);
    snprintf(dsn, sizeof dsn, "%s dbname=bench_apply_%d_%d", test_admin_dsn(), n, k);
    check(strata_open(&s, dsn), s, "open");
    check(strata_add_migrations(s, defs, (size_t)n), s, "add");
    check(strata_apply(s, STRATA_LATEST), s, "apply");
    el = now_s() - t0;
    strata_close(s);
    snprintf(sql, sizeof sql, "DROP DATABASE bench_apply_%d_%d", n, k);
    admin_exec(sql);
    return el;
}

/* The template the clones of the current set come from: "strata_tpl_"
 * and the 8 hex digits its clones' names carry. */
static char tpl_like[64];

/* strata_testdb_create, timed; the clone is dropped after. */
static double by_clone(strata *admin)
{
    char *uri = NULL, *p;
    double t0 = now_s(), el;
    check(strata_testdb_create(admin, &uri), admin, "testdb_create");
    el = now_s() - t0;
    if ((p = strstr(uri, "strata_test_")))
        snprintf(tpl_like, sizeof tpl_like, "strata\\_tpl\\_%.8s%%", p + strlen("strata_test_"));
    check(strata_testdb_drop(admin, uri), admin, "testdb_drop");
    strata_free(uri);
    return el;
}

/* One test of a loop: create, the body (connect, SELECT 1, then sleep
 * @body_ms), drop; seconds. */
static double loop_once(strata *admin, int body_ms)
{
    char *uri = NULL;
    double t0 = now_s();
    check(strata_testdb_create(admin, &uri), admin, "testdb_create");
    PGconn *c = PQconnectdb(uri);
    PQclear(PQexec(c, "SELECT 1"));
    PQfinish(c);
    if (body_ms)
        usleep((useconds_t)body_ms * 1000);
    check(strata_testdb_drop(admin, uri), admin, "testdb_drop");
    strata_free(uri);
    return now_s() - t0;
}

/* The mean time per test of @loops tests after one warm-up. */
static double loop_mean(strata *admin, int body_ms, int loops)
{
    double sum = 0;
    loop_once(admin, body_ms);
    for (int i = 0; i < loops; i++)
        sum += loop_once(admin, body_ms);
    return sum / loops;
}

/* The server's own cost: CREATE DATABASE ... TEMPLATE of the current
 * template, alone, with @strategy (WAL_LOG, what strata_testdb_create uses
 * and PostgreSQL 15's default, or FILE_COPY); *files gets the number of
 * relation files in it, what both strategies copy one by one. */
static double by_server(int k, const char *strategy, long *files)
{
    char sql[320];
    PGconn *c = PQconnectdb(test_admin_dsn());
    const char *like = tpl_like;
    PGresult *r = PQexecParams(c, "SELECT datname FROM pg_database WHERE datname LIKE $1", 1,
                               NULL, &like, NULL, NULL, 0);
    double t0, el;
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1 || PQserverVersion(c) < 150000) {
        PQclear(r);
        PQfinish(c);
        return -1;
    }
    snprintf(sql, sizeof sql, "CREATE DATABASE bench_raw_%d TEMPLATE \"%s\" STRATEGY %s", k,
             PQgetvalue(r, 0, 0), strategy);
    PQclear(r);
    PQfinish(c);
    t0 = now_s();
    admin_exec(sql);
    el = now_s() - t0;
    if (files) {
        char dsn[600];
        snprintf(dsn, sizeof dsn, "%s dbname=bench_raw_%d", test_admin_dsn(), k);
        c = PQconnectdb(dsn);
        r = PQexec(c, "SELECT count(*) FROM pg_class WHERE relkind IN ('r', 'i', 't', 'S', 'm')");
        *files = PQresultStatus(r) == PGRES_TUPLES_OK ? atol(PQgetvalue(r, 0, 0)) : -1;
        PQclear(r);
        PQfinish(c);
    }
    snprintf(sql, sizeof sql, "DROP DATABASE bench_raw_%d", k);
    admin_exec(sql);
    return el;
}

int main(int argc, char **argv)
{
    static const int sizes[] = {10, 100, 300};
    enum { N_SIZES = sizeof sizes / sizeof sizes[0] };
    int rounds = argc > 1 ? atoi(argv[1]) : 5, loops = argc > 2 ? atoi(argv[2]) : 8;
    int rc = harness_start();
    double loop_ms[N_SIZES][4];
    harness_tmp_init();
    if (rc)
        return rc;
    atexit(harness_stop);
    printf("%-11s %11s %11s %11s %11s %9s %13s %15s %10s\n", "migrations", "apply (ms)",
           "claim (ms)", "clone (ms)", "first (ms)", "apply/claim", "WAL_LOG (ms)",
           "FILE_COPY (ms)", "relations");
    for (size_t i = 0; i < N_SIZES; i++) {
        int n = sizes[i];
        strata_migration_def *defs = make_defs(n);
        strata *pool = NULL, *plain = NULL;
        double best_apply = 1e9, best_claim = 1e9, best_clone = 1e9, best_wl = 1e9,
               best_fc = 1e9, first, t;
        long files = -1;
        check(strata_open(&pool, test_admin_dsn()), pool, "open admin");
        check(strata_add_migrations(pool, defs, (size_t)n), pool, "add");
        check(strata_open(&plain, test_admin_dsn()), plain, "open admin");
        check(strata_add_migrations(plain, defs, (size_t)n), plain, "add");
        check(strata_set_testdb_spares(plain, 0), plain, "spares");
        first = by_clone(pool); /* builds the template, starts a spare */
        for (int r = 0; r < rounds; r++) {
            if ((t = by_applying(defs, n, r)) < best_apply)
                best_apply = t;
            /* the previous drop waited for the replacement: one is ready */
            if ((t = by_clone(pool)) < best_claim)
                best_claim = t;
            if ((t = by_clone(plain)) < best_clone)
                best_clone = t;
            if ((t = by_server(r, "WAL_LOG", &files)) < best_wl)
                best_wl = t;
            if ((t = by_server(r, "FILE_COPY", NULL)) < best_fc)
                best_fc = t;
        }
        printf("%-11d %11.1f %11.1f %11.1f %11.1f %10.1fx %13.1f %15.1f %10ld\n", n,
               best_apply * 1000, best_claim * 1000, best_clone * 1000, first * 1000,
               best_apply / best_claim, best_wl * 1000, best_fc * 1000, files);
        fflush(stdout);
        loop_ms[i][0] = loop_mean(pool, 0, loops) * 1000;
        loop_ms[i][1] = loop_mean(plain, 0, loops) * 1000;
        loop_ms[i][2] = loop_mean(pool, 200, loops) * 1000;
        loop_ms[i][3] = loop_mean(plain, 200, loops) * 1000;
        strata_close(pool);
        strata_close(plain);
        free_defs(defs, n);
    }
    printf("\nper test in a loop (create, body, drop), mean of %d:\n", loops);
    printf("%-11s %18s %18s %18s %18s\n", "migrations", "SELECT 1, spares", "SELECT 1, clone",
           "200 ms, spares", "200 ms, clone");
    for (size_t i = 0; i < N_SIZES; i++)
        printf("%-11d %18.1f %18.1f %18.1f %18.1f\n", sizes[i], loop_ms[i][0], loop_ms[i][1],
               loop_ms[i][2], loop_ms[i][3]);
    return 0;
}
