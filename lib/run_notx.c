/* No-transaction migrations: statements split by the PostgreSQL parser and
 * sent one by one, with a `dirty` history row that records progress, so a
 * failure or a killed process leaves an exact resume point. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "resume.h"
#include "run_notx.h"

/* After a failed CREATE INDEX CONCURRENTLY the server keeps an INVALID index
 * that still slows writes; name it and say how to clear it. */
static void explain_invalid_index(strata *s, sbuf *b, const char *stmt)
{
    char *schema = NULL, *rel = NULL, *idx = NULL, *rlit = NULL, *ilit = NULL;
    sbuf q;
    PGresult *r = NULL;
    if (!parse_index_concurrently(stmt, &schema, &rel, &idx))
        return;
    rlit = regclass_literal(s, schema, rel);
    if (idx)
        ilit = pg_literal(s, idx);
    sbuf_init(&q);
    /* quote_ident: a printed cleanup must drop this index and no other */
    sbuf_printf(&q,
                "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = "
                "c.relnamespace WHERE NOT i.indisvalid AND i.indrelid = to_regclass(%s)",
                rlit ? rlit : "NULL");
    if (ilit)
        sbuf_printf(&q, " AND c.relname = %s", ilit);
    if (!q.oom) {
        if (pg_simple_quiet(s, q.data, &r) == STRATA_OK) {
            for (int i = 0; i < PQntuples(r); i++)
                sbuf_printf(b, "\nthe failed CREATE INDEX CONCURRENTLY left the INVALID index "
                               "%s behind; clear it with: DROP INDEX CONCURRENTLY IF EXISTS %s;",
                            PQgetvalue(r, i, 0), PQgetvalue(r, i, 0));
        }
        PQclear(r);
    }
    sbuf_free(&q);
    free(schema);
    free(rel);
    free(idx);
    free(rlit);
    free(ilit);
}

static void mark_failed(run_ctx *rc, const migration *m, int32_t stmt_no, const char *msg)
{
    strata *s = rc->s;
    char *lit = pg_literal(s, msg);
    char *sql = lit ? history_update_sql(s, m->version, "failed_statement = %d, error = %s", (int)stmt_no, lit)
                    : NULL;
    if (sql)
        pg_simple_quiet(s, sql, NULL);
    free(sql);
    free(lit);
}

/* Sends one statement together with its progress update, so the two commit
 * together; statements that refuse a transaction block (CONCURRENTLY,
 * VACUUM...) are sent alone, and then *alone_done says the statement itself
 * committed: only its progress update may be tried again, never it. */
static int send_query(strata *s, const notx_hook *h, const char *sql, int32_t idx, bool alone,
                      pgres_list *out)
{
    return h ? h->exec(h->arg, s, sql, idx, alone, out) : pg_exec(s, sql, out);
}

static int exec_statement(strata *s, const notx_hook *h, int32_t idx, const char *stmt,
                          const char *progress, pgres_list *out, bool *alone_done)
{
    sbuf q;
    int rc;
    *alone_done = false;
    sbuf_init(&q);
    sbuf_printf(&q, "%s\n;\n%s", stmt, progress);
    if (q.oom) {
        sbuf_free(&q);
        return set_error(s, STRATA_ENOMEM, "out of memory");
    }
    rc = send_query(s, h, q.data, idx, false, out);
    sbuf_free(&q);
    if (rc == STRATA_ESQL && pg_sqlstate_is(pgres_err(out), "25001")) {
        /* the progress update's memory first: once the statement ran, it
         * must be recorded, or a resume would run it twice */
        pgres_list pl = {NULL, 0, -1};
        pgres_list_clear(out);
        if (pgres_list_reserve(&pl))
            return set_error(s, STRATA_ENOMEM, "out of memory");
        rc = send_query(s, h, stmt, idx, true, out);
        if (rc == STRATA_OK) {
            *alone_done = true;
            pgres_list_clear(out);
            rc = pg_exec_reserved(s, progress, out, pl);
        } else {
            pgres_list_clear(&pl);
        }
    }
    return rc;
}

/* The progress update of a statement that already committed, retried on a
 * lock timeout by itself. */
static int retry_progress(run_ctx *rc, const migration *m, const char *progress, pgres_list *l,
                          int r2)
{
    for (int attempt = 0; r2 == STRATA_ESQL && retry_wait(rc, m, attempt, pgres_err(l)); attempt++) {
        pgres_list_clear(l);
        r2 = pg_exec(rc->s, progress, l);
    }
    return r2;
}

static int fail_statement(run_ctx *rc, const migration *m, const stmt_list *sl, int32_t i,
                          const char *stmt, pgres_list *l, int code)
{
    strata *s = rc->s;
    const PGresult *e = pgres_err(l);
    sbuf b;
    /* a failure inside the migration's own BEGIN ... COMMIT leaves the
     * transaction aborted: end it, so the dirty row and the unlock go through */
    pg_rollback(s);
    sbuf_init(&b);
    if (e) {
        long off = pg_error_offset(e, stmt);
        if (off < 0 || off > sl->items[i].len)
            off = 0;
        pg_describe_error(&b, e, m->source, m->up_sql, m->up_line, sl->items[i].offset + off);
        lock_failure_suffix(rc, &b, e);
        if (code == STRATA_ESQL) {
            mark_failed(rc, m, i + 1, b.data ? b.data : "");
            explain_invalid_index(s, &b, stmt);
        }
    } else {
        sbuf_puts(&b, strata_errmsg(s));
    }
    sbuf_printf(&b,
                "\nmigration %lld (no-transaction) is dirty: statement %d of %d failed, %d "
                "completed. Fix the cause, then run `strata up --resume` to continue from "
                "statement %d, or resolve it by hand with `strata force %lld --applied` or "
                "`--pending`.",
                (long long)m->version, (int)i + 1, (int)sl->n, (int)i, (int)i + 1,
                (long long)m->version);
    set_error_buf(s, code, &b);
    sbuf_free(&b);
    return code;
}

static int split_or_fail(strata *s, const migration *m, stmt_list *sl)
{
    sbuf err;
    int32_t off = -1;
    int rc;
    sbuf_init(&err);
    rc = split_sql(sl, m->up_sql, &err, &off);
    if (rc) {
        int32_t line = m->up_line;
        for (int32_t k = 0; off > 0 && k < off && m->up_sql[k]; k++)
            line += m->up_sql[k] == '\n';
        set_error(s, rc, "%s:%d: %s", m->source, (int)line, err.data ? err.data : "out of memory");
    } else if (sl->scanner_fallback) {
        emit(s, STRATA_EVENT_WARNING, m,
             "the parser could not read this migration (newer grammar?); statements were "
             "split by the scanner instead");
    }
    sbuf_free(&err);
    return rc;
}

static int start_dirty(run_ctx *rc, const migration *m, int32_t start)
{
    strata *s = rc->s;
    char *sql;
    int res;
    if (start == 0 && !history_find(&rc->hist, m->version)) {
        sql = history_insert_sql(s, m, "dirty", 0, HIST_DURATION_NONE);
    } else {
        sql = history_update_sql(s, m->version, "failed_statement = NULL, error = NULL");
    }
    if (!sql)
        return set_error(s, STRATA_ENOMEM, "out of memory");
    res = pg_simple(s, sql, NULL);
    free(sql);
    if (res == STRATA_OK) {
        sql = timeout_settings_sql(s, m, false);
        res = sql ? pg_simple(s, sql, NULL) : set_error(s, STRATA_ENOMEM, "out of memory");
        free(sql);
    }
    return res;
}

static int finish_applied(run_ctx *rc, const migration *m, int32_t n, int64_t ms)
{
    strata *s = rc->s;
    char *sql = history_update_sql(s, m->version,
                                   "state = 'applied', statements_done = %d, failed_statement = NULL, "
                                   "error = NULL, duration_ms = coalesce(duration_ms, 0) + %lld, "
                                   "applied_at = now()",
                                   (int)n, (long long)ms);
    int res = sql ? pg_simple(s, sql, NULL) : set_error(s, STRATA_ENOMEM, "out of memory");
    free(sql);
    return res;
}

/* Resuming: the finished prefix must be what ran; a statement cut off
 * between its commit and its progress row is recognised in the catalog. */
static int resume_point(run_ctx *rc, const migration *m, const stmt_list *sl, const char *hashes,
                        int32_t *start)
{
    strata *s = rc->s;
    int res = resume_check(s, m, sl, hashes, *start);
    if (res || *start >= sl->n || !history_find(&rc->hist, m->version))
        return res;
    char *stmt = xstrndup(m->up_sql + sl->items[*start].offset, (size_t)sl->items[*start].len);
    if (stmt && resume_statement_done(s, stmt)) {
        char *prog = history_update_sql(s, m->version, "statements_done = %d, done_hashes = '%.*s'",
                                        (int)*start + 1, (int)((*start + 1) * 17 - 1), hashes);
        res = prog ? pg_simple(s, prog, NULL) : set_error(s, STRATA_ENOMEM, "out of memory");
        free(prog);
        if (res == STRATA_OK) {
            sbuf b;
            sbuf_init(&b);
            sbuf_printf(&b, "statement %d completed before the interruption (its index is in "
                            "the catalog, valid): not run again", (int)*start + 1);
            emit(s, STRATA_EVENT_WARNING, m, b.data);
            sbuf_free(&b);
            (*start)++;
        }
    } else if (stmt) {
        res = resume_drop_invalid_index(s, m, stmt);
    }
    free(stmt);
    return res;
}

static int run_statement(run_ctx *rc, const migration *m, const stmt_list *sl, int32_t i,
                         const char *hashes, const notx_hook *h)
{
    strata *s = rc->s;
    char *stmt = xstrndup(m->up_sql + sl->items[i].offset, (size_t)sl->items[i].len);
    char *prog = history_update_sql(s, m->version, "statements_done = %d, done_hashes = '%.*s'",
                                    (int)i + 1, (int)((i + 1) * 17 - 1), hashes);
    int64_t ts = now_ms();
    int res = !stmt || !prog ? set_error(s, STRATA_ENOMEM, "out of memory") : STRATA_OK;
    for (int attempt = 0; res == STRATA_OK; attempt++) {
        pgres_list l = {NULL, 0, -1};
        bool alone_done;
        int r2 = exec_statement(s, h, i, stmt, prog, &l, &alone_done);
        if (alone_done)
            r2 = retry_progress(rc, m, prog, &l, r2);
        if (r2 == STRATA_OK) {
            strata_event ev = event_of(STRATA_EVENT_STATEMENT_DONE, m, NULL);
            ev.statement = i + 1;
            ev.duration_ms = now_ms() - ts;
            emit_ev(s, &ev);
            pgres_list_clear(&l);
            break;
        }
        if (!alone_done && r2 == STRATA_ESQL && retry_wait(rc, m, attempt, pgres_err(&l))) {
            pgres_list_clear(&l);
            continue;
        }
        res = fail_statement(rc, m, sl, i, stmt, &l, r2);
        pgres_list_clear(&l);
    }
    free(stmt);
    free(prog);
    return res;
}

int run_migration_notx(run_ctx *rc, const migration *m, int32_t start)
{
    return run_migration_notx_hooked(rc, m, start, NULL);
}

int run_migration_notx_hooked(run_ctx *rc, const migration *m, int32_t start,
                              const notx_hook *h)
{
    strata *s = rc->s;
    stmt_list sl = {0};
    char *hashes = NULL;
    bool resumed = history_find(&rc->hist, m->version) != NULL;
    int res = split_or_fail(s, m, &sl);
    int64_t t0 = now_ms();
    if (res)
        return res;
    hashes = resume_hashes(m->up_sql, &sl);
    res = hashes ? resume_prepare_table(s) : set_error(s, STRATA_ENOMEM, "out of memory");
    if (res == STRATA_OK)
        res = resume_point(rc, m, &sl, hashes, &start);
    if (res == STRATA_OK)
        res = start_dirty(rc, m, start);
    for (int32_t i = start; res == STRATA_OK && i < sl.n; i++)
        res = run_statement(rc, m, &sl, i, hashes, h);
    settings_restore(s, &rc->snap);
    if (res == STRATA_OK)
        res = finish_applied(rc, m, sl.n, now_ms() - t0);
    if (res == STRATA_OK && resumed) {
        /* the file as it is now is what the database holds */
        char *sum = history_checksum_sql(s, m);
        res = sum ? pg_simple(s, sum, NULL) : set_error(s, STRATA_ENOMEM, "out of memory");
        free(sum);
    }
    free(hashes);
    stmt_list_free(&sl);
    return res;
}
