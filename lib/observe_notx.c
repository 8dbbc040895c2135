/* Observe mode for no-transaction migrations (and resumed ones). Each
 * statement commits on its own and releases its locks before its backend
 * could be asked, so they are sampled from a second connection while it
 * runs (observe_sample.c); rewrites are read from pg_class after it
 * committed. The statements, their progress rows and the dirty row are the
 * no-transaction runner's own (run_notx.c): observing only sends each
 * query through its hook. */
#include <stdlib.h>
#include <string.h>

#include "observe.h"
#include "observe_lint.h"
#include "observe_report.h"
#include "observe_sample.h"
#include "run_notx.h"

typedef struct notx_observer {
    const migration *m;
    stmt_list sl;
    lock_sampler ls;
    char *own_sql; /* the statement's locks, read inside its implicit transaction */
    relfiles files;
    size_t rewrites; /* by the last statement */
    obs_lint lint;
    held_list held;
    bool warned;
} notx_observer;

static void warn_once(strata *s, notx_observer *o, const char *what, const char *detail)
{
    sbuf b;
    if (o->warned)
        return;
    o->warned = true;
    sbuf_init(&b);
    sbuf_printf(&b, "observe: %s%s%s; the statements run on, their report may miss locks", what,
                detail ? ": " : "", detail ? detail : "");
    emit(s, STRATA_EVENT_WARNING, o->m, b.data);
    sbuf_free(&b);
}

/* "locks" (seen granted) and "waited" (seen waiting) of the sampled statement. */
static void locks_json(notx_observer *o, sbuf *json)
{
    bool first = true;
    sbuf_puts(json, "\"locks\":[");
    for (size_t i = 0; i < o->ls.n; i++) {
        const seen_lock *l = &o->ls.locks[i];
        if (!l->granted)
            continue;
        lock_json(json, first, l->rel, l->mode);
        first = false;
        held_note(&o->held, l->rel, l->mode, l->last_ms - l->first_ms);
    }
    sbuf_puts(json, "],\"waited\":[");
    first = true;
    for (size_t i = 0; i < o->ls.n; i++) {
        if (o->ls.locks[i].waited) {
            lock_json(json, first, o->ls.locks[i].rel, o->ls.locks[i].mode);
            first = false;
        }
    }
    sbuf_puts(json, "],");
}

/* Reads pg_class on the second connection: after a statement, with @json,
 * the relations it rewrote. */
static void snapshot_files(strata *s, notx_observer *o, sbuf *json)
{
    PGresult *r = PQexec(o->ls.conn, OBSERVE_FILES_SQL);
    sbuf ignore;
    sbuf_init(&ignore);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        warn_once(s, o, "reading pg_class", PQerrorMessage(o->ls.conn));
        o->files.known = false;
        o->rewrites = 0;
        sbuf_puts(json ? json : &ignore, "\"rewrote\":[]");
    } else if (!relfiles_update(&o->files, r, json ? json : &ignore, &o->rewrites)) {
        json = json ? json : &ignore;
        json->oom = true;
    }
    PQclear(r);
    sbuf_free(&ignore);
}

/* Lint against statement @idx: its locks count only when read inside its
 * transaction (@exact); samples may miss a short one. */
static void judge(notx_observer *o, int32_t idx, bool exact, sbuf *json)
{
    const char **modes = calloc(o->ls.n + 1, sizeof *modes);
    size_t n = 0;
    int32_t end = idx + 1 < o->sl.n ? observe_line_of(o->m, o->sl.items[idx + 1].offset) : INT32_MAX;
    if (!modes) {
        json->oom = true;
        return;
    }
    for (size_t i = 0; i < o->ls.n; i++)
        if (o->ls.locks[i].granted)
            modes[n++] = o->ls.locks[i].mode;
    observe_lint_judge(&o->lint, observe_line_of(o->m, o->sl.items[idx].offset), end, exact,
                       modes, n, o->rewrites, json);
    free(modes);
}

static void report(strata *s, notx_observer *o, int32_t idx, bool exact, int64_t ms,
                   const pgres_list *l)
{
    const char *t = l->n ? PQcmdTuples(l->items[0]) : "";
    sbuf json;
    if (o->ls.error)
        warn_once(s, o, "sampling pg_locks failed", o->ls.error);
    if (o->ls.oom)
        warn_once(s, o, "out of memory sampling pg_locks", NULL);
    sampler_resolve(&o->ls);
    sbuf_init(&json);
    sbuf_printf(&json, "{\"line\":%d,", (int)observe_line_of(o->m, o->sl.items[idx].offset));
    locks_json(o, &json);
    snapshot_files(s, o, &json);
    judge(o, idx, exact, &json);
    sbuf_printf(&json, ",\"samples\":%d}", o->ls.samples);
    if (!json.oom)
        observe_emit(s, o->m, idx + 1, ms, *t ? strtoll(t, NULL, 10) : -1, json.data);
    sbuf_free(&json);
}

/* A statement sent with its progress update runs in one implicit
 * transaction: a last query in it reads every lock the statement took,
 * however short it was. A statement sent alone has only the samples. */
static char *with_own_locks(notx_observer *o, const char *sql)
{
    sbuf b;
    sbuf_init(&b);
    sbuf_printf(&b, "%s;\n%s", sql, o->own_sql);
    return sbuf_take(&b);
}

/* The hook: the runner's query, sampled while it runs. Only a statement
 * that succeeded is reported (a lock_timeout retry reports once). */
static int observed_exec(void *arg, strata *s, const char *sql, int32_t idx, bool alone,
                         pgres_list *out)
{
    notx_observer *o = arg;
    int64_t t0 = now_ms();
    char *own = alone ? NULL : with_own_locks(o, sql);
    int rc = !alone && !own ? set_error(s, STRATA_ENOMEM, "out of memory")
                            : sampler_start(s, &o->ls);
    if (rc) {
        *out = (pgres_list){NULL, 0, -1};
        free(own);
        return rc;
    }
    rc = pg_exec(s, own ? own : sql, out);
    sampler_stop(&o->ls);
    if (rc == STRATA_OK && own && out->n > 1)
        sampler_take(&o->ls, out->items[out->n - 1]);
    if (rc == STRATA_OK && idx < o->sl.n)
        report(s, o, idx, own != NULL, now_ms() - t0, out);
    free(own);
    return rc;
}

static int prepare(strata *s, notx_observer *o)
{
    int res = sampler_open(s, &o->ls);
    char *lit = res == STRATA_OK ? pg_literal(s, o->ls.exclude) : NULL;
    sbuf b;
    if (res)
        return res;
    sbuf_init(&b);
    sbuf_printf(&b, SAMPLE_COLUMNS_SQL SAMPLE_OWN_SQL "(%s::oid[])", lit ? lit : "");
    free(lit);
    o->own_sql = lit ? sbuf_take(&b) : NULL;
    sbuf_free(&b);
    if (!o->own_sql)
        return set_error(s, STRATA_ENOMEM, "out of memory");
    snapshot_files(s, o, NULL);
    observe_lint_load(s, o->m, &o->lint);
    return STRATA_OK;
}

int run_notx_observed(run_ctx *rc, const migration *m, int32_t start)
{
    strata *s = rc->s;
    notx_observer o = {.m = m};
    notx_hook h = {observed_exec, &o};
    sbuf err;
    int32_t eo;
    int res;
    sbuf_init(&err);
    /* the runner splits the same text the same way; a split error is its to report */
    if (split_sql(&o.sl, m->up_sql, &err, &eo) != STRATA_OK) {
        sbuf_free(&err);
        stmt_list_free(&o.sl);
        return run_migration_notx(rc, m, start);
    }
    sbuf_free(&err);
    res = prepare(s, &o);
    if (res == STRATA_OK) {
        res = run_migration_notx_hooked(rc, m, start, &h);
        held_emit(s, m, &o.held); /* what committed, also when a later statement failed */
    }
    sampler_close(&o.ls);
    free(o.own_sql);
    observe_lint_clear(&o.lint);
    relfiles_clear(&o.files);
    held_clear(&o.held);
    stmt_list_free(&o.sl);
    return res;
}
