/* Through a transaction pooler (PgBouncer pool_mode=transaction and the
 * like) a session is lent per transaction: a session advisory lock is taken
 * on one server backend, stays there after the transaction (orphaned,
 * blocking whoever gets that backend next), and the migration runs on
 * another. So there, strata takes no session lock: each transactional
 * migration takes pg_advisory_xact_lock in its own transaction and reads
 * its history row again under it, skipping what another migrator applied
 * meanwhile. A migration that spans transactions (no-transaction, batch,
 * its own BEGIN/COMMIT) cannot be protected that way and is refused. */
#include <stdlib.h>
#include <string.h>

#include "pooler.h"

static int backend_pid(strata *s, int *pid)
{
    PGresult *r = NULL;
    int rc = pg_simple(s, "SELECT pg_backend_pid()", &r);
    if (rc == STRATA_OK)
        *pid = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    return rc;
}

int pooler_detect(strata *s)
{
    int a = 0, b = 0, rc;
    if (s->pool_checked)
        return STRATA_OK;
    /* a pooler hands the client its own backend key, not the server's;
     * and between two transactions the backend may change */
    if ((rc = backend_pid(s, &a)) || (rc = backend_pid(s, &b)))
        return rc;
    s->pooled = a != PQbackendPID(s->conn) || a != b;
    s->pool_checked = true;
    return STRATA_OK;
}

static bool spans_transactions(const migration *m)
{
    return m->d.no_transaction || m->d.batch || sql_has_transaction_control(m->up_sql);
}

int pooler_check_pending(strata *s)
{
    history h = {0};
    int rc = history_read(s, &h);
    for (size_t i = 0; rc == STRATA_OK && i < s->set.n; i++) {
        const migration *m = &s->set.items[i];
        const hist_row *r = history_find(&h, m->version);
        if ((r && !r->dirty) || !spans_transactions(m))
            continue;
        rc = set_error(s, STRATA_EINVAL,
                       "%s (version %lld) runs outside a single transaction (no-transaction, "
                       "batch, or its own BEGIN/COMMIT), and this connection goes through a "
                       "transaction pooler (e.g. PgBouncer pool_mode=transaction: the server "
                       "backend is not the connection's own), where no lock holds across "
                       "transactions; connect directly to PostgreSQL, not through the pooler, "
                       "to apply it",
                       m->source, (long long)m->version);
    }
    history_clear(&h);
    return rc;
}

static int guard_failed(strata *s, const migration *m, pgres_list *l)
{
    const PGresult *e = pgres_err(l);
    int rc = STRATA_ECONNECT;
    if (!s->single_tx)
        pg_rollback(s);
    if (e && pg_sqlstate_is(e, "55P03"))
        rc = set_error(s, STRATA_ELOCKED,
                       "%s: another migrator held the migration lock for longer than the lock "
                       "wait of %lld ms (taken in the migration's transaction: the connection "
                       "goes through a transaction pooler)",
                       m->source, (long long)s->lock_wait_ms);
    else if (e)
        rc = set_error(s, STRATA_ESQL, "%s: taking the migration lock in its transaction: %s",
                       m->source, PQresultErrorMessage(e));
    pgres_list_clear(l);
    return rc;
}

int pooler_tx_guard(run_ctx *rc, const migration *m)
{
    strata *s = rc->s;
    char *q;
    sbuf sql;
    pgres_list l;
    int res;
    if (!s->pooled)
        return 0;
    if (!(q = history_qualified(s)))
        return set_error(s, STRATA_ENOMEM, "out of memory");
    sbuf_init(&sql);
    sbuf_printf(&sql, "%sSET LOCAL lock_timeout = '%lldms';\nSELECT pg_advisory_xact_lock(%lld);\n"
                      "SELECT EXISTS (SELECT 1 FROM %s WHERE version = %lld)",
                s->single_tx ? "" : "BEGIN;\n", (long long)s->lock_wait_ms, (long long)s->pool_key,
                q, (long long)m->version);
    free(q);
    res = sql.oom ? STRATA_ENOMEM : pg_exec(s, sql.data, &l);
    sbuf_free(&sql);
    if (res == STRATA_ENOMEM)
        return set_error(s, res, "out of memory");
    if (res)
        return guard_failed(s, m, &l);
    bool done = PQgetvalue(l.items[l.n - 1], 0, 0)[0] == 't';
    pgres_list_clear(&l);
    if (!done)
        return 0;
    if (!s->single_tx)
        pg_rollback(s);
    emit(s, STRATA_EVENT_WARNING, m, "already applied by another migrator meanwhile: skipped");
    return 1;
}

void pooler_lock_sql(strata *s, sbuf *sql)
{
    if (s->pooled)
        sbuf_printf(sql, "SET LOCAL lock_timeout = '%lldms';\nSELECT pg_advisory_xact_lock(%lld);\n",
                    (long long)s->lock_wait_ms, (long long)s->pool_key);
}
