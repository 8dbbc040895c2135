/* Reverting: down SQL in reverse order of application, every migration to
 * revert checked for down SQL before anything runs. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "down.h"
#include "sqlcheck.h"

static int by_rank_desc(const void *a, const void *b)
{
    const hist_row *x = *(const hist_row *const *)a, *y = *(const hist_row *const *)b;
    return x->rank < y->rank ? 1 : x->rank > y->rank ? -1 : 0;
}

STRATA_EXPORT int strata_set_allow_empty_down(strata *s, int32_t allow)
{
    if (!s)
        return STRATA_EINVAL;
    s->allow_empty_down = allow != 0;
    return STRATA_OK;
}

static void note_empty(sbuf *b, const migration *m, size_t *n)
{
    char *comment = NULL;
    down_is_empty(m, &comment);
    sbuf_printf(b, "\n  %s (version %lld): ", m->down_source ? m->down_source : m->source,
                (long long)m->version);
    if (comment && *comment)
        sbuf_printf(b, "\"%s\"", comment);
    else
        sbuf_puts(b, "empty");
    free(comment);
    (*n)++;
}

/* The rows to revert, newest application first; every one must be known
 * and reversible before anything runs. */
static int revert_plan(strata *s, const history *h, int64_t target, int32_t steps,
                       const migration ***out, size_t *n_out)
{
    const hist_row **rows = calloc(h->n ? h->n : 1, sizeof *rows);
    const migration **ms;
    size_t n = 0, k = 0, n_empty = 0;
    sbuf empties;
    sbuf_init(&empties);
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
        else if (down_is_empty(m, NULL))
            note_empty(&empties, m, &n_empty);
        else
            err = sql_precheck(s, m->down_sql, m->down_source, m->down_line, NULL);
        if (err) {
            free(rows);
            free(ms);
            sbuf_free(&empties);
            return err;
        }
        ms[k++] = m;
    }
    free(rows);
    if (n_empty && !s->allow_empty_down) {
        free(ms);
        sbuf b;
        sbuf_init(&b);
        sbuf_printf(&b, "nothing was reverted: %zu migration(s) have a down that holds no "
                        "statement (one-way migrations?):%s\nto run them as no-ops (their "
                        "history rows removed), allow empty downs (`strata down "
                        "--allow-empty-down`, strata_set_allow_empty_down), or write their "
                        "down SQL",
                    n_empty, empties.data ? empties.data : "");
        sbuf_free(&empties);
        int err = set_error_buf(s, STRATA_EIRREVERSIBLE, &b);
        sbuf_free(&b);
        return err;
    }
    sbuf_free(&empties);
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

/* A down with its own BEGIN/COMMIT runs as written, with session-level
 * timeouts; its history row goes once it succeeded. */
static int revert_self(run_ctx *rc, const migration *m, const char *settings, const char *del)
{
    strata *s = rc->s;
    pgres_list l = {NULL, 0, -1};
    int res = pg_simple(s, settings, NULL);
    if (res == STRATA_OK)
        res = pg_exec(s, m->down_sql, &l);
    if (res == STRATA_ESQL || (res == STRATA_ECONNECT && l.n)) {
        sbuf b;
        migration tmp = *m;
        tmp.source = m->down_source;
        pg_rollback(s);
        sbuf_init(&b);
        describe_failure(&b, &l, &tmp, m->down_sql, 0, m->down_sql, m->down_line, 0);
        sbuf_printf(&b, "\n(the down manages its own transactions: what it committed before "
                        "the failure stays; %lld stays recorded as applied)", (long long)m->version);
        set_error_buf(s, res, &b);
        sbuf_free(&b);
    } else if (res == STRATA_OK && PQtransactionStatus(s->conn) != PQTRANS_IDLE) {
        pg_rollback(s);
        res = set_error(s, STRATA_ESQL, "%s: the down left a transaction open (BEGIN with no "
                        "COMMIT): it was rolled back; add the COMMIT", m->down_source);
    }
    pgres_list_clear(&l);
    if (res == STRATA_OK)
        res = pg_simple(s, del, NULL);
    settings_restore(s, &rc->snap);
    return res;
}

static int revert_one(run_ctx *rc, const migration *m)
{
    strata *s = rc->s;
    directives tmp;
    directives_init(&tmp);
    bool notx = down_directives(m, &tmp)->no_transaction;
    bool self = !notx && sql_has_transaction_control(m->down_sql);
    char *del = history_delete_sql(s, m->version), *settings;
    int res;
    int64_t t0 = now_ms();
    directives_clear(&tmp);
    strata_event start = event_of(STRATA_EVENT_REVERT_START, m, m->down_source);
    start.statement = notx ? 1 : 0; /* without a transaction (strata.h) */
    emit_ev(s, &start);
    s->cur_version = m->version;
    settings = down_settings_sql(s, m, !notx && !self);
    if (!del || !settings)
        res = set_error(s, STRATA_ENOMEM, "out of memory");
    else if (down_is_empty(m, NULL))
        res = revert_empty(rc, m, del);
    else if (notx)
        res = revert_notx(rc, m, settings, del);
    else if (self)
        res = revert_self(rc, m, settings, del);
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

static int by_version(const void *a, const void *b)
{
    const migration *x = *(const migration *const *)a, *y = *(const migration *const *)b;
    return x->version < y->version ? -1 : x->version > y->version;
}

/* Redo: the reverted migrations again, in version order. */
static int redo_apply(run_ctx *rc, const migration **ms, size_t n)
{
    const migration **up = malloc((n ? n : 1) * sizeof *up);
    int res = STRATA_OK;
    if (!up)
        return set_error(rc->s, STRATA_ENOMEM, "out of memory");
    memcpy(up, ms, n * sizeof *up);
    qsort(up, n, sizeof *up, by_version);
    for (size_t i = 0; res == STRATA_OK && rc->s->dry_run && i < n; i++)
        res = dry_run_one(rc->s, up[i], false);
    if (res == STRATA_OK && !rc->s->dry_run)
        res = apply_exact(rc, up, n);
    free(up);
    return res;
}

static int revert_common(strata *s, int64_t target, int32_t steps, bool redo, int64_t *first)
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
    if (res == STRATA_OK && redo && n == 0)
        res = set_error(s, STRATA_ENOTFOUND, "nothing is applied: there is nothing to redo");
    if (res == STRATA_OK && redo)
        res = check_migrations(s, ms, n); /* the ups too, before anything runs */
    if (res == STRATA_OK && s->dry_run) {
        for (size_t i = 0; res == STRATA_OK && i < n; i++)
            res = dry_run_one(s, ms[i], true);
        if (res == STRATA_OK && redo)
            res = redo_apply(&rc, ms, n);
    } else if (res == STRATA_OK && n) {
        free(ms);
        ms = NULL;
        res = start_run(&rc, false);
        if (res == STRATA_OK)
            res = revert_plan(s, &rc.hist, target, steps, &ms, &n);
        if (res == STRATA_OK && redo && n == 0)
            res = set_error(s, STRATA_ENOTFOUND, "nothing is applied: there is nothing to redo");
        for (size_t i = 0; res == STRATA_OK && i < n; i++)
            res = revert_one(&rc, ms[i]);
        if (res == STRATA_OK && redo)
            res = redo_apply(&rc, ms, n);
    }
    if (res == STRATA_OK && first && n)
        *first = ms[0]->version;
    free(ms);
    end_run(&rc);
    return res;
}

STRATA_EXPORT int strata_redo(strata *s, int32_t n, int64_t *out)
{
    if (s && n < 1)
        return set_error(s, STRATA_EINVAL, "redo %d: the number of migrations to redo is at "
                         "least 1", (int)n);
    return revert_common(s, 0, n, true, out);
}

STRATA_EXPORT int strata_revert(strata *s, int64_t target)
{
    if (s && target < STRATA_BEFORE_FIRST)
        return set_error(s, STRATA_EINVAL, "revert target %lld: versions are >= 0; use "
                         "STRATA_BEFORE_FIRST (-1) to revert every migration",
                         (long long)target);
    return revert_common(s, target, -1, false, NULL);
}

STRATA_EXPORT int strata_revert_steps(strata *s, int32_t n)
{
    if (!s || n < 0)
        return STRATA_EINVAL;
    return revert_common(s, 0, n, false, NULL);
}
