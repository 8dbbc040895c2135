/* Settings never leak out of a migration: the session values a migration
 * could change (SET without LOCAL persists past COMMIT) are captured before
 * the run and put back after every migration, so the next migration and a
 * borrowed connection see what they had. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const guarded[] = {
    "search_path", "lock_timeout", "statement_timeout",
    "idle_in_transaction_session_timeout", "client_min_messages", "TimeZone",
    "DateStyle", "IntervalStyle", "default_transaction_isolation",
};
#define N_GUARDED (sizeof guarded / sizeof guarded[0])

int settings_snapshot(strata *s, settings_snap *out)
{
    sbuf q, restore;
    PGresult *r = NULL;
    int rc;
    sbuf_init(&q);
    sbuf_puts(&q, "SELECT ");
    for (size_t i = 0; i < N_GUARDED; i++)
        sbuf_printf(&q, "%scurrent_setting('%s')", i ? ", " : "", guarded[i]);
    rc = q.oom ? set_error(s, STRATA_ENOMEM, "out of memory") : pg_simple(s, q.data, &r);
    sbuf_free(&q);
    if (rc)
        return rc;
    sbuf_init(&restore);
    sbuf_puts(&restore, "SELECT ");
    for (size_t i = 0; i < N_GUARDED; i++) {
        char *lit = pg_literal(s, PQgetvalue(r, 0, (int)i));
        restore.oom |= !lit; /* never restore '' (an empty search_path) */
        sbuf_printf(&restore, "%sset_config('%s', %s, false)", i ? ", " : "", guarded[i],
                    lit ? lit : "''");
        free(lit);
    }
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
