/* The lock sampler: a second connection that reads pg_locks for the
 * migration's backend every SAMPLE_INTERVAL_MS while one statement runs.
 * The thread touches nothing but the sampler (never the handle, never the
 * migration's connection), and it is joined before the results are read. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "observe_sample.h"

#define SAMPLE_STMT "strata_observe_sample"
#define SAMPLE_SQL                                                                         \
    SAMPLE_COLUMNS_SQL "WHERE l.pid = $1::int AND l.locktype = 'relation' AND "            \
    "l.relation >= 16384 AND l.relation <> ALL ($2::oid[])"

/* The runner's own progress update travels with each statement: the
 * history table and its indexes are not the migration's locks. */
static int history_oids(strata *s, char **out)
{
    char *q = history_qualified(s), *lit = q ? pg_literal(s, q) : NULL;
    PGresult *r = NULL;
    int res = STRATA_ENOMEM;
    sbuf b;
    sbuf_init(&b);
    if (lit)
        sbuf_printf(&b, "SELECT coalesce(array_agg(o ORDER BY o), '{}')::text FROM (SELECT "
                        "to_regclass(%s)::oid AS o UNION ALL SELECT i.indexrelid FROM pg_index "
                        "i WHERE i.indrelid = to_regclass(%s)) x WHERE o IS NOT NULL",
                    lit, lit);
    if (lit && !b.oom)
        res = pg_simple(s, b.data, &r);
    if (res == STRATA_OK && !(*out = xstrdup(PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "{}")))
        res = STRATA_ENOMEM;
    if (res == STRATA_ENOMEM)
        set_error(s, res, "out of memory");
    PQclear(r);
    sbuf_free(&b);
    free(lit);
    free(q);
    return res;
}

/* A conninfo with several hosts may reach another server (a standby),
 * where the migration's backend is not: its samples would all be empty. */
static int same_server(strata *s, lock_sampler *ls)
{
    const char *params[1] = {ls->pid};
    PGresult *r = PQexecParams(ls->conn, "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE "
                                         "pid = $1::int AND datname = current_database())",
                               1, NULL, params, NULL, NULL, 0);
    bool same = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
                PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (same)
        return STRATA_OK;
    return set_error(s, STRATA_ECONNECT, "observe: the second connection that watches the locks "
                     "of a no-transaction migration does not reach the migration's server and "
                     "database (nothing of it was run); connect with one host");
}

int sampler_open(strata *s, lock_sampler *ls)
{
    PGresult *r;
    int res;
    memset(ls, 0, sizeof *ls);
    atomic_init(&ls->stop, false);
    if ((res = history_oids(s, &ls->exclude)) != STRATA_OK)
        return res;
    ls->conn = s->conninfo ? PQconnectdb(s->conninfo) : pg_connect_like(s, NULL);
    if (!ls->conn || PQstatus(ls->conn) != CONNECTION_OK) {
        sbuf b;
        sbuf_init(&b);
        sbuf_puts(&b, "observe: could not open the second connection that watches the "
                      "locks of a no-transaction migration (nothing of it was run): ");
        pg_connection_message(&b, ls->conn);
        set_error_buf(s, STRATA_ECONNECT, &b);
        sbuf_free(&b);
        sampler_close(ls);
        return STRATA_ECONNECT;
    }
    snprintf(ls->pid, sizeof ls->pid, "%d", PQbackendPID(s->conn));
    if ((res = same_server(s, ls)) != STRATA_OK) {
        sampler_close(ls);
        return res;
    }
    r = PQprepare(ls->conn, SAMPLE_STMT, SAMPLE_SQL, 2, NULL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        set_error(s, STRATA_ESQL, "observe: preparing the lock sample: %s",
                  PQerrorMessage(ls->conn));
        PQclear(r);
        sampler_close(ls);
        return STRATA_ESQL;
    }
    PQclear(r);
    return STRATA_OK;
}

static seen_lock *find_or_add(lock_sampler *ls, const char *oid, const char *rel,
                              const char *mode)
{
    for (size_t i = 0; i < ls->n; i++)
        if (!strcmp(ls->locks[i].oid, oid) && !strcmp(ls->locks[i].mode, mode))
            return &ls->locks[i];
    seen_lock *grown = realloc(ls->locks, (ls->n + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    ls->locks = grown;
    seen_lock *l = &ls->locks[ls->n];
    memset(l, 0, sizeof *l);
    l->oid = xstrdup(oid);
    l->rel = xstrdup(rel);
    l->mode = xstrdup(mode);
    if (!l->oid || !l->rel || !l->mode) {
        free(l->oid);
        free(l->rel);
        free(l->mode);
        return NULL;
    }
    ls->n++;
    return l;
}

void sampler_take(lock_sampler *ls, const PGresult *r)
{
    int64_t now = now_ms();
    for (int i = 0; i < PQntuples(r); i++) {
        seen_lock *l = find_or_add(ls, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
                                   PQgetvalue(r, i, 2));
        if (!l) {
            ls->oom = true;
            continue;
        }
        if (PQgetvalue(r, i, 3)[0] != 't') {
            l->waited = true;
            continue;
        }
        if (!l->granted)
            l->first_ms = now;
        l->granted = true;
        l->last_ms = now;
    }
}

static void sample_once(lock_sampler *ls)
{
    const char *params[2] = {ls->pid, ls->exclude};
    PGresult *r = PQexecPrepared(ls->conn, SAMPLE_STMT, 2, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        if (!ls->error)
            ls->error = xstrdup(PQerrorMessage(ls->conn));
    } else {
        ls->samples++;
        sampler_take(ls, r);
    }
    PQclear(r);
}

static void *sample_loop(void *arg)
{
    lock_sampler *ls = arg;
    while (!atomic_load(&ls->stop)) {
        sample_once(ls);
        if (ls->error) /* the connection is gone: the statement goes on unwatched */
            break;
        sleep_ms(SAMPLE_INTERVAL_MS);
    }
    return NULL;
}

static void forget(lock_sampler *ls)
{
    for (size_t i = 0; i < ls->n; i++) {
        free(ls->locks[i].oid);
        free(ls->locks[i].rel);
        free(ls->locks[i].mode);
    }
    free(ls->locks);
    ls->locks = NULL;
    ls->n = 0;
    ls->samples = 0;
    ls->oom = false;
}

int sampler_start(strata *s, lock_sampler *ls)
{
    sigset_t all, old;
    int err;
    forget(ls);
    atomic_store(&ls->stop, false);
    /* signals (the CLI's Ctrl-C) stay with the application's threads */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    err = pthread_create(&ls->thread, NULL, sample_loop, ls);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err)
        return set_error(s, STRATA_ENOMEM, "observe: could not start the lock sampler thread");
    ls->running = true;
    return STRATA_OK;
}

void sampler_stop(lock_sampler *ls)
{
    if (!ls->running)
        return;
    atomic_store(&ls->stop, true);
    pthread_join(ls->thread, NULL);
    ls->running = false;
}

static bool all_digits(const char *s)
{
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

static int by_name(const void *a, const void *b)
{
    const seen_lock *x = a, *y = b;
    int c = strcmp(x->rel, y->rel);
    return c ? c : strcmp(x->mode, y->mode);
}

void sampler_resolve(lock_sampler *ls)
{
    for (size_t i = 0; ls->conn && i < ls->n; i++) {
        seen_lock *l = &ls->locks[i];
        const char *params[1] = {l->oid};
        if (!all_digits(l->rel))
            continue;
        PGresult *r = PQexecParams(ls->conn, "SELECT $1::oid::regclass::text", 1, NULL, params,
                                   NULL, NULL, 0);
        char *name = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1
                         ? xstrdup(PQgetvalue(r, 0, 0))
                         : NULL;
        if (name) {
            free(l->rel);
            l->rel = name;
        }
        PQclear(r);
    }
    if (ls->n > 1) /* the order of a transactional statement's report */
        qsort(ls->locks, ls->n, sizeof *ls->locks, by_name);
}

void sampler_close(lock_sampler *ls)
{
    sampler_stop(ls);
    forget(ls);
    if (ls->conn)
        PQfinish(ls->conn);
    free(ls->exclude);
    free(ls->error);
    memset(ls, 0, sizeof *ls);
}
