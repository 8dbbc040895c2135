/* Settings never leak out of a migration: the session state a migration
 * could change (SET without LOCAL persists past COMMIT; SET ROLE and SET
 * SESSION AUTHORIZATION too) is captured before the run and put back after
 * every migration, so the next migration sees what it had: the session
 * authorization and role, and the guarded settings below. A borrowed
 * connection gets more, as it goes back to the application: every setting
 * made with SET (pg_settings source 'session') is put back or reset. That
 * scan of pg_settings costs about ten times the rest, so owned connections
 * skip it. Custom "x.y" settings are not listed by the server and so not
 * reset. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const guarded[] = {
    "search_path", "lock_timeout", "statement_timeout",
    "idle_in_transaction_session_timeout", "client_min_messages", "TimeZone",
    "DateStyle", "IntervalStyle", "default_transaction_isolation",
};
#define N_GUARDED (sizeof guarded / sizeof guarded[0])

/* Never restored by name: per transaction, or handled first (role). */
#define NOT_RESTORED "'role', 'session_authorization', 'is_superuser', 'transaction_isolation', " \
                     "'transaction_read_only', 'transaction_deferrable'"

/* One row, as SQL literals: session authorization, role, the settings as
 * "(name, value), ..." and as "set_config(name, value, false), ...". */
static int snapshot_query(strata *s, PGresult **r)
{
    sbuf q;
    int rc;
    sbuf_init(&q);
    sbuf_printf(&q, "SELECT quote_literal(current_setting('session_authorization')), "
                    "quote_literal(current_setting('role')), string_agg(format('(%%L, %%L)', name, "
                    "current_setting(name)), ', '), string_agg(format('set_config(%%L, %%L, false)', "
                    "name, current_setting(name)), ', ') FROM pg_settings WHERE (%s OR name IN (",
                s->owns_conn ? "false" : "source = 'session'");
    for (size_t i = 0; i < N_GUARDED; i++)
        sbuf_printf(&q, "%s'%s'", i ? ", " : "", guarded[i]);
    sbuf_puts(&q, ")) AND name NOT IN (" NOT_RESTORED ")");
    rc = q.oom ? set_error(s, STRATA_ENOMEM, "out of memory") : pg_simple(s, q.data, r);
    sbuf_free(&q);
    return rc;
}

int settings_snapshot(strata *s, settings_snap *out)
{
    sbuf restore;
    PGresult *r = NULL;
    int rc = snapshot_query(s, &r);
    if (rc)
        return rc;
    const char *auth = PQgetvalue(r, 0, 0), *role = PQgetvalue(r, 0, 1);
    sbuf_init(&restore);
    /* who first (SET SESSION AUTHORIZATION also resets the role), then the
     * settings, which may need those privileges; a target list is
     * evaluated in order */
    sbuf_printf(&restore,
                "SELECT CASE WHEN current_setting('session_authorization') <> %s THEN "
                "set_config('session_authorization', %s, false) END, CASE WHEN "
                "current_setting('role') <> %s THEN set_config('role', %s, false) END",
                auth, auth, role, role);
    if (s->owns_conn)
        sbuf_printf(&restore, ", %s", PQgetvalue(r, 0, 3));
    else
        sbuf_printf(&restore,
                    ";\nSELECT count(set_config(n, v, false)) FROM (SELECT name, NULL::text "
                    "FROM pg_settings WHERE source = 'session' AND name NOT IN (" NOT_RESTORED
                    ") AND name NOT IN (SELECT n FROM (VALUES %s) k(n, v)) UNION ALL VALUES %s) "
                    "x(n, v)",
                    PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 2));
    PQclear(r);
    out->restore_sql = sbuf_take(&restore);
    return out->restore_sql ? STRATA_OK : set_error(s, STRATA_ENOMEM, "out of memory");
}

void settings_restore(strata *s, const settings_snap *sn)
{
    if (sn->restore_sql && s->conn && PQstatus(s->conn) == CONNECTION_OK)
        pg_simple_quiet(s, sn->restore_sql, NULL);
}

void settings_free(settings_snap *sn)
{
    free(sn->restore_sql);
    sn->restore_sql = NULL;
}

char *timeout_settings_sql(strata *s, const migration *m, bool local)
{
    int64_t lt = m && m->d.lock_timeout_ms >= 0 ? m->d.lock_timeout_ms : s->lock_timeout_ms;
    int64_t st = m && m->d.statement_timeout_ms >= 0 ? m->d.statement_timeout_ms
                                                     : s->statement_timeout_ms;
    sbuf b;
    sbuf_init(&b);
    sbuf_printf(&b, "SET %slock_timeout = '%lldms';\nSET %sstatement_timeout = '%lldms';\n",
                local ? "LOCAL " : "", (long long)lt, local ? "LOCAL " : "", (long long)st);
    return sbuf_take(&b);
}
