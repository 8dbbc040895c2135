/* Observation against lint: each lock rule of the linter says which lock
 * (as pg_locks names it) its statement takes and whether it rewrites the
 * table. Observe reports where the run says otherwise: a lock lint expected
 * that was not taken, a rewrite lint expected that did not happen, or a
 * rewrite lint did not report (a missing rule, or a finding allowed). */
#include <stdlib.h>
#include <string.h>

#include "observe_lint.h"

static const lint_said rules[] = {
    {0, "index-not-concurrent", "ShareLock", false},
    {0, "drop-index-not-concurrent", "AccessExclusiveLock", false},
    {0, "fk-without-not-valid", "ShareRowExclusiveLock", false},
    {0, "add-column-volatile-default", "AccessExclusiveLock", true},
    {0, "add-column-rewrite-type", "AccessExclusiveLock", true},
    {0, "set-not-null", "AccessExclusiveLock", false},
    {0, "check-without-not-valid", "AccessExclusiveLock", false},
    {0, "unique-constraint-direct", "AccessExclusiveLock", false},
    {0, "alter-column-type", "AccessExclusiveLock", true},
    {0, "detach-partition-not-concurrent", "AccessExclusiveLock", false},
    {0, "table-rewrite-maintenance", "AccessExclusiveLock", true},
};

static const lint_said *rule_of(const char *id)
{
    for (size_t i = 0; id && i < sizeof rules / sizeof rules[0]; i++)
        if (!strcmp(rules[i].rule, id))
            return &rules[i];
    return NULL;
}

static void keep_findings(const migration *m, const strata_lint_report *r, obs_lint *out)
{
    size_t n = strata_lint_count(r);
    out->items = calloc(n + 1, sizeof *out->items);
    if (!out->items)
        return;
    for (size_t i = 0; i < n; i++) {
        const strata_lint_finding *f = strata_lint_get(r, i);
        const lint_said *said = f->version == m->version ? rule_of(f->rule) : NULL;
        if (said) {
            out->items[out->n] = *said;
            out->items[out->n++].line = f->line;
        }
    }
    out->loaded = true;
}

void observe_lint_load(strata *s, const migration *m, obs_lint *out)
{
    char saved[sizeof s->errmsg];
    bool *want = calloc(s->set.n + 1, sizeof *want);
    strata_lint_report *r = NULL;
    memset(out, 0, sizeof *out);
    memcpy(saved, s->errmsg, sizeof saved); /* a lint failure is not the run's */
    if (want) {
        want[(size_t)(m - s->set.items)] = true;
        if (lint_run(s, want, &r) == STRATA_OK)
            keep_findings(m, r, out);
    }
    if (!out->loaded) {
        sbuf b;
        sbuf_init(&b);
        sbuf_printf(&b, "observe: lint could not run on this migration (%s): what it does is "
                        "reported, not compared with lint",
                    want && s->errmsg[0] ? s->errmsg : "out of memory");
        emit(s, STRATA_EVENT_WARNING, m, b.data);
        sbuf_free(&b);
    }
    memcpy(s->errmsg, saved, sizeof saved);
    strata_lint_report_free(r);
    free(want);
}

void observe_lint_clear(obs_lint *l)
{
    free(l->items);
    memset(l, 0, sizeof *l);
}

static bool held(const char *mode, const char *const *modes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(modes[i], mode))
            return true;
    return false;
}

static void disagree(sbuf *json, bool *first, const char *rule, const char *said,
                     const char *observed)
{
    sbuf_puts(json, *first ? ",\"lint\":[{\"rule\":" : ",{\"rule\":");
    sbuf_json_string(json, rule);
    sbuf_puts(json, ",\"said\":");
    sbuf_json_string(json, said);
    sbuf_puts(json, ",\"observed\":");
    sbuf_json_string(json, observed);
    sbuf_puts(json, "}");
    *first = false;
}

void observe_lint_judge(const obs_lint *l, int32_t line, int32_t end_line, bool locks_known,
                        const char *const *modes, size_t nmodes, size_t nrewrote, sbuf *json)
{
    bool first = true, rewrite_said = false;
    if (!l->loaded)
        return;
    if (end_line <= line)
        end_line = line + 1; /* statements sharing a line share its findings */
    for (size_t i = 0; i < l->n; i++) {
        const lint_said *f = &l->items[i];
        if (f->line < line || f->line >= end_line)
            continue;
        rewrite_said |= f->rewrite;
        if (locks_known && f->mode && !held(f->mode, modes, nmodes))
            disagree(json, &first, f->rule, f->mode, "not taken");
        if (f->rewrite && nrewrote == 0)
            disagree(json, &first, f->rule, "rewrite", "no rewrite");
    }
    if (nrewrote > 0 && !rewrite_said)
        disagree(json, &first, NULL, "no rewrite", "rewrite");
    if (!first)
        sbuf_puts(json, "]");
}
