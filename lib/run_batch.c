/* Batched backfills: one DML statement, each run in its own short
 * transaction, repeated until it touches no row. Short transactions keep
 * row locks brief and let autovacuum keep up; the statement is written to
 * be idempotent, so an interrupted batch simply runs again. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int one_statement(strata *s, const migration *m)
{
    stmt_list sl = {0};
    sbuf err;
    int32_t off;
    int rc;
    sbuf_init(&err);
    rc = split_sql(&sl, m->up_sql, &err, &off);
    if (rc == STRATA_OK && sl.n != 1)
        rc = set_error(s, STRATA_EPARSE,
                       "%s: a strata:batch migration holds exactly one DML statement "
                       "(found %d); move the others to their own migration",
                       m->source, (int)sl.n);
    else if (rc)
        set_error(s, rc, "%s: %s", m->source, err.data ? err.data : "out of memory");
    stmt_list_free(&sl);
    sbuf_free(&err);
    return rc;
}

int run_migration_batch(run_ctx *rc, const migration *m)
{
    strata *s = rc->s;
    char *settings;
    sbuf sql;
    size_t user_start;
    int64_t total = 0, t0 = now_ms();
    int res = one_statement(s, m);
    if (res)
        return res;
    settings = timeout_settings_sql(s, m, true);
    if (!settings)
        return set_error(s, STRATA_ENOMEM, "out of memory");
    sbuf_init(&sql);
    sbuf_printf(&sql, "BEGIN;\n%s", settings);
    free(settings);
    user_start = sql.len;
    sbuf_puts(&sql, m->up_sql);
    sbuf_puts(&sql, "\n;\nCOMMIT");
    if (sql.oom) {
        sbuf_free(&sql);
        return set_error(s, STRATA_ENOMEM, "out of memory");
    }
    for (int32_t batch = 1;; batch++) {
        pgres_list l;
        int attempt = 0;
        int r2;
    again:
        r2 = pg_exec(s, sql.data, &l);
        if (r2 != STRATA_OK) {
            pg_rollback(s);
            if (r2 == STRATA_ESQL && retry_wait(rc, m, attempt++, pgres_err(&l))) {
                pgres_list_clear(&l);
                goto again;
            }
            if (l.n) {
                sbuf b;
                sbuf_init(&b);
                describe_failure(&b, &l, m, sql.data, user_start, m->up_sql, m->up_line, 3);
                sbuf_printf(&b, "\n(batch %d failed after %lld rows in earlier batches, which "
                                "are committed; the migration is not recorded: fix the cause "
                                "and run again, the statement continues where it stopped)",
                            (int)batch, (long long)total);
                set_error_buf(s, r2, &b);
                sbuf_free(&b);
            }
            pgres_list_clear(&l);
            res = r2;
            break;
        }
        int64_t rows = l.n > 3 ? strtoll(PQcmdTuples(l.items[3]), NULL, 10) : 0;
        pgres_list_clear(&l);
        total += rows;
        {
            sbuf b;
            int64_t el = now_ms() - t0;
            sbuf_init(&b);
            sbuf_printf(&b, "batch %d: %lld rows, %lld so far (%.0f rows/s)", (int)batch,
                        (long long)rows, (long long)total,
                        el > 0 ? (double)total * 1000.0 / (double)el : 0.0);
            strata_event ev = event_of(STRATA_EVENT_BATCH_PROGRESS, m, b.data);
            ev.statement = batch;
            ev.rows = total;
            ev.duration_ms = el;
            emit_ev(s, &ev);
            sbuf_free(&b);
        }
        if (rows == 0)
            break;
        if (m->d.batch_pause_ms > 0)
            sleep_ms(m->d.batch_pause_ms);
    }
    sbuf_free(&sql);
    if (res == STRATA_OK) {
        /* recorded once, with the whole backfill's duration */
        char *ins = history_insert_sql(s, m, "applied", -1, now_ms() - t0);
        res = ins ? pg_simple(s, ins, NULL) : set_error(s, STRATA_ENOMEM, "out of memory");
        free(ins);
        settings_restore(s, &rc->snap);
    }
    return res;
}
