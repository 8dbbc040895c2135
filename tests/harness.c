/* The throwaway PostgreSQL cluster of doc/design.md section 11. */
#include "harness.h"

#include <errno.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

static char cluster_dir[64];
static char bindir[256];
static pid_t owner_pid;
static char admin_dsn[256];
static char db_dsn[512];
static const char *external_dsn;
static char tmp_root[64];
static char bouncer_pidfile[128];
static void bouncer_stop(void);

static bool file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

static bool find_bindir(void)
{
    /* STRATA_PG_BINDIR, when set, is the only place looked at */
    const char *env = getenv("STRATA_PG_BINDIR");
    const char *defaults[] = {"/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin",
                              "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/14/bin"};
    size_t n = env ? 1 : sizeof defaults / sizeof defaults[0];
    for (size_t i = 0; i < n; i++) {
        const char *dir = env ? env : defaults[i];
        char p[300];
        snprintf(p, sizeof p, "%s/initdb", dir);
        if (file_exists(p)) {
            snprintf(bindir, sizeof bindir, "%s", dir);
            return true;
        }
    }
    return false;
}

/* Runs argv as the postgres user when we are root (the server refuses root). */
static int run_as_server_user(char *const argv[], const char *log)
{
    pid_t pid;
    int status;
    fflush(NULL); /* the child's freopen must not flush our buffers twice */
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (geteuid() == 0) {
            struct passwd *pw = getpwnam("postgres");
            if (!pw || initgroups(pw->pw_name, pw->pw_gid) || setgid(pw->pw_gid) ||
                setuid(pw->pw_uid))
                _exit(126);
        }
        if (chdir(cluster_dir) != 0)
            _exit(126);
        if (log) {
            FILE *f = freopen(log, "a", stdout);
            if (!f || dup2(fileno(stdout), 2) < 0)
                _exit(126);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int skip_or_fail(const char *why)
{
    const char *req = getenv("STRATA_TEST_REQUIRE_PG");
    if (req && strcmp(req, "1") == 0) {
        fprintf(stderr, "FAIL: %s, and STRATA_TEST_REQUIRE_PG=1\n", why);
        return 1;
    }
    fprintf(stderr, "SKIP: %s (install postgresql-15, or set STRATA_TEST_DSN)\n", why);
    return 77;
}

int harness_start(void)
{
    char initdb[300], pgctl[300], log[128], opts[256];
    owner_pid = getpid();
    external_dsn = getenv("STRATA_TEST_DSN");
    if (external_dsn && *external_dsn) {
        snprintf(admin_dsn, sizeof admin_dsn, "%s", external_dsn);
        return 0;
    }
    if (!find_bindir())
        return skip_or_fail("PostgreSQL server binaries not found");
    if (geteuid() == 0 && !getpwnam("postgres"))
        return skip_or_fail("running as root and there is no postgres user to run the server");
    snprintf(cluster_dir, sizeof cluster_dir, "/tmp/strata-pg-XXXXXX");
    if (!mkdtemp(cluster_dir)) {
        perror("mkdtemp");
        return 1;
    }
    if (geteuid() == 0) {
        struct passwd *pw = getpwnam("postgres");
        if (chown(cluster_dir, pw->pw_uid, pw->pw_gid) != 0) {
            perror("chown");
            return 1;
        }
    }
    snprintf(initdb, sizeof initdb, "%s/initdb", bindir);
    snprintf(pgctl, sizeof pgctl, "%s/pg_ctl", bindir);
    snprintf(log, sizeof log, "%s/log", cluster_dir);
    char data[128];
    snprintf(data, sizeof data, "%s/data", cluster_dir);
    char *init_argv[] = {initdb, "--no-sync", "-A", "trust", "-U", "postgres", "-E", "UTF8",
                         "--locale=C", "-D", data, NULL};
    if (run_as_server_user(init_argv, log) != 0) {
        fprintf(stderr, "initdb failed; see %s\n", log);
        return 1;
    }
    snprintf(opts, sizeof opts,
             "-k %s -c listen_addresses='' -c fsync=off -c full_page_writes=off "
             "-c synchronous_commit=off -c max_connections=60",
             cluster_dir);
    char *start_argv[] = {pgctl, "-D", data, "-l", log, "-w", "-o", opts, "start", NULL};
    if (run_as_server_user(start_argv, NULL) != 0) {
        fprintf(stderr, "pg_ctl start failed; see %s\n", log);
        harness_stop();
        return 1;
    }
    snprintf(admin_dsn, sizeof admin_dsn, "host=%s port=5432 user=postgres dbname=postgres",
             cluster_dir);
    return 0;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

void test_rmrf(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void harness_stop(void)
{
    if (getpid() != owner_pid)
        return; /* a forked test case must not stop the cluster */
    if (tmp_root[0])
        test_rmrf(tmp_root);
    tmp_root[0] = '\0';
    if (!cluster_dir[0])
        return;
    bouncer_stop();
    char pgctl[300], data[128];
    snprintf(pgctl, sizeof pgctl, "%s/pg_ctl", bindir);
    snprintf(data, sizeof data, "%s/data", cluster_dir);
    char *argv[] = {pgctl, "-D", data, "-m", "immediate", "-w", "stop", NULL};
    run_as_server_user(argv, "/dev/null");
    test_rmrf(cluster_dir);
    cluster_dir[0] = '\0';
}

const char *test_admin_dsn(void)
{
    return admin_dsn;
}

const char *test_db_new(void)
{
    static int counter;
    char name[64], sql[128];
    PGconn *c = PQconnectdb(admin_dsn);
    ck_assert_msg(PQstatus(c) == CONNECTION_OK, "admin connect: %s", PQerrorMessage(c));
    snprintf(name, sizeof name, "t_%d_%d", (int)getpid(), ++counter);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
    PGresult *r = PQexec(c, sql);
    ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK, "%s", PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    /* dbname=... appended last overrides the one in the admin conninfo */
    snprintf(db_dsn, sizeof db_dsn, "%s dbname=%s", admin_dsn, name);
    return db_dsn;
}

const char *test_db_current(void)
{
    return db_dsn;
}

PGconn *test_connect(void)
{
    PGconn *c = PQconnectdb(db_dsn);
    ck_assert_msg(PQstatus(c) == CONNECTION_OK, "connect: %s", PQerrorMessage(c));
    return c;
}

void test_sql(const char *sql)
{
    PGconn *c = test_connect();
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    ck_assert_msg(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "%s: %s", sql,
                  PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

char *test_query_value(const char *sql)
{
    PGconn *c = test_connect();
    PGresult *r = PQexec(c, sql);
    char *v = NULL;
    ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(c));
    if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
        v = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(c);
    return v;
}

long test_query_long(const char *sql)
{
    char *v = test_query_value(sql);
    long n = v ? strtol(v, NULL, 10) : -1;
    free(v);
    return n;
}

void harness_tmp_init(void)
{
    owner_pid = getpid();
    snprintf(tmp_root, sizeof tmp_root, "/tmp/strata-test-XXXXXX");
    if (!mkdtemp(tmp_root))
        tmp_root[0] = '\0';
}

/* Under one root made by the main process, so directories made inside a
 * forked test case are removed too. */
char *test_tmpdir(void)
{
    char *d = malloc(128);
    ck_assert_ptr_nonnull(d);
    snprintf(d, 128, "%s/d-XXXXXX", tmp_root[0] ? tmp_root : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(d));
    return d;
}

void test_write_bytes(const char *dir, const char *name, const char *data, size_t n)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    ck_assert_msg(f != NULL, "open %s: %s", p, strerror(errno));
    ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    fclose(f);
}

void test_write(const char *dir, const char *name, const char *content)
{
    test_write_bytes(dir, name, content, strlen(content));
}

void test_events_cb(const strata_event *ev, void *payload)
{
    test_events *e = payload;
    size_t len = strlen(e->log);
    e->n++;
    if (ev->type >= 0 && ev->type < 32)
        e->count[ev->type]++;
    if (ev->pid)
        e->last_pid = ev->pid;
    if (len < sizeof e->log - 1)
        snprintf(e->log + len, sizeof e->log - len, "[%d v%lld] %s\n", (int)ev->type,
                 (long long)ev->version, ev->message ? ev->message : "");
}

strata *test_open(void)
{
    strata *s = NULL;
    int rc = strata_open(&s, test_db_current());
    ck_assert_msg(rc == STRATA_OK, "strata_open: %s", strata_errmsg(s));
    return s;
}

pid_t test_spawn_apply(const char *dsn, const strata_migration_def *defs, size_t n)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        strata *s = NULL;
        int rc = strata_open(&s, dsn);
        if (rc == STRATA_OK)
            rc = strata_add_migrations(s, defs, n);
        if (rc == STRATA_OK)
            rc = strata_apply(s, STRATA_LATEST);
        if (rc)
            fprintf(stderr, "migrator %d: %s\n", (int)getpid(), strata_errmsg(s));
        strata_close(s);
        _exit(-rc);
    }
    return pid;
}

int test_wait_apply(pid_t pid)
{
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st), "migrator %d died (status %d)", (int)pid, st);
    return -WEXITSTATUS(st);
}

/* ---- PgBouncer in front of the cluster (transaction pooling) ---- */

static int free_port(void)
{
    struct sockaddr_in a = {0};
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static bool port_open(int port)
{
    struct sockaddr_in a = {0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    bool ok;
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

static const char *find_pgbouncer(void)
{
    const char *env = getenv("STRATA_PGBOUNCER");
    static const char *const paths[] = {"/usr/sbin/pgbouncer", "/usr/bin/pgbouncer",
                                        "/usr/local/bin/pgbouncer"};
    if (env && *env)
        return file_exists(env) ? env : NULL;
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        if (file_exists(paths[i]))
            return paths[i];
    return NULL;
}

static bool write_bouncer_files(const char *ini, int port)
{
    char users[128];
    snprintf(users, sizeof users, "%s/userlist.txt", cluster_dir);
    FILE *u = fopen(users, "w"), *f = fopen(ini, "w");
    if (!u || !f) {
        if (u)
            fclose(u);
        if (f)
            fclose(f);
        return false;
    }
    fputs("\"postgres\" \"\"\n", u);
    fprintf(f, "[databases]\n* = host=%s port=5432\n[pgbouncer]\nlisten_addr = 127.0.0.1\n"
               "listen_port = %d\nunix_socket_dir =\nauth_type = trust\nauth_file = %s\n"
               "pool_mode = transaction\ndefault_pool_size = 4\nmax_client_conn = 50\n"
               "ignore_startup_parameters = extra_float_digits\nlogfile = %s/pgbouncer.log\n"
               "pidfile = %s\n",
            cluster_dir, port, users, cluster_dir, bouncer_pidfile);
    fclose(u);
    return fclose(f) == 0;
}

const char *test_pgbouncer_start(void)
{
    static char dsn[128];
    char ini[128];
    const char *bin = find_pgbouncer();
    char portfile[128];
    int port = 0;
    FILE *pf;
    if (!bin || !cluster_dir[0]) {
        const char *req = getenv("STRATA_TEST_REQUIRE_PG");
        ck_assert_msg(!(req && strcmp(req, "1") == 0),
                      "pgbouncer is not installed (apt-get install pgbouncer), and "
                      "STRATA_TEST_REQUIRE_PG=1");
        fprintf(stderr, "SKIP: %s\n", bin ? "PgBouncer needs the harness's own cluster (STRATA_TEST_DSN is set)"
                                          : "pgbouncer is not installed (apt-get install pgbouncer)");
        return NULL;
    }
    /* test cases run in forked children: the first one starts it for all,
     * the owner process stops it (harness_stop) */
    snprintf(portfile, sizeof portfile, "%s/pgbouncer.port", cluster_dir);
    snprintf(bouncer_pidfile, sizeof bouncer_pidfile, "%s/pgbouncer.pid", cluster_dir);
    if ((pf = fopen(portfile, "r")) != NULL) {
        bool ok = fscanf(pf, "%d", &port) == 1;
        fclose(pf);
        if (ok && port_open(port)) {
            snprintf(dsn, sizeof dsn, "host=127.0.0.1 port=%d user=postgres", port);
            return dsn;
        }
    }
    port = free_port();
    ck_assert_int_gt(port, 0);
    snprintf(ini, sizeof ini, "%s/pgbouncer.ini", cluster_dir);
    ck_assert_msg(write_bouncer_files(ini, port), "writing %s", ini);
    char *argv[] = {(char *)bin, "-d", ini, NULL};
    ck_assert_msg(run_as_server_user(argv, NULL) == 0, "pgbouncer did not start; see %s/pgbouncer.log",
                  cluster_dir);
    for (int i = 0; i < 100 && !port_open(port); i++)
        usleep(50000);
    ck_assert_msg(port_open(port), "pgbouncer is not listening; see %s/pgbouncer.log", cluster_dir);
    if ((pf = fopen(portfile, "w")) != NULL) {
        fprintf(pf, "%d\n", port);
        fclose(pf);
    }
    snprintf(dsn, sizeof dsn, "host=127.0.0.1 port=%d user=postgres", port);
    return dsn;
}

static void bouncer_stop(void)
{
    FILE *f;
    int pid = 0;
    snprintf(bouncer_pidfile, sizeof bouncer_pidfile, "%s/pgbouncer.pid", cluster_dir);
    f = fopen(bouncer_pidfile, "r");
    if (f && fscanf(f, "%d", &pid) == 1 && pid > 1)
        kill((pid_t)pid, SIGTERM); /* only the pgbouncer this harness started */
    if (f)
        fclose(f);
    for (int i = 0; i < 100 && pid > 1 && kill((pid_t)pid, 0) == 0; i++)
        usleep(20000);
    bouncer_pidfile[0] = '\0';
}
