/* Batched backfills: one DML statement, each run in its own short
 * transaction, repeated until it touches no row. Short transactions keep
 * row locks brief and let autovacuum keep up; the statement is written to
 * be idempotent, so an interrupted batch simply runs again. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "resume.h"
#include "run_batch.h"
#include "sqlcheck.h"

static int64_t exact_count(strata *s, const char *schema, const char *rel)
{
    char *qs = schema ? pg_ident(s, schema) : NULL, *qr = pg_ident(s, rel);
    sbuf q;
    PGresult *r = NULL;
    int64_t n = -1;
    sbuf_init(&q);
    sbuf_printf(&q, "SELECT count(*) FROM %s%s%s", qs ? qs : "", qs ? "." : "", qr ? qr : "");
    if (qr && (qs || !schema) && !q.oom && pg_simple_quiet(s, q.data, &r) == STRATA_OK &&
        PQntuples(r) == 1)
        n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    sbuf_free(&q);
    free(qs);
    free(qr);
    return n;
}

static int32_t first_stmt_line(const migration *m)
{
    stmt_list sl = {0};
    sbuf ignore;
    int32_t off, line = m->up_line > 0 ? m->up_line : 1;
    sbuf_init(&ignore);
    if (split_sql(&sl, m->up_sql, &ignore, &off) == STRATA_OK && sl.n > 0)
        for (int32_t k = 0; k < sl.items[0].offset; k++)
            line += m->up_sql[k] == '\n';
    stmt_list_free(&sl);
    sbuf_free(&ignore);
    return line;
}

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

/* A batch ends when its statement touches no row; one whose WHERE still
 * matches the rows it changed never would. Past this many rows (ten times
 * the planner's estimate of the table, at least ten thousand) it cannot be
 * converging. -1: no limit (not an UPDATE or DELETE, or no estimate). */
static int64_t batch_row_limit(strata *s, const migration *m)
{
    char *schema = NULL, *rel = NULL, *lit = NULL;
    int64_t limit = -1;
    if (dml_target(m->up_sql, &schema, &rel))
        lit = regclass_literal(s, schema, rel);
    if (lit) {
        sbuf q;
        PGresult *r = NULL;
        sbuf_init(&q);
        /* the planner's estimate: reltuples scaled to the table's size now */
        sbuf_printf(&q, "SELECT (CASE WHEN c.reltuples > 0 AND c.relpages > 0 THEN c.reltuples "
                        "/ c.relpages * greatest(pg_relation_size(c.oid) / "
                        "current_setting('block_size')::int, 1) ELSE 0 END)::bigint"
                        ", c.reltuples <= 0 OR c.relpages = 0 "
                        "FROM pg_class c WHERE c.oid = to_regclass(%s)", lit);
        if (!q.oom && pg_simple_quiet(s, q.data, &r) == STRATA_OK && PQntuples(r) == 1) {
            int64_t est = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
            if (PQgetvalue(r, 0, 1)[0] == 't') /* never analyzed: count once */
                est = exact_count(s, schema, rel);
            if (est >= 0)
                limit = 10 * (est > 1000 ? est : 1000);
        }
        PQclear(r);
        sbuf_free(&q);
    }
    free(lit);
    free(schema);
    free(rel);
    return limit;
}

static int not_converging(strata *s, const migration *m, int64_t total, int32_t batch,
                          int64_t limit)
{
    return set_error(s, STRATA_ESQL,
                     "%s:%d: the batch changed %lld rows in %d batches, more than ten times "
                     "the rows its table holds (limit %lld): its WHERE still matches rows it "
                     "already changed, so it would never stop. Make the WHERE exclude what the "
                     "SET writes (e.g. WHERE NOT done). The batches so far are committed; the "
                     "migration is recorded dirty",
                     m->source, (int)first_stmt_line(m), (long long)total, (int)batch,
                     (long long)limit);
}

/* The dirty row a batch keeps while it runs: an interrupted backfill is
 * visible in status, and `up --resume` continues it (it is idempotent). */
static int start_dirty(run_ctx *rc, const migration *m)
{
    strata *s = rc->s;
    char *sql = history_find(&rc->hist, m->version)
                    ? history_update_sql(s, m->version, "failed_statement = NULL, error = NULL")
                    : history_insert_sql(s, m, "dirty", 0, HIST_DURATION_NONE);
    int res = sql ? pg_simple(s, sql, NULL) : set_error(s, STRATA_ENOMEM, "out of memory");
    free(sql);
    return res;
}

/* One batch: its statement, then the progress row, committed together. The
 * row says what is done if this batch never comes back. */
static char *batch_sql(strata *s, const migration *m, const char *prefix, int32_t batch,
                       int64_t total)
{
    char *prog = history_update_sql(s, m->version,
                                    "statements_done = %d, error = 'batch interrupted: %lld "
                                    "rows done in %d batches; run `strata up --resume` to "
                                    "continue'",
                                    (int)batch, (long long)total, (int)batch - 1);
    sbuf b;
    if (!prog)
        return NULL;
    sbuf_init(&b);
    sbuf_printf(&b, "%s%s;\nCOMMIT", prefix, prog);
    free(prog);
    return sbuf_take(&b);
}

static void mark_failed(strata *s, const migration *m, const char *msg)
{
    char *lit = pg_literal(s, msg ? msg : "");
    char *sql = lit ? history_update_sql(s, m->version, "failed_statement = 1, error = %s", lit)
                    : NULL;
    if (sql)
        pg_simple_quiet(s, sql, NULL);
    free(sql);
    free(lit);
}

static void emit_progress(strata *s, const migration *m, int32_t batch, int64_t rows,
                          int64_t total, int64_t t0)
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

static int batch_failed(strata *s, const migration *m, pgres_list *l, const char *sent,
                        size_t user_start, int32_t batch, int64_t total, int r2)
{
    if (l->n) {
        sbuf b;
        sbuf_init(&b);
        describe_failure(&b, l, m, sent, user_start, m->up_sql, m->up_line, 3);
        sbuf_printf(&b, "\n(batch %d failed after %lld rows in earlier batches, which are "
                        "committed; migration %lld is recorded dirty: fix the cause and run "
                        "`strata up --resume`, the statement continues where it stopped)",
                    (int)batch, (long long)total, (long long)m->version);
        set_error_buf(s, r2, &b);
        sbuf_free(&b);
    }
    if (r2 != STRATA_ECONNECT)
        mark_failed(s, m, strata_errmsg(s));
    return r2;
}

static int finish_applied(run_ctx *rc, const migration *m, int32_t batches, int64_t ms)
{
    strata *s = rc->s;
    char *sql = history_update_sql(s, m->version,
                                   "state = 'applied', statements_done = %d, failed_statement = "
                                   "NULL, error = NULL, duration_ms = %lld, applied_at = now()",
                                   (int)batches, (long long)ms);
    char *sum = history_checksum_sql(s, m);
    int res = sql && sum ? pg_simple(s, sql, NULL) : set_error(s, STRATA_ENOMEM, "out of memory");
    if (res == STRATA_OK)
        res = pg_simple(s, sum, NULL);
    free(sql);
    free(sum);
    return res;
}

int run_migration_batch(run_ctx *rc, const migration *m)
{
    return run_migration_batch_hooked(rc, m, NULL);
}

/* The result of the hook's query: right after the statement's (index 3). */
#define BATCH_AFTER_INDEX 4

int run_migration_batch_hooked(run_ctx *rc, const migration *m, const batch_hook *h)
{
    strata *s = rc->s;
    char *settings;
    sbuf prefix;
    size_t user_start;
    int64_t total = 0, t0 = now_ms(), limit;
    int32_t batch = 1;
    int res = one_statement(s, m);
    if (res == STRATA_OK)
        res = start_dirty(rc, m);
    if (res)
        return res;
    limit = batch_row_limit(s, m);
    settings = timeout_settings_sql(s, m, true);
    if (!settings)
        return set_error(s, STRATA_ENOMEM, "out of memory");
    sbuf_init(&prefix);
    sbuf_printf(&prefix, "BEGIN;\n%s", settings);
    free(settings);
    user_start = prefix.len;
    sbuf_puts(&prefix, m->up_sql);
    sbuf_puts(&prefix, "\n;\n");
    if (h && h->after_sql)
        sbuf_printf(&prefix, "%s;\n", h->after_sql);
    for (int attempt = 0; res == STRATA_OK; batch++) {
        pgres_list l;
        int64_t bt = now_ms();
        char *sql = prefix.oom ? NULL : batch_sql(s, m, prefix.data, batch, total);
        int r2 = sql ? pg_exec(s, sql, &l) : set_error(s, STRATA_ENOMEM, "out of memory");
        if (!sql)
            l = (pgres_list){NULL, 0, -1};
        if (r2 != STRATA_OK) {
            pg_rollback(s);
            if (r2 == STRATA_ESQL && retry_wait(rc, m, attempt++, pgres_err(&l))) {
                pgres_list_clear(&l);
                free(sql);
                batch--; /* the same batch again */
                continue;
            }
            res = batch_failed(s, m, &l, sql, user_start, batch, total, r2);
            pgres_list_clear(&l);
            free(sql);
            break;
        }
        free(sql);
        attempt = 0;
        int64_t rows = l.n > 3 ? strtoll(PQcmdTuples(l.items[3]), NULL, 10) : 0;
        if (h && h->done)
            h->done(h->arg, batch, rows, now_ms() - bt,
                    h->after_sql && l.n > BATCH_AFTER_INDEX ? l.items[BATCH_AFTER_INDEX] : NULL);
        pgres_list_clear(&l);
        total += rows;
        emit_progress(s, m, batch, rows, total, t0);
        if (rows == 0)
            break;
        if (limit >= 0 && total > limit) {
            res = not_converging(s, m, total, batch, limit);
            mark_failed(s, m, strata_errmsg(s));
            break;
        }
        if (m->d.batch_pause_ms > 0)
            sleep_ms(m->d.batch_pause_ms);
    }
    sbuf_free(&prefix);
    if (res == STRATA_OK)
        res = finish_applied(rc, m, batch, now_ms() - t0); /* the whole backfill's time */
    settings_restore(s, &rc->snap);
    return res;
}
