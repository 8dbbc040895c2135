/* Notices of the handle's connection. An owned connection carries strata's
 * receiver (NOTICE events) from open to close. A borrowed one carries the
 * application's receiver, except while a call does strata's own work: then
 * strata's receiver stands in, but only when the one it replaces can be put
 * back exactly. libpq never reports a receiver's argument, so that is
 * libpq's own receiver (which ignores its argument) or the receiver the
 * application named with strata_set_conn_notice_receiver. */
#include <stdlib.h>
#include <string.h>

#include "conn.h"

static void notice_receiver(void *arg, const PGresult *res)
{
    strata *s = arg;
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    /* through a pooler the migration's BEGIN comes inside the transaction
     * the lock was taken in (pooler.c): its warning is strata's own */
    if (s->pooled && state && strcmp(state, "25001") == 0)
        return;
    strata_event ev = event_of(STRATA_EVENT_NOTICE, NULL, PQresultErrorMessage(res));
    ev.version = s->cur_version;
    emit_ev(s, &ev);
}

void conn_notices_owned(strata *s)
{
    PQsetNoticeReceiver(s->conn, notice_receiver, s);
}

void conn_notices_borrowed(strata *s)
{
    /* a connection object libpq gives up on while parsing "x" (no network,
     * no environment) still carries libpq's default receiver */
    PGconn *probe = PQconnectStart("x");
    s->libpq_notice = probe ? PQsetNoticeReceiver(probe, NULL, NULL) : NULL;
    PQfinish(probe);
}

void conn_notices_enter(strata *s)
{
    PQnoticeReceiver cur;
    void *arg;
    if (s->owns_conn || s->notice_swapped || !s->conn)
        return;
    cur = PQsetNoticeReceiver(s->conn, NULL, NULL); /* NULL: only asks */
    if (cur && cur == s->libpq_notice)
        arg = NULL;
    else if (cur && cur == s->app_notice)
        arg = s->app_notice_arg;
    else
        return; /* an argument we cannot know: leave the application's receiver */
    s->prev_notice = cur;
    s->prev_notice_arg = arg;
    s->notice_swapped = true;
    PQsetNoticeReceiver(s->conn, notice_receiver, s);
}

void conn_notices_leave(strata *s)
{
    if (!s->notice_swapped)
        return;
    PQsetNoticeReceiver(s->conn, s->prev_notice, s->prev_notice_arg);
    s->notice_swapped = false;
}

STRATA_EXPORT int strata_set_conn_notice_receiver(strata *s, strata_notice_receiver fn, void *arg)
{
    if (!s || !s->conn || s->owns_conn)
        return STRATA_EINVAL;
    s->app_notice = (PQnoticeReceiver)fn;
    s->app_notice_arg = fn ? arg : NULL;
    return STRATA_OK;
}
