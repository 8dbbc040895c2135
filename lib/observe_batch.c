/* Observe mode for batch migrations: each batch is one transaction, so its
 * locks are read from its own backend inside it, right after the batch's
 * statement (one more statement in the batch's query, no extra round
 * trip). The batches, their progress rows and the dirty row are the batch
 * runner's own (run_batch.c): observing only adds that query and reads it. */
#include <stdlib.h>

#include "observe.h"
#include "observe_lint.h"
#include "observe_report.h"
#include "run_batch.h"

typedef struct batch_observer {
    strata *s;
    const migration *m;
    int32_t line;
    obs_lint lint;
    held_list held;
} batch_observer;

/* Each batch: {"batch", "line", "locks", "rewrote"}; a DML statement never
 * rewrites, so "rewrote" is always empty. Its locks last to its COMMIT. */
static void batch_done(void *arg, int32_t batch, int64_t rows, int64_t ms, const PGresult *after)
{
    batch_observer *o = arg;
    sbuf json;
    sbuf_init(&json);
    sbuf_printf(&json, "{\"batch\":%d,\"line\":%d,\"locks\":[", (int)batch, (int)o->line);
    int n = after ? PQntuples(after) : 0;
    const char **modes = calloc((size_t)n + 1, sizeof *modes);
    for (int i = 0; i < n; i++) {
        lock_json(&json, i == 0, PQgetvalue(after, i, 0), PQgetvalue(after, i, 1));
        held_note(&o->held, PQgetvalue(after, i, 0), PQgetvalue(after, i, 1), ms);
        if (modes)
            modes[i] = PQgetvalue(after, i, 1);
    }
    sbuf_puts(&json, "],\"rewrote\":[]");
    if (modes)
        observe_lint_judge(&o->lint, o->line, INT32_MAX, after != NULL, modes, (size_t)n, 0, &json);
    else
        json.oom = true;
    free(modes);
    sbuf_puts(&json, "}");
    if (!json.oom)
        observe_emit(o->s, o->m, batch, ms, rows, json.data);
    sbuf_free(&json);
}

static int32_t statement_line(const migration *m)
{
    stmt_list sl = {0};
    sbuf ignore;
    int32_t off;
    int32_t line = observe_line_of(m, 0);
    sbuf_init(&ignore);
    if (split_sql(&sl, m->up_sql, &ignore, &off) == STRATA_OK && sl.n > 0)
        line = observe_line_of(m, sl.items[0].offset);
    stmt_list_free(&sl);
    sbuf_free(&ignore);
    return line;
}

int run_batch_observed(run_ctx *rc, const migration *m)
{
    batch_observer o = {rc->s, m, statement_line(m), {0}, {0}};
    batch_hook h = {OBSERVE_LOCKS_SQL, batch_done, &o};
    observe_lint_load(rc->s, m, &o.lint);
    int res = run_migration_batch_hooked(rc, m, &h);
    observe_lint_clear(&o.lint);
    held_emit(rc->s, m, &o.held); /* the longest batch held each lock */
    held_clear(&o.held);
    return res;
}
