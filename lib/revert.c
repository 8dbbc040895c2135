/* Reverting: down SQL in reverse order of application, every migration to
 * revert checked for down SQL before anything runs. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int by_rank_desc(const void *a, const void *b)
{
    const hist_row *x = *(const hist_row *const *)a, *y = *(const hist_row *const *)b;
    return x->rank < y->rank ? 1 : x->rank > y->rank ? -1 : 0;
}

/* The rows to revert, newest application first; every one must be known
 * and reversible before anything runs. */
static int revert_plan(strata *s, const history *h, int64_t target, int32_t steps,
                       const migration ***out, size_t *n_out)
{
    const hist_row **rows = calloc(h->n ? h->n : 1, sizeof *rows);
    const migration **ms;
    size_t n = 0, k = 0;
    if (!rows)
        return set_error(s, STRATA_ENOMEM, "out of memory");
    for (size_t i = 0; i < h->n; i++)
        rows[n++] = &h->rows[i];
    qsort(rows, n, sizeof *rows, by_rank_desc);
    ms = calloc(n ? n : 1, sizeof *ms);
    if (!ms) {
        free(rows);
        return set_error(s, STRATA_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        const hist_row *r = rows[i];
        if (steps >= 0 ? (int32_t)k >= steps : r->version <= target)
            continue;
        const migration *m = migset_find(&s->set, r->version);
        int err = 0;
        if (r->dirty)
            err = set_error(s, STRATA_EDIRTY, "version %lld is dirty; resolve it with `strata "
                            "up --resume` or `strata force` before reverting", (long long)r->version);
        else if (!m)
            err = set_error(s, STRATA_EIRREVERSIBLE, "version %lld (%s) is applied but unknown to "
                            "this program: its down SQL is not here; nothing was reverted",
                            (long long)r->version, r->name);
        else if (!m->down_sql)
            err = set_error(s, STRATA_EIRREVERSIBLE, "migration %lld (%s) has no down SQL; "
                            "nothing was reverted (write its .down.sql, or revert to a later "
                            "version)", (long long)m->version, m->source);
        if (err) {
            free(rows);
            free(ms);
            return err;
        }
        ms[k++] = m;
    }
    free(rows);
    *out = ms;
    *n_out = k;
    return STRATA_OK;
}

/* A down marked no-transaction (e.g. DROP INDEX CONCURRENTLY) runs
 * statement by statement; its history row goes once all succeeded. */
static int revert_notx(run_ctx *rc, const migration *m, const char *settings, const char *del)
{
    strata *s = rc->s;
    stmt_list sl = {0};
    sbuf err;
    int32_t off = -1;
    int res;
    sbuf_init(&err);
    res = split_sql(&sl, m->down_sql, &err, &off);
    if (res)
        set_error(s, res, "%s: %s", m->down_source, err.data ? err.data : "out of memory");
    sbuf_free(&err);
    if (res == STRATA_OK)
        res = pg_simple(s, settings, NULL);
    for (int32_t i = 0; res == STRATA_OK && i < sl.n; i++) {
        char *t = xstrndup(m->down_sql + sl.items[i].offset, (size_t)sl.items[i].len);
        pgres_list l = {NULL, 0, -1};
        res = t ? pg_exec(s, t, &l) : set_error(s, STRATA_ENOMEM, "out of memory");
        if (res == STRATA_ESQL) {
            sbuf b;
            long o = pg_error_offset(pgres_err(&l), t);
            sbuf_init(&b);
            pg_describe_error(&b, pgres_err(&l), m->down_source, m->down_sql, m->down_line,
                              sl.items[i].offset + (o < 0 ? 0 : o));
            sbuf_printf(&b, "\n(statements before %d of the revert of %lld were committed; the "
                            "migration stays recorded as applied)", (int)i + 1, (long long)m->version);
            set_error_buf(s, res, &b);
            sbuf_free(&b);
        }
        pgres_list_clear(&l);
        free(t);
    }
    stmt_list_free(&sl);
    if (res == STRATA_OK)
        res = pg_simple(s, del, NULL);
    settings_restore(s, &rc->snap);
    return res;
}

/* A transactional down and the removal of its history row: one round trip. */
static int revert_tx(run_ctx *rc, const migration *m, const char *settings, const char *del)
{
    strata *s = rc->s;
    pgres_list l = {NULL, 0, -1};
    sbuf sql;
    size_t user_start;
    int res;
    sbuf_init(&sql);
    sbuf_printf(&sql, "BEGIN;\n%s", settings);
    user_start = sql.len;
    sbuf_puts(&sql, m->down_sql);
    sbuf_printf(&sql, "\n;\n%s;\nCOMMIT;\n%s", del, rc->snap.restore_sql);
    res = sql.oom ? set_error(s, STRATA_ENOMEM, "out of memory") : pg_exec(s, sql.data, &l);
    if (res == STRATA_ESQL) {
        sbuf b;
        migration tmp = *m;
        pg_rollback(s);
        settings_restore(s, &rc->snap);
        tmp.source = m->down_source;
        sbuf_init(&b);
        describe_failure(&b, &l, &tmp, sql.data, user_start, m->down_sql, m->down_line, 3);
        sbuf_printf(&b, "\n(the revert of %lld was rolled back)", (long long)m->version);
        set_error_buf(s, res, &b);
        sbuf_free(&b);
    }
    pgres_list_clear(&l);
    sbuf_free(&sql);
    return res;
}

static int revert_one(run_ctx *rc, const migration *m)
{
    strata *s = rc->s;
    bool notx = migration_down_no_transaction(m);
    char *del = history_delete_sql(s, m->version), *settings;
    int res;
    int64_t t0 = now_ms();
    emit(s, STRATA_EVENT_REVERT_START, m, m->down_source);
    s->cur_version = m->version;
    settings = timeout_settings_sql(s, m, !notx);
    if (!del || !settings)
        res = set_error(s, STRATA_ENOMEM, "out of memory");
    else if (notx)
        res = revert_notx(rc, m, settings, del);
    else
        res = revert_tx(rc, m, settings, del);
    s->cur_version = 0;
    free(settings);
    free(del);
    if (res == STRATA_OK) {
        strata_event ev = event_of(STRATA_EVENT_REVERT_DONE, m, NULL);
        ev.duration_ms = now_ms() - t0;
        emit_ev(s, &ev);
    }
    return res;
}

static int revert_common(strata *s, int64_t target, int32_t steps)
{
    run_ctx rc = {0};
    const migration **ms = NULL;
    size_t n = 0;
    int res;
    if (!s)
        return STRATA_EINVAL;
    clear_error(s);
    rc.s = s;
    if ((res = pg_need_db(s)) || (res = check_conn_idle(s)))
        return res;
    res = history_read(s, &rc.hist);
    if (res == STRATA_OK)
        res = revert_plan(s, &rc.hist, target, steps, &ms, &n);
    if (res == STRATA_OK && s->dry_run) {
        for (size_t i = 0; res == STRATA_OK && i < n; i++)
            res = dry_run_one(s, ms[i], true);
    } else if (res == STRATA_OK && n) {
        free(ms);
        ms = NULL;
        res = start_run(&rc, false);
        if (res == STRATA_OK)
            res = revert_plan(s, &rc.hist, target, steps, &ms, &n);
        for (size_t i = 0; res == STRATA_OK && i < n; i++)
            res = revert_one(&rc, ms[i]);
    }
    free(ms);
    end_run(&rc);
    return res;
}

STRATA_EXPORT int strata_revert(strata *s, int64_t target)
{
    return revert_common(s, target, -1);
}

STRATA_EXPORT int strata_revert_steps(strata *s, int32_t n)
{
    if (!s || n < 0)
        return STRATA_EINVAL;
    return revert_common(s, 0, n);
}
