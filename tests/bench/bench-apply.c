/* Apply benchmark: N generated migrations (a directory of files), applied
 * to a fresh database by
 *   psql -1          the whole script in one transaction, no tracking: the floor
 *   psql per-file    each file in its own BEGIN/COMMIT: the fair floor of
 *                    strata's default mode (one WAL flush per commit)
 *   strata up        the CLI, default mode (one transaction per migration)
 *   strata up --single-transaction
 * as processes, side by side: every round runs the four, in an order that
 * rotates, each on a fresh database, and the best of each is compared
 * (single runs on a shared machine vary by up to 2x). Then the no-op run
 * over the same directory against psql's floor (connect, SELECT 1, quit),
 * as processes and in-process (libstrata: open, add the directory, apply;
 * libpq: connect, SELECT 1), alternating, best and median; and the no-op's
 * server round trips from libpq's protocol trace.
 * Usage: bench-apply [N [ROUNDS [STRATA_CLI]]] (defaults 500, 5,
 * build/tools/strata). Durable or not is the server's: tests/bench/apply.sh
 * runs it against a durable and an fsync-off cluster (STRATA_TEST_DSN). */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../harness.h"

const bool test_needs_pg = true;
Suite *test_suite(void) { return NULL; }

extern char **environ;

enum { PSQL_1, PSQL_TX, STRATA, STRATA_1, N_WORK, NOOP_REPS = 30 };
static const char *const work_name[N_WORK] = {"psql -1", "psql, a transaction per file",
                                              "strata up", "strata up --single-transaction"};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "bench-apply: %s: %s\n", what, detail ? detail : "");
    exit(1);
}

static void admin_exec(const char *sql)
{
    PGconn *c = PQconnectdb(test_admin_dsn());
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        die(sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

/* A fresh database; its conninfo in @dsn. */
static void db_new(int k, char *dsn, size_t n)
{
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE DATABASE bench_%d_%d", (int)getpid(), k);
    admin_exec(sql);
    snprintf(dsn, n, "%s dbname=bench_%d_%d", test_admin_dsn(), (int)getpid(), k);
}

/* Runs @argv with stdout and stderr to /dev/null; seconds it took. */
static double run(char *const argv[])
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int st = 0;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    double t0 = now_s();
    if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0)
        die("cannot run", argv[0]);
    waitpid(pid, &st, 0);
    double el = now_s() - t0;
    posix_spawn_file_actions_destroy(&fa);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        die("failed", argv[0]);
    return el;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        die("cannot write", path);
}

/* The migrations as files in @dir, and as the two psql scripts. */
static void generate(const char *dir, int n)
{
    char path[600], sql[256];
    FILE *one, *tx;
    snprintf(path, sizeof path, "%s/all.sql", dir);
    one = fopen(path, "w");
    snprintf(path, sizeof path, "%s/per-tx.sql", dir);
    tx = fopen(path, "w");
    snprintf(path, sizeof path, "%s/m", dir);
    mkdir(path, 0755);
    for (int i = 1; i <= n && one && tx; i++) {
        snprintf(sql, sizeof sql, "CREATE TABLE bench_%d (id bigint PRIMARY KEY, v text NOT NULL);\n"
                                  "INSERT INTO bench_%d VALUES (1, 'x');\n", i, i);
        snprintf(path, sizeof path, "%s/m/%06d_m%d.sql", dir, i, i);
        write_file(path, sql);
        fputs(sql, one);
        fprintf(tx, "BEGIN;\n%sCOMMIT;\n", sql);
    }
    if (!one || !tx || fclose(one) || fclose(tx))
        die("cannot write the scripts in", dir);
}

/* The psql binary itself: Debian's /usr/bin/psql is a Perl wrapper whose
 * start-up alone costs more than the no-op being compared. */
static char *psql_bin(void)
{
    static char path[512];
    const char *dir = getenv("STRATA_PG_BINDIR");
    snprintf(path, sizeof path, "%s/psql", dir ? dir : "/usr/lib/postgresql/15/bin");
    return access(path, X_OK) == 0 ? path : "psql";
}

static double run_work(int w, const char *dir, const char *cli, const char *dsn)
{
    char script[600], mig[600];
    snprintf(mig, sizeof mig, "%s/m", dir);
    snprintf(script, sizeof script, "%s/%s", dir, w == PSQL_1 ? "all.sql" : "per-tx.sql");
    if (w == PSQL_1 || w == PSQL_TX) {
        char *argv[] = {psql_bin(), "-q", "-X", "-v", "ON_ERROR_STOP=1", w == PSQL_1 ? "-1" : "-q",
                        "-f", script, "-d", (char *)dsn, NULL};
        return run(argv);
    }
    char *argv[] = {(char *)cli, "-q", "-d", (char *)dsn, "-m", mig, "up",
                    w == STRATA_1 ? "--single-transaction" : NULL, NULL};
    return run(argv);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, by_value);
    return v[n / 2];
}

/* In-process no-op: what an embedding program pays at startup. */
static double lib_noop(const char *dsn, const char *mig)
{
    strata *s = NULL;
    double t0 = now_s();
    if (strata_open(&s, dsn) || strata_add_dir(s, mig) || strata_apply(s, STRATA_LATEST))
        die("no-op apply", strata_errmsg(s));
    strata_close(s);
    return now_s() - t0;
}

static double libpq_floor(const char *dsn)
{
    double t0 = now_s();
    PGconn *c = PQconnectdb(dsn);
    PGresult *r = PQexec(c, "SELECT 1");
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        die("SELECT 1", PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return now_s() - t0;
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

static int noop_round_trips(const char *dsn, const char *mig)
{
    strata *s = NULL;
    PGconn *c = PQconnectdb(dsn);
    char trace[] = "/tmp/strata-bench-trace-XXXXXX";
    FILE *tf = fdopen(mkstemp(trace), "w");
    if (strata_open_conn(&s, c) || strata_add_dir(s, mig))
        die("no-op", strata_errmsg(s));
    PQtrace(c, tf);
    int rc = strata_apply(s, STRATA_LATEST);
    PQuntrace(c);
    fclose(tf);
    int n = count_queries(trace);
    unlink(trace);
    strata_close(s);
    PQfinish(c);
    return rc ? -1 : n;
}

static void noop(const char *dir, const char *cli, const char *dsn)
{
    char mig[600];
    double t[4][NOOP_REPS];
    snprintf(mig, sizeof mig, "%s/m", dir);
    char *up[] = {(char *)cli, "-q", "-d", (char *)dsn, "-m", mig, "up", NULL};
    char *psql[] = {psql_bin(), "-X", "-q", "-d", (char *)dsn, "-c", "SELECT 1", NULL};
    for (int i = 0; i < NOOP_REPS; i++) {
        t[0][i] = run(up);
        t[1][i] = run(psql);
        t[2][i] = lib_noop(dsn, mig);
        t[3][i] = libpq_floor(dsn);
    }
    static const char *const what[] = {"no-op `strata -q up` (process)", "psql -c 'SELECT 1' (process)",
                                       "no-op in-process (open, add dir, apply)",
                                       "libpq connect + SELECT 1"};
    for (int k = 0; k < 4; k++) {
        double best = 1e9;
        for (int i = 0; i < NOOP_REPS; i++)
            best = t[k][i] < best ? t[k][i] : best;
        printf("%-42s best %6.2f ms, median %6.2f ms\n", what[k], best * 1000,
               median(t[k], NOOP_REPS) * 1000);
    }
    printf("no-op server round trips (in-process):     %d\n", noop_round_trips(dsn, mig));
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 500, rounds = argc > 2 ? atoi(argv[2]) : 5;
    const char *cli = argc > 3 ? argv[3] : "build/tools/strata";
    char dir[] = "/tmp/strata-bench-apply-XXXXXX", dsn[600] = "", applied[600] = "", cmd[700];
    double best[N_WORK];
    int rc = harness_start();
    harness_tmp_init();
    if (rc)
        return rc;
    atexit(harness_stop);
    if (!mkdtemp(dir))
        die("mkdtemp", dir);
    generate(dir, n);
    for (int w = 0; w < N_WORK; w++)
        best[w] = 1e9;
    for (int round = 0; round < rounds; round++) {
        printf("round %d:", round + 1);
        for (int j = 0; j < N_WORK; j++) {
            int w = (round + j) % N_WORK; /* rotate who goes first */
            db_new(round * N_WORK + w, dsn, sizeof dsn);
            double el = run_work(w, dir, cli, dsn);
            printf(" %s %.3f s%s", work_name[w], el, j + 1 < N_WORK ? "," : "\n");
            best[w] = el < best[w] ? el : best[w];
            if (w == STRATA)
                memcpy(applied, dsn, sizeof applied);
        }
        fflush(stdout);
    }
    printf("migrations: %d, best of %d alternating rounds\n", n, rounds);
    for (int w = 0; w < N_WORK; w++)
        printf("%-42s %7.3f s  %5.2fx psql -1  %5.2fx per-file psql\n", work_name[w], best[w],
               best[w] / best[PSQL_1], best[w] / best[PSQL_TX]);
    noop(dir, cli, applied); /* over a database strata applied everything to */
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
