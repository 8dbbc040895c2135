/* The blocker watch: while a migration statement runs, a second connection
 * asks pg_blocking_pids() who holds it up and reports them as events. It
 * only reports; cancelling other sessions is the operator's decision. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static PGconn *connect_like(strata *s)
{
    /* a borrowed connection has no conninfo: reuse its parameters */
    return s->conninfo ? PQconnectdb(s->conninfo) : pg_connect_like(s, NULL);
}

void watch_close(strata *s)
{
    if (s->watch_conn)
        PQfinish(s->watch_conn);
    s->watch_conn = NULL;
}

void watch_report(strata *s, int64_t waited_ms)
{
    char pid[16];
    const char *params[1] = {pid};
    PGresult *r;
    if (s->watch_failed)
        return;
    if (!s->watch_conn) {
        s->watch_conn = connect_like(s);
        if (!s->watch_conn || PQstatus(s->watch_conn) != CONNECTION_OK) {
            watch_close(s);
            s->watch_failed = true; /* reported once, then the run goes on */
            emit(s, STRATA_EVENT_WARNING, NULL, "blocker watch: could not open a second connection");
            return;
        }
    }
    snprintf(pid, sizeof pid, "%d", PQbackendPID(s->conn));
    r = PQexecParams(s->watch_conn,
                     "SELECT a.pid, coalesce(a.state, ''), coalesce(a.query, ''), "
                     "coalesce((extract(epoch FROM now() - a.xact_start) * 1000)::bigint, 0) "
                     "FROM pg_stat_activity a WHERE a.pid = ANY (pg_blocking_pids($1::int))",
                     1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
        for (int i = 0; i < PQntuples(r); i++) {
            sbuf b;
            sbuf_init(&b);
            sbuf_printf(&b, "blocked by pid %s (%s, transaction open %s ms): %s",
                        PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 3),
                        PQgetvalue(r, i, 2));
            strata_event ev = event_of(STRATA_EVENT_BLOCKED, NULL, b.data);
            ev.version = s->cur_version;
            ev.pid = (int32_t)strtol(PQgetvalue(r, i, 0), NULL, 10);
            ev.duration_ms = waited_ms;
            if (i == 0) {
                s->last_blocker_pid = ev.pid;
                snprintf(s->last_blocker, sizeof s->last_blocker, "%s", b.data ? b.data : "");
            }
            emit_ev(s, &ev);
            sbuf_free(&b);
        }
    }
    PQclear(r);
}
