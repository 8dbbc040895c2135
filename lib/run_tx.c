/* Transactional migrations: the migration and its history row travel in one
 * round trip (BEGIN; settings; SQL; INSERT; COMMIT; restore), so the pair is
 * applied or neither, and a thousand migrations cost a thousand round trips.
 * In the single-transaction mode the history rows wait for the end of the
 * run (engine.c, run_items): one multi-row INSERT before the one COMMIT. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "pooler.h"

/* Maps a failed result back into the migration's own text: by the server's
 * position when it gives one, else by which statement failed. */
long map_error_offset(const pgres_list *l, const char *sent, size_t user_start,
                      const char *user, int prefix_stmts)
{
    const PGresult *e = pgres_err(l);
    long off = pg_error_offset(e, sent);
    size_t ulen = strlen(user);
    if (off >= 0)
        return (size_t)off >= user_start && (size_t)off <= user_start + ulen
                   ? off - (long)user_start
                   : -2; /* outside: in the runner's own statements */
    int idx = l->err_index - prefix_stmts;
    if (idx < 0)
        return -2;
    stmt_list sl = {0};
    sbuf ignore;
    int32_t eo;
    long res = -1;
    sbuf_init(&ignore);
    if (split_sql(&sl, user, &ignore, &eo) == STRATA_OK) {
        if (idx < sl.n)
            res = sl.items[idx].offset;
        else
            res = -2;
    }
    stmt_list_free(&sl);
    sbuf_free(&ignore);
    return res;
}

void describe_failure(sbuf *b, const pgres_list *l, const migration *m, const char *sent,
                      size_t user_start, const char *user, int32_t first_line, int prefix_stmts)
{
    long off = map_error_offset(l, sent, user_start, user, prefix_stmts);
    if (off == -2) {
        sbuf_printf(b, "%s: recording version %lld: ", m->source, (long long)m->version);
        pg_describe_error(b, pgres_err(l), "history", NULL, 0, -1);
        return;
    }
    pg_describe_error(b, pgres_err(l), m->source, user, first_line, off);
}

/* What one round trip sends for @m. Alone: BEGIN; settings; SQL; history
 * INSERT; COMMIT; restore. In the single-transaction mode: settings; SQL;
 * restore, with no savepoint (a failure aborts the whole run anyway) and no
 * INSERT (the rows go in one statement before the COMMIT, run_items). */
static int tx_sql(run_ctx *rc, const migration *m, sbuf *sql, size_t *user_start)
{
    strata *s = rc->s;
    char *settings = timeout_settings_sql(s, m, true);
    char *ins = s->single_tx ? NULL
                             : history_insert_sql(s, m, "applied", -1, HIST_DURATION_IN_STATEMENT);
    const char *restore = rc->snap.restore_sql ? rc->snap.restore_sql : "SELECT 1";
    if (settings && (ins || s->single_tx)) { /* puts, not printf: the texts are long */
        sbuf_puts(sql, s->single_tx ? "" : "BEGIN;\n");
        sbuf_puts(sql, settings);
        *user_start = sql->len;
        sbuf_puts(sql, m->up_sql);
        sbuf_puts(sql, "\n;\n");
        if (ins) {
            sbuf_puts(sql, ins);
            sbuf_puts(sql, ";\nCOMMIT;\n");
        }
        sbuf_puts(sql, restore);
    }
    free(settings);
    free(ins);
    if (!settings || (!ins && !s->single_tx) || sql->oom)
        return set_error(s, STRATA_ENOMEM, "out of memory");
    return STRATA_OK;
}

/* The statements before the migration's own: BEGIN (alone only) and the
 * two SET LOCAL of timeout_settings_sql. */
static int prefix_stmts(const strata *s)
{
    return s->single_tx ? 2 : 3;
}

static int tx_failed(run_ctx *rc, const migration *m, const sbuf *sql, size_t user_start,
                     pgres_list *l)
{
    strata *s = rc->s;
    sbuf b;
    sbuf_init(&b);
    describe_failure(&b, l, m, sql->data, user_start, m->up_sql, m->up_line, prefix_stmts(s));
    lock_failure_suffix(rc, &b, pgres_err(l));
    if (s->single_tx)
        sbuf_printf(&b, "\n(single transaction: everything this run applied was rolled back)");
    else
        sbuf_printf(&b, "\n(migration %lld was rolled back: nothing of it was applied)",
                    (long long)m->version);
    set_error_buf(s, STRATA_ESQL, &b);
    sbuf_free(&b);
    return STRATA_ESQL;
}

int run_migration_tx(run_ctx *rc, const migration *m)
{
    strata *s = rc->s;
    sbuf sql;
    size_t user_start = 0;
    int res;
    rc->skipped = false;
    sbuf_init(&sql);
    if ((res = tx_sql(rc, m, &sql, &user_start))) {
        sbuf_free(&sql);
        return res;
    }
    for (int attempt = 0;; attempt++) {
        int guard = pooler_tx_guard(rc, m); /* through a transaction pooler: lock + re-check */
        if (guard) {
            rc->skipped = guard > 0;
            res = guard > 0 ? STRATA_OK : guard;
            break;
        }
        pgres_list l;
        int rc2 = pg_exec(s, sql.data, &l);
        if (rc2 == STRATA_OK) {
            pgres_list_clear(&l);
            break;
        }
        if (rc2 != STRATA_ESQL) {
            if (l.n) {
                sbuf b;
                sbuf_init(&b);
                describe_failure(&b, &l, m, sql.data, user_start, m->up_sql, m->up_line,
                                 prefix_stmts(s));
                sbuf_puts(&b, s->single_tx ? "\n(the connection was lost: everything this run "
                                             "applied was rolled back)"
                                           : "\n(the connection was lost: the migration was "
                                             "rolled back)");
                set_error_buf(s, STRATA_ECONNECT, &b);
                sbuf_free(&b);
            }
            pgres_list_clear(&l);
            res = rc2;
            break;
        }
        /* single transaction: the run's ROLLBACK undoes the settings too */
        if (!s->single_tx) {
            pg_rollback(s);
            settings_restore(s, &rc->snap);
        }
        if (!s->single_tx && retry_wait(rc, m, attempt, pgres_err(&l))) {
            pgres_list_clear(&l);
            continue;
        }
        res = tx_failed(rc, m, &sql, user_start, &l);
        pgres_list_clear(&l);
        break;
    }
    sbuf_free(&sql);
    return res;
}

/* A migration with its own BEGIN/COMMIT runs as written; its history row
 * follows once it succeeded. */
int run_migration_self(run_ctx *rc, const migration *m)
{
    strata *s = rc->s;
    pgres_list l;
    int res;
    int64_t t0 = now_ms();
    char *settings = timeout_settings_sql(s, m, false);
    emit(s, STRATA_EVENT_SELF_MANAGED, m,
         "migration manages its own transactions (BEGIN/COMMIT in its SQL): run as written, "
         "with session-level timeouts");
    /* session-level: SET LOCAL would end with the migration's first COMMIT */
    res = settings ? pg_simple(s, settings, NULL) : set_error(s, STRATA_ENOMEM, "out of memory");
    free(settings);
    if (res) {
        settings_restore(s, &rc->snap);
        return res;
    }
    res = pg_exec(s, m->up_sql, &l);
    if (res == STRATA_ESQL || (res == STRATA_ECONNECT && l.n)) {
        sbuf b;
        pg_rollback(s);
        settings_restore(s, &rc->snap);
        sbuf_init(&b);
        describe_failure(&b, &l, m, m->up_sql, 0, m->up_sql, m->up_line, 0);
        sbuf_puts(&b, "\n(the migration manages its own transactions: what it committed "
                      "before the failure stays; it is not recorded as applied)");
        set_error_buf(s, res, &b);
        sbuf_free(&b);
    }
    pgres_list_clear(&l);
    if (res)
        return res;
    if (PQtransactionStatus(s->conn) != PQTRANS_IDLE) {
        /* checked before it ran; this is the guard: never record it applied */
        pg_rollback(s);
        settings_restore(s, &rc->snap);
        return set_error(s, STRATA_ESQL,
                         "%s: the migration left a transaction open (BEGIN with no COMMIT): it "
                         "was rolled back and is not recorded as applied; add the COMMIT",
                         m->source);
    }
    /* the INSERT runs after the migration: record the time measured here */
    char *ins = history_insert_sql(s, m, "applied", -1, now_ms() - t0);
    if (!ins)
        return set_error(s, STRATA_ENOMEM, "out of memory");
    res = pg_simple(s, ins, NULL);
    free(ins);
    settings_restore(s, &rc->snap);
    return res;
}
