/* The down part of a migration as a script of its own: its directives,
 * and whether it holds any statement at all (a one-way migration's down
 * often holds only a comment such as "-- Not reversible"). */
#include <stdlib.h>
#include <string.h>

#include "down.h"
#include "sqlcheck.h"

/* A down that exists but holds no statement: a one-way migration. The
 * first question classifies it (migration_classify), once. */
bool down_is_empty(const migration *m, char **comment)
{
    if (comment)
        *comment = NULL;
    if (!m->down_sql)
        return false;
    migration_classify(m);
    if (m->down_empty) {
        if (comment && m->down_comment)
            *comment = xstrdup(m->down_comment);
        return true;
    }
    return false;
}

const directives *down_directives(const migration *m, directives *tmp)
{
    sbuf ignore;
    if (m->down_d.phase != 0 || !m->down_sql)
        return &m->down_d;
    sbuf_init(&ignore);
    directives_parse(tmp, m->down_sql, m->down_line > 0 ? m->down_line : 1, &ignore);
    sbuf_free(&ignore);
    return tmp;
}

char *down_settings_sql(strata *s, const migration *m, bool local)
{
    directives tmp;
    migration as_down = *m; /* shallow: only its directives are read */
    char *sql;
    directives_init(&tmp);
    as_down.d = *down_directives(m, &tmp);
    sql = timeout_settings_sql(s, &as_down, local);
    directives_clear(&tmp);
    return sql;
}

/* An empty down allowed to run: only its history row goes, with a warning. */
int revert_empty(run_ctx *rc, const migration *m, const char *del)
{
    strata *s = rc->s;
    char *comment = NULL;
    int res = pg_simple(s, del, NULL);
    sbuf b;
    if (res)
        return res;
    down_is_empty(m, &comment);
    sbuf_init(&b);
    sbuf_printf(&b, "%s (version %lld): the down holds no statement; ran as a no-op, the "
                    "history row removed%s%s%s",
                m->down_source ? m->down_source : m->source, (long long)m->version,
                comment ? " (\"" : "", comment ? comment : "", comment ? "\")" : "");
    emit(s, STRATA_EVENT_WARNING, m, b.data);
    sbuf_free(&b);
    free(comment);
    return STRATA_OK;
}
