/* Observe overhead benchmark: N mixed migrations (ADD COLUMN, CREATE INDEX,
 * UPDATE, CREATE INDEX CONCURRENTLY in a no-transaction migration, a
 * batched UPDATE) applied plainly and with strata_set_observe, each run on a
 * fresh database. The two alternate over ROUNDS rounds (which goes first
 * alternates too) and the best time of each is compared: single runs on a
 * shared 2-core machine vary a lot.
 * Usage: bench-observe [N [ROUNDS [ROWS]]] (defaults 100, 3, 10000). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../harness.h"

const bool test_needs_pg = true;
Suite *test_suite(void) { return NULL; }

#define KINDS 5

static const char *const kind_names[KINDS] = {"ADD COLUMN", "CREATE INDEX", "UPDATE",
                                              "CREATE INDEX CONCURRENTLY (no-transaction)",
                                              "batched UPDATE"};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A fresh database (the harness's helper asserts with check, which needs a
 * running test case). */
static char *db_new(int k)
{
    static char dsn[512];
    char sql[128];
    PGconn *c = PQconnectdb(test_admin_dsn());
    snprintf(sql, sizeof sql, "CREATE DATABASE bench_obs_%d_%d", (int)getpid(), k);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        fprintf(stderr, "create database: %s", PQerrorMessage(c));
        exit(1);
    }
    PQclear(r);
    PQfinish(c);
    snprintf(dsn, sizeof dsn, "%s dbname=bench_obs_%d_%d", test_admin_dsn(), (int)getpid(), k);
    return dsn;
}

/* Migration @i (1-based); the first creates the table every other one uses. */
static char *migration_sql(int i, int rows)
{
    char *s = malloc(512);
    if (i == 1) {
        snprintf(s, 512, "CREATE TABLE b (id int PRIMARY KEY, v int NOT NULL, flag int NOT NULL "
                         "DEFAULT 0);\nINSERT INTO b SELECT g, g FROM generate_series(1, %d) g;\n", rows);
        return s;
    }
    switch (i % KINDS) {
    case 0: snprintf(s, 512, "ALTER TABLE b ADD COLUMN c%d int;\n", i); break;
    case 1: snprintf(s, 512, "CREATE INDEX b_i%d ON b (v, id);\n", i); break;
    case 2: snprintf(s, 512, "UPDATE b SET v = v + 1 WHERE id <= %d;\n", rows / 10); break;
    case 3:
        snprintf(s, 512, "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY b_c%d ON b (v);\n", i);
        break;
    default:
        snprintf(s, 512, "-- strata:batch\nUPDATE b SET flag = %d WHERE id IN (SELECT id FROM b "
                         "WHERE flag <> %d LIMIT %d);\n", i, i, rows / 4 + 1);
    }
    return s;
}

static void count_observed(const strata_event *ev, void *payload)
{
    if (ev->type == STRATA_EVENT_OBSERVED && ev->statement > 0)
        (*(int *)payload)++;
}

/* One timed run on a fresh database; exits on failure. */
static double run(const strata_migration_def *defs, int n, bool observe, int k, int *events)
{
    strata *s = NULL;
    double t0;
    if (strata_open(&s, db_new(k)) || strata_add_migrations(s, defs, (size_t)n)) {
        fprintf(stderr, "setup: %s\n", strata_errmsg(s));
        exit(1);
    }
    strata_set_observe(s, observe);
    strata_set_event_callback(s, count_observed, events);
    t0 = now_s();
    if (strata_apply(s, STRATA_LATEST)) {
        fprintf(stderr, "apply: %s\n", strata_errmsg(s));
        exit(1);
    }
    t0 = now_s() - t0;
    strata_close(s);
    return t0;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 100, rounds = argc > 2 ? atoi(argv[2]) : 3;
    int rows = argc > 3 ? atoi(argv[3]) : 10000;
    strata_migration_def *defs = calloc((size_t)n + 1, sizeof *defs);
    double best[2] = {1e9, 1e9};
    int events = 0, rc = harness_start();
    char name[32];
    harness_tmp_init();
    if (rc)
        return rc;
    atexit(harness_stop);
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "m%d", i + 1);
        defs[i] = (strata_migration_def){i + 1, strdup(name), migration_sql(i + 1, rows), NULL};
    }
    for (int round = 0; round < rounds; round++) {
        double t[2];
        for (int j = 0; j < 2; j++) {
            int observe = (round + j) % 2; /* who goes first alternates */
            t[observe] = run(defs, n, observe, 2 * round + j, observe ? &events : &(int){0});
        }
        printf("round %d:                  plain %.3f s, observed %.3f s\n", round + 1, t[0], t[1]);
        for (int j = 0; j < 2; j++)
            best[j] = t[j] < best[j] ? t[j] : best[j];
    }
    printf("migrations:               %d (table of %d rows), best of %d rounds\n", n, rows, rounds);
    for (int k = 0; k < KINDS; k++)
        printf("  kind %d:                 %s\n", k, kind_names[k]);
    printf("observed entries per run: %d\n", rounds ? events / rounds : 0);
    printf("plain apply:              %.3f s (%.2f ms per migration)\n", best[0], best[0] * 1000 / n);
    printf("observed apply:           %.3f s (%.2f ms per migration)\n", best[1], best[1] * 1000 / n);
    printf("ratio observed / plain:   %.2fx\n", best[1] / best[0]);
    for (int i = 0; i < n; i++) {
        free((char *)defs[i].name);
        free((char *)defs[i].up_sql);
    }
    free(defs);
    return 0;
}
