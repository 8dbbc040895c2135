/* Pieces shared by the observers: rewrite detection (a relation whose
 * relfilenode changed was rewritten), the longest hold of each lock, and
 * the OBSERVED events (shape in strata.h). */
#include <stdlib.h>
#include <string.h>

#include "observe_report.h"

static const relfile *file_of(const relfiles *f, int64_t oid)
{
    size_t lo = 0, hi = f->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->items[mid].oid == oid)
            return &f->items[mid];
        if (f->items[mid].oid < oid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

bool relfiles_update(relfiles *f, const PGresult *r, sbuf *json, size_t *nrewrote)
{
    int n = PQntuples(r);
    bool first = true;
    size_t count = 0;
    relfile *next = malloc(((size_t)n + 1) * sizeof *next);
    if (!next)
        return false;
    sbuf_puts(json, "\"rewrote\":[");
    for (int i = 0; i < n; i++) {
        next[i].oid = strtoll(PQgetvalue(r, i, 0), NULL, 10);
        next[i].filenode = strtoll(PQgetvalue(r, i, 1), NULL, 10);
        const relfile *before = f->known ? file_of(f, next[i].oid) : NULL;
        if (before && before->filenode != next[i].filenode) {
            if (!first)
                sbuf_puts(json, ",");
            sbuf_json_string(json, PQgetvalue(r, i, 2));
            first = false;
            count++;
        }
    }
    if (nrewrote)
        *nrewrote = count;
    sbuf_puts(json, "]");
    free(f->items);
    f->items = next;
    f->n = (size_t)n;
    f->known = true;
    return true;
}

void relfiles_clear(relfiles *f)
{
    free(f->items);
    memset(f, 0, sizeof *f);
}

void held_note(held_list *h, const char *rel, const char *mode, int64_t ms)
{
    for (size_t i = 0; i < h->n; i++) {
        if (!strcmp(h->items[i].rel, rel) && !strcmp(h->items[i].mode, mode)) {
            if (ms > h->items[i].ms)
                h->items[i].ms = ms;
            return;
        }
    }
    held_span *grown = realloc(h->items, (h->n + 1) * sizeof *grown);
    char *r = xstrdup(rel), *md = xstrdup(mode);
    if (!grown || !r || !md) {
        if (grown)
            h->items = grown;
        free(r);
        free(md);
        h->oom = true;
        return;
    }
    h->items = grown;
    h->items[h->n++] = (held_span){r, md, ms};
}

void held_emit(strata *s, const migration *m, const held_list *h)
{
    sbuf json;
    if (!h->n)
        return;
    sbuf_init(&json);
    sbuf_puts(&json, "{\"held\":[");
    for (size_t i = 0; i < h->n; i++) {
        sbuf_printf(&json, "%s{\"relation\":", i ? "," : "");
        sbuf_json_string(&json, h->items[i].rel);
        sbuf_puts(&json, ",\"mode\":");
        sbuf_json_string(&json, h->items[i].mode);
        sbuf_printf(&json, ",\"ms\":%lld}", (long long)h->items[i].ms);
    }
    sbuf_puts(&json, "]}");
    if (!json.oom)
        observe_emit(s, m, 0, -1, -1, json.data);
    sbuf_free(&json);
}

void held_clear(held_list *h)
{
    for (size_t i = 0; i < h->n; i++) {
        free(h->items[i].rel);
        free(h->items[i].mode);
    }
    free(h->items);
    memset(h, 0, sizeof *h);
}

void lock_json(sbuf *json, bool first, const char *rel, const char *mode)
{
    sbuf_printf(json, "%s{\"relation\":", first ? "" : ",");
    sbuf_json_string(json, rel);
    sbuf_puts(json, ",\"mode\":");
    sbuf_json_string(json, mode);
    sbuf_puts(json, "}");
}

int32_t observe_line_of(const migration *m, int32_t offset)
{
    int32_t line = m->up_line > 0 ? m->up_line : 1;
    for (int32_t i = 0; i < offset && m->up_sql[i]; i++)
        if (m->up_sql[i] == '\n')
            line++;
    return line;
}

void observe_emit(strata *s, const migration *m, int32_t idx, int64_t ms, int64_t rows,
                  const char *json)
{
    strata_event ev = event_of(STRATA_EVENT_OBSERVED, m, json);
    ev.statement = idx;
    ev.duration_ms = ms;
    ev.rows = rows;
    emit_ev(s, &ev);
}
