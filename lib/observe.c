/* Observe mode: what a migration really does, read from its own backend.
 *
 * A transactional migration runs statement by statement inside its one
 * transaction. After each statement one extra round trip reads, from
 * pg_locks, the relation locks this backend now holds and, from pg_class,
 * every user relation's relfilenode: a lock not held before was taken by the
 * statement; a relfilenode that changed means the relation was rewritten.
 * Locks in a transaction are held to its end, so at COMMIT each lock's hold
 * time is known. Everything goes out as STRATA_EVENT_OBSERVED events (shape
 * in strata.h). Meant for a staging copy: the migration is really applied. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "observe.h"
#include "observe_lint.h"
#include "observe_report.h"
#include "pooler.h"

#define OBSERVE_SQL OBSERVE_LOCKS_SQL ";\n" OBSERVE_FILES_SQL

typedef struct held_lock {
    char *rel, *mode;
    int64_t since_ms;
} held_lock;

typedef struct observer {
    held_lock *locks;
    size_t nlocks;
    relfiles files;
    size_t rewrites; /* by the last statement */
} observer;

static void observer_clear(observer *o)
{
    for (size_t i = 0; i < o->nlocks; i++) {
        free(o->locks[i].rel);
        free(o->locks[i].mode);
    }
    free(o->locks);
    relfiles_clear(&o->files);
    memset(o, 0, sizeof *o);
}

static bool lock_held(const observer *o, const char *rel, const char *mode)
{
    for (size_t i = 0; i < o->nlocks; i++)
        if (!strcmp(o->locks[i].rel, rel) && !strcmp(o->locks[i].mode, mode))
            return true;
    return false;
}

/* New locks go into @o (since @now) and into @json; so do rewrites. */
static bool take_locks(observer *o, const PGresult *r, int64_t now, sbuf *json)
{
    int n = PQntuples(r);
    bool first = true;
    held_lock *grown = realloc(o->locks, (o->nlocks + (size_t)n + 1) * sizeof *grown);
    if (!grown)
        return false;
    o->locks = grown;
    sbuf_puts(json, "\"locks\":[");
    for (int i = 0; i < n; i++) {
        const char *rel = PQgetvalue(r, i, 0), *mode = PQgetvalue(r, i, 1);
        if (lock_held(o, rel, mode))
            continue;
        held_lock *h = &o->locks[o->nlocks];
        h->rel = xstrdup(rel);
        h->mode = xstrdup(mode);
        h->since_ms = now;
        if (!h->rel || !h->mode) {
            free(h->rel);
            free(h->mode);
            return false;
        }
        o->nlocks++;
        lock_json(json, first, rel, mode);
        first = false;
    }
    sbuf_puts(json, "],");
    return true;
}

/* Reads locks and relfilenodes; with @json, appends what changed. */
static int observe_now(strata *s, observer *o, sbuf *json)
{
    pgres_list l;
    sbuf ignore;
    int rc = pg_exec(s, OBSERVE_SQL, &l);
    sbuf_init(&ignore);
    if (rc == STRATA_OK && l.n == 2) {
        if (!take_locks(o, l.items[0], now_ms(), json ? json : &ignore) ||
            !relfiles_update(&o->files, l.items[1], json ? json : &ignore, &o->rewrites))
            rc = set_error(s, STRATA_ENOMEM, "out of memory");
    } else if (rc == STRATA_OK) {
        rc = set_error(s, STRATA_ERROR, "observe: unexpected reply to the lock query");
    } else {
        sbuf b;
        sbuf_init(&b);
        sbuf_puts(&b, "observe: reading pg_locks: ");
        pg_describe_error(&b, pgres_err(&l), "observe", NULL, 0, -1);
        set_error_buf(s, rc, &b);
        sbuf_free(&b);
    }
    sbuf_free(&ignore);
    pgres_list_clear(&l);
    return rc;
}

/* The statement's own text, as sent. */
static char *stmt_text(const migration *m, const stmt_span *sp)
{
    return xstrndup(m->up_sql + sp->offset, (size_t)sp->len);
}

/* Runs one statement; on failure describes it at its place in the file. */
static int run_statement(run_ctx *rc, const migration *m, const stmt_span *sp, int64_t *rows,
                         const PGresult **failed, pgres_list *l)
{
    strata *s = rc->s;
    char *text = stmt_text(m, sp);
    int res;
    if (!text)
        return set_error(s, STRATA_ENOMEM, "out of memory");
    res = pg_exec(s, text, l);
    if (res == STRATA_OK) {
        const char *t = l->n ? PQcmdTuples(l->items[l->n - 1]) : "";
        *rows = *t ? strtoll(t, NULL, 10) : -1;
    } else if (l->n) {
        const PGresult *e = pgres_err(l);
        long off = pg_error_offset(e, text);
        sbuf b;
        sbuf_init(&b);
        pg_describe_error(&b, e, m->source, m->up_sql, m->up_line,
                          sp->offset + (off >= 0 ? off : 0));
        if (res == STRATA_ESQL)
            lock_failure_suffix(rc, &b, e);
        sbuf_printf(&b, "\n(migration %lld was rolled back: nothing of it was applied)",
                    (long long)m->version);
        set_error_buf(s, res, &b);
        sbuf_free(&b);
        *failed = e;
    }
    free(text);
    return res;
}

/* At COMMIT: how long each lock was held (locks last to the transaction's end). */
static void emit_held(strata *s, const migration *m, const observer *o, int64_t now)
{
    sbuf json;
    sbuf_init(&json);
    sbuf_puts(&json, "{\"held\":[");
    for (size_t i = 0; i < o->nlocks; i++) {
        sbuf_printf(&json, "%s{\"relation\":", i ? "," : "");
        sbuf_json_string(&json, o->locks[i].rel);
        sbuf_puts(&json, ",\"mode\":");
        sbuf_json_string(&json, o->locks[i].mode);
        sbuf_printf(&json, ",\"ms\":%lld}", (long long)(now - o->locks[i].since_ms));
    }
    sbuf_puts(&json, "]}");
    if (!json.oom)
        observe_emit(s, m, 0, -1, -1, json.data);
    sbuf_free(&json);
}

/* Lint against what statement @i did: every lock the transaction holds by
 * now counts (an earlier statement's lock is held while this one runs). */
static void judge(const observer *o, const obs_lint *lint, const migration *m,
                  const stmt_list *sl, int32_t i, sbuf *json)
{
    const char **modes = calloc(o->nlocks + 1, sizeof *modes);
    int32_t end = i + 1 < sl->n ? observe_line_of(m, sl->items[i + 1].offset) : INT32_MAX;
    if (!modes) {
        json->oom = true;
        return;
    }
    for (size_t k = 0; k < o->nlocks; k++)
        modes[k] = o->locks[k].mode;
    observe_lint_judge(lint, observe_line_of(m, sl->items[i].offset), end, true, modes,
                       o->nlocks, o->rewrites, json);
    free(modes);
}

/* One attempt: BEGIN, settings, baseline, the statements observed, the
 * history row, COMMIT. *retry is set when a lock_timeout may be retried. */
static int attempt_once(run_ctx *rc, const migration *m, const stmt_list *sl,
                        const obs_lint *lint, int attempt, bool *retry)
{
    strata *s = rc->s;
    observer o = {0};
    int64_t t0 = now_ms();
    char *settings = timeout_settings_sql(s, m, true);
    sbuf sql;
    int res;
    *retry = false;
    /* through a transaction pooler: the lock and the re-check in this
     * transaction, as run_migration_tx does (1: another migrator applied it) */
    int guard = pooler_tx_guard(rc, m);
    if (guard) {
        free(settings);
        return guard > 0 ? STRATA_OK : guard;
    }
    sbuf_init(&sql);
    sbuf_printf(&sql, "%s%s", s->pooled ? "" : "BEGIN;\n", settings ? settings : "");
    free(settings);
    res = sql.oom || !settings ? set_error(s, STRATA_ENOMEM, "out of memory")
                               : pg_simple(s, sql.data, NULL);
    sbuf_free(&sql);
    if (res == STRATA_OK)
        res = observe_now(s, &o, NULL);
    for (int32_t i = 0; res == STRATA_OK && i < sl->n; i++) {
        pgres_list l;
        const PGresult *failed = NULL;
        int64_t rows = -1, st = now_ms();
        res = run_statement(rc, m, &sl->items[i], &rows, &failed, &l);
        if (res == STRATA_ESQL && failed) {
            pg_rollback(s); /* locks taken so far must not be held while waiting */
            *retry = retry_wait(rc, m, attempt, failed);
        }
        pgres_list_clear(&l);
        if (res != STRATA_OK)
            break;
        int64_t ms = now_ms() - st;
        sbuf json;
        sbuf_init(&json);
        sbuf_printf(&json, "{\"line\":%d,", (int)observe_line_of(m, sl->items[i].offset));
        res = observe_now(s, &o, &json);
        if (res == STRATA_OK)
            judge(&o, lint, m, sl, i, &json);
        sbuf_puts(&json, "}");
        if (res == STRATA_OK && !json.oom)
            observe_emit(s, m, i + 1, ms, rows, json.data);
        sbuf_free(&json);
    }
    if (res == STRATA_OK) {
        char *ins = history_insert_sql(s, m, "applied", -1, now_ms() - t0);
        sbuf_init(&sql);
        sbuf_printf(&sql, "%s;\nCOMMIT", ins ? ins : "");
        res = !ins || sql.oom ? set_error(s, STRATA_ENOMEM, "out of memory")
                              : pg_simple(s, sql.data, NULL);
        free(ins);
        sbuf_free(&sql);
        if (res == STRATA_OK)
            emit_held(s, m, &o, now_ms());
    }
    if (res != STRATA_OK)
        pg_rollback(s);
    settings_restore(s, &rc->snap);
    observer_clear(&o);
    return res;
}

int run_migration_observed(run_ctx *rc, const migration *m)
{
    strata *s = rc->s;
    stmt_list sl = {0};
    sbuf err;
    int32_t eo = -1;
    int res;
    sbuf_init(&err);
    res = split_sql(&sl, m->up_sql, &err, &eo);
    if (res != STRATA_OK) {
        sbuf b;
        sbuf_init(&b);
        sbuf_printf(&b, "%s:%d: %s", m->source, (int)observe_line_of(m, eo < 0 ? 0 : eo),
                    err.data ? err.data : "cannot split");
        set_error_buf(s, res, &b);
        sbuf_free(&b);
        sbuf_free(&err);
        return res;
    }
    sbuf_free(&err);
    obs_lint lint;
    observe_lint_load(s, m, &lint);
    for (int attempt = 0;; attempt++) {
        bool retry;
        res = attempt_once(rc, m, &sl, &lint, attempt, &retry);
        if (res == STRATA_OK || !retry)
            break;
        clear_error(s);
    }
    observe_lint_clear(&lint);
    stmt_list_free(&sl);
    return res;
}

STRATA_EXPORT int strata_set_observe(strata *s, int32_t observe)
{
    if (!s)
        return STRATA_EINVAL;
    s->observe = observe != 0;
    return STRATA_OK;
}
