/* One migrator at a time: a session advisory lock keyed on database, schema
 * and history table. It is polled with pg_try_advisory_lock, never waited
 * for inside a statement: a waiter blocked in a statement holds a snapshot,
 * and a CREATE INDEX CONCURRENTLY in the winner would wait for it forever. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "internal.h"
#include "pooler.h"

static int holder_pid(strata *s, int64_t key)
{
    char sql[256];
    PGresult *r = NULL;
    int pid = 0;
    snprintf(sql, sizeof sql,
             "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
             "AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = %lld",
             (long long)key);
    if (pg_simple(s, sql, &r) == STRATA_OK && PQntuples(r) > 0)
        pid = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    return pid;
}

static int lock_poll(strata *s, int64_t *key_out);

/* While waiting, the event repeats about once a second from the poll loop,
 * with the holder as it is now and the time waited, so a waiting line can
 * say who it waits for and for how long. */
#define LOCK_WAIT_REPEAT_MS 1000

static void tell_waiting(strata *s, int64_t key, int64_t waited)
{
    strata_event ev = event_of(STRATA_EVENT_LOCK_WAIT, NULL,
                               "waiting for another migrator to release the lock");
    ev.pid = holder_pid(s, key);
    ev.duration_ms = waited;
    emit_ev(s, &ev);
}

/* The lock, and around the work it guards the borrowed connection's
 * notices (conn.c): lock_release ends both. Through a transaction pooler
 * only the key is computed: each transaction takes it (pooler.c). */
static int lock_take(strata *s, int64_t *key_out, bool runs_migrations)
{
    int rc;
    if ((rc = check_conn_idle(s)) || (rc = history_resolve(s)) || (rc = pooler_detect(s)))
        return rc;
    if (s->pooled && runs_migrations && (rc = pooler_check_pending(s)))
        return rc;
    conn_notices_enter(s);
    rc = lock_poll(s, key_out);
    if (rc)
        conn_notices_leave(s);
    return rc;
}

int lock_acquire(strata *s, int64_t *key_out)
{
    return lock_take(s, key_out, true);
}

int lock_acquire_admin(strata *s, int64_t *key_out)
{
    return lock_take(s, key_out, false);
}

/* Keyed on the history's resolved schema, so every migrator of that table
 * meets on the same key whatever its search_path. */
static int lock_poll(strata *s, int64_t *key_out)
{
    char *schema = pg_literal(s, s->hist_schema ? s->hist_schema : s->run_schema);
    char *table = pg_literal(s, s->hist_table);
    sbuf sql;
    PGresult *r = NULL;
    int rc;
    int64_t key, start = now_ms(), pause = 20, next_tell = 0;
    if (!schema || !table) {
        free(schema);
        free(table);
        return set_error(s, STRATA_ENOMEM, "out of memory");
    }
    sbuf_init(&sql);
    sbuf_printf(&sql,
                "SELECT k, %s FROM (SELECT "
                "hashtextextended(current_database() || '/' || %s || '/' || %s, 0) AS k) x",
                s->pooled ? "true" : "pg_try_advisory_lock(k)", schema, table);
    free(schema);
    free(table);
    rc = sql.oom ? set_error(s, STRATA_ENOMEM, "out of memory") : pg_simple(s, sql.data, &r);
    sbuf_free(&sql);
    if (rc)
        return rc;
    key = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    bool got = PQgetvalue(r, 0, 1)[0] == 't';
    PQclear(r);
    s->pool_key = key;
    while (!got) {
        char q[96];
        int64_t waited = now_ms() - start;
        if (waited >= s->lock_wait_ms) {
            int pid = holder_pid(s, key);
            return set_error(s, STRATA_ELOCKED,
                             "another migrator (backend pid %d) held the migration lock for "
                             "longer than the lock wait of %lld ms; wait for it to finish, or "
                             "inspect it with: SELECT * FROM pg_stat_activity WHERE pid = %d",
                             pid, (long long)s->lock_wait_ms, pid);
        }
        if (waited >= next_tell) {
            tell_waiting(s, key, waited);
            next_tell = waited + LOCK_WAIT_REPEAT_MS;
        }
        sleep_ms(pause);
        if (pause < 250)
            pause *= 2;
        snprintf(q, sizeof q, "SELECT pg_try_advisory_lock(%lld)", (long long)key);
        r = NULL;
        rc = pg_simple(s, q, &r);
        if (rc)
            return rc;
        got = PQgetvalue(r, 0, 0)[0] == 't';
        PQclear(r);
    }
    *key_out = key;
    return STRATA_OK;
}

void lock_release(strata *s, int64_t key)
{
    char q[96];
    PGresult *r = NULL;
    conn_notices_leave(s);
    if (!s->conn || PQstatus(s->conn) != CONNECTION_OK)
        return; /* the server released it with the session */
    pg_rollback(s);
    if (s->pooled)
        return; /* no session lock was taken */
    snprintf(q, sizeof q, "SELECT pg_advisory_unlock(%lld)", (long long)key);
    /* keep the error that ended the run: unlocking must not overwrite it */
    if (pg_simple_quiet(s, q, &r) == STRATA_OK)
        PQclear(r);
}
