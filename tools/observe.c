/* The report of `strata up --observe`. Each observed statement's event
 * message is the library's JSON ({"line", "locks", "rewrote"}; at commit
 * {"held"}): kept parsed, written again with the JSON writer. */
#include "observe.h"

#include <stdlib.h>
#include <string.h>

#include "jread.h"
#include "json.h"

typedef struct obs_stmt {
    int64_t duration_ms, rows;
    jv data; /* {"line", "locks", "rewrote"} */
} obs_stmt;

typedef struct obs_mig {
    int64_t version;
    char *name;
    obs_stmt *stmts;
    size_t n, cap;
    jv held; /* {"held": [...]}, JV_NULL until the commit */
} obs_mig;

struct observe_log {
    obs_mig *migs;
    size_t n, cap;
};

observe_log *observe_new(void)
{
    return calloc(1, sizeof(observe_log));
}

void observe_free(observe_log *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->n; i++) {
        for (size_t k = 0; k < o->migs[i].n; k++)
            jv_free(&o->migs[i].stmts[k].data);
        free(o->migs[i].stmts);
        free(o->migs[i].name);
        jv_free(&o->migs[i].held);
    }
    free(o->migs);
    free(o);
}

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return p;
    size_t c = *cap ? *cap * 2 : 8;
    void *q = realloc(p, c * size);
    if (q)
        *cap = c;
    return q;
}

static obs_mig *current(observe_log *o, const strata_event *ev)
{
    if (o->n && o->migs[o->n - 1].version == ev->version)
        return &o->migs[o->n - 1];
    obs_mig *m = grow(o->migs, &o->cap, o->n, sizeof *m);
    if (!m)
        return NULL;
    o->migs = m;
    m = &o->migs[o->n++];
    memset(m, 0, sizeof *m);
    m->version = ev->version;
    m->name = strdup(ev->name ? ev->name : "");
    return m;
}

void observe_event(observe_log *o, const strata_event *ev)
{
    if (!o || ev->type != STRATA_EVENT_OBSERVED)
        return;
    obs_mig *m = current(o, ev);
    jv v;
    if (!m || jv_parse(ev->message, &v))
        return; /* a report short of one statement beats aborting the migration */
    if (ev->statement == 0) {
        jv_free(&m->held);
        m->held = v;
        return;
    }
    obs_stmt *s = grow(m->stmts, &m->cap, m->n, sizeof *s);
    if (!s) {
        jv_free(&v);
        return;
    }
    m->stmts = s;
    s = &m->stmts[m->n++];
    s->duration_ms = ev->duration_ms;
    s->rows = ev->rows;
    s->data = v;
}

/* ---- JSON ---- */

static void pass(jw *w, const jv *v)
{
    switch (v ? v->type : JV_NULL) {
    case JV_NULL: jw_null(w); break;
    case JV_BOOL: jw_bool(w, v->num != 0); break;
    case JV_NUM: jw_int(w, (int64_t)v->num); break;
    case JV_STR: jw_str(w, v->str); break;
    case JV_ARR:
        jw_arr(w);
        for (size_t i = 0; i < v->n; i++)
            pass(w, &v->items[i]);
        jw_arr_end(w);
        break;
    case JV_OBJ:
        jw_obj(w);
        for (size_t i = 0; i < v->n; i++) {
            jw_key(w, v->keys[i]);
            pass(w, &v->items[i]);
        }
        jw_obj_end(w);
        break;
    }
}

static void json_stmt(jw *w, const obs_stmt *s)
{
    jw_obj(w);
    if (jv_get(&s->data, "batch")) { /* a batch run: its number, then as a statement */
        jw_key(w, "batch");
        pass(w, jv_get(&s->data, "batch"));
    }
    jw_key(w, "line");
    pass(w, jv_get(&s->data, "line"));
    jw_key(w, "duration_ms");
    jw_int(w, s->duration_ms);
    jw_key(w, "rows");
    if (s->rows < 0)
        jw_null(w);
    else
        jw_int(w, s->rows);
    jw_key(w, "locks");
    pass(w, jv_get(&s->data, "locks"));
    jw_key(w, "rewrote");
    pass(w, jv_get(&s->data, "rewrote"));
    if (jv_get(&s->data, "lint")) { /* only where the run contradicts lint */
        jw_key(w, "lint");
        pass(w, jv_get(&s->data, "lint"));
    }
    jw_obj_end(w);
}

void observe_print_json(FILE *f, const observe_log *o)
{
    jw w;
    jw_init(&w, f);
    jw_arr(&w);
    for (size_t i = 0; o && i < o->n; i++) {
        const obs_mig *m = &o->migs[i];
        jw_obj(&w);
        jw_key(&w, "version");
        jw_int(&w, m->version);
        jw_key(&w, "name");
        jw_str(&w, m->name);
        jw_key(&w, "statements");
        jw_arr(&w);
        for (size_t k = 0; k < m->n; k++)
            json_stmt(&w, &m->stmts[k]);
        jw_arr_end(&w);
        jw_key(&w, "held");
        pass(&w, jv_get(&m->held, "held"));
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
}

/* ---- text ---- */

/* pg_locks modes, weakest first. */
static int strength(const char *mode)
{
    static const char *const modes[] = {"AccessShareLock", "RowShareLock", "RowExclusiveLock",
                                        "ShareUpdateExclusiveLock", "ShareLock", "ShareRowExclusiveLock",
                                        "ExclusiveLock", "AccessExclusiveLock"};
    for (int i = 0; i < 8; i++)
        if (mode && strcmp(mode, modes[i]) == 0)
            return i;
    return -1;
}

static const char *str_of(const jv *v, const char *key)
{
    const jv *x = jv_get(v, key);
    return x && x->type == JV_STR ? x->str : "";
}

/* "line N" of a statement, "batch N" of a batch run. */
static void text_where(FILE *f, const obs_stmt *s)
{
    const jv *batch = jv_get(&s->data, "batch"), *line = jv_get(&s->data, "line");
    if (batch)
        fprintf(f, "batch %-3lld", (long long)batch->num);
    else
        fprintf(f, "line %-4lld", line ? (long long)line->num : 0LL);
}

static void text_locks(FILE *f, const jv *locks, const char *label)
{
    for (size_t i = 0; locks && i < locks->n; i++)
        fprintf(f, "%s%s %s", i ? ", " : label, str_of(&locks->items[i], "relation"),
                str_of(&locks->items[i], "mode"));
}

/* Where the run contradicts lint: a lint bug to fix or a finding to explain. */
static void text_lint(FILE *f, const jv *lint)
{
    for (size_t i = 0; lint && i < lint->n; i++) {
        const jv *rule = jv_get(&lint->items[i], "rule");
        fprintf(f, "    LINT DISAGREES: %s%s said %s, the run: %s (a lint bug to fix or a finding "
                   "to explain)\n",
                rule && rule->type == JV_STR ? "rule " : "no finding",
                rule && rule->type == JV_STR ? rule->str : "", str_of(&lint->items[i], "said"),
                str_of(&lint->items[i], "observed"));
    }
}

static void text_stmt(FILE *f, const obs_stmt *s)
{
    const jv *rew = jv_get(&s->data, "rewrote");
    fputs("  ", f);
    text_where(f, s);
    fprintf(f, " %6lld ms", (long long)s->duration_ms);
    if (s->rows >= 0)
        fprintf(f, "  %lld row(s)", (long long)s->rows);
    text_locks(f, jv_get(&s->data, "locks"), "  locks: ");
    text_locks(f, jv_get(&s->data, "waited"), "  WAITED for: ");
    for (size_t i = 0; rew && i < rew->n; i++)
        fprintf(f, "%s%s", i ? ", " : "  REWROTE: ", rew->items[i].type == JV_STR ? rew->items[i].str : "");
    fputc('\n', f);
    text_lint(f, jv_get(&s->data, "lint"));
}

/* How the hold times were measured: to the one COMMIT of a transactional
 * migration; for a no-transaction one, sampled (each statement commits on
 * its own); for a batch, the longest batch's transaction. */
static const char *held_how(const obs_mig *m)
{
    for (size_t k = 0; k < m->n; k++) {
        if (jv_get(&m->stmts[k].data, "batch"))
            return "in the longest batch";
        if (jv_get(&m->stmts[k].data, "samples"))
            return "as sampled (a lower bound: each statement commits on its own)";
    }
    return "until commit";
}

/* The strongest lock per table, with how long it was held. */
static void text_strongest(FILE *f, const obs_mig *m)
{
    const jv *held = jv_get(&m->held, "held");
    for (size_t i = 0; held && i < held->n; i++) {
        const jv *h = &held->items[i];
        const char *rel = str_of(h, "relation");
        bool strongest = true;
        for (size_t k = 0; k < held->n; k++)
            if (k != i && strcmp(str_of(&held->items[k], "relation"), rel) == 0 &&
                (strength(str_of(&held->items[k], "mode")) > strength(str_of(h, "mode")) ||
                 (strength(str_of(&held->items[k], "mode")) == strength(str_of(h, "mode")) && k < i)))
                strongest = false;
        const jv *ms = jv_get(h, "ms");
        if (strongest)
            fprintf(f, "  strongest lock: %s %s, held %lld ms %s\n", rel, str_of(h, "mode"),
                    ms ? (long long)ms->num : 0LL, held_how(m));
    }
}

static void text_summary(FILE *f, const obs_mig *m)
{
    size_t rewrites = 0, slow = 0;
    for (size_t k = 0; k < m->n; k++) {
        const jv *rew = jv_get(&m->stmts[k].data, "rewrote");
        rewrites += rew ? rew->n : 0;
        if (m->stmts[k].duration_ms > m->stmts[slow].duration_ms)
            slow = k;
    }
    text_strongest(f, m);
    fprintf(f, "  rewrites: %s\n", rewrites ? "see REWROTE above" : "none");
    if (m->n) {
        fputs("  slowest: ", f);
        text_where(f, &m->stmts[slow]);
        fprintf(f, " (%lld ms)\n", (long long)m->stmts[slow].duration_ms);
    }
}

void observe_print_text(FILE *f, const observe_log *o)
{
    for (size_t i = 0; o && i < o->n; i++) {
        const obs_mig *m = &o->migs[i];
        bool batch = m->n && jv_get(&m->stmts[0].data, "batch");
        fprintf(f, "%s== %lld %s: %zu %s observed\n", i ? "\n" : "", (long long)m->version, m->name,
                m->n, batch ? "batch run(s)" : "statement(s)");
        for (size_t k = 0; k < m->n; k++)
            text_stmt(f, &m->stmts[k]);
        text_summary(f, m);
    }
}
