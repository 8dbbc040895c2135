/* Diffing two snapshots object by object, property by property; the
 * order of a table's columns is compared apart, as its own kind of change. */
#include <stdlib.h>
#include <string.h>

#include "schema.h"

#define SHORT_VALUE 80

struct strata_diff {
    strata_schema_change *items;
    size_t n, cap;
};

static const char *const signs[] = {"", "+", "-", "~", "~"};

static bool add_change(strata_diff *d, int32_t kind, const char *obj, const char *name,
                       const char *detail)
{
    sbuf t;
    strata_schema_change *c;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        strata_schema_change *p = realloc(d->items, cap * sizeof *p);
        if (!p)
            return false;
        d->items = p;
        d->cap = cap;
    }
    sbuf_init(&t);
    sbuf_printf(&t, "%s %s ", signs[kind], obj);
    sch_escape_text(&t, name);
    if (detail) {
        sbuf_puts(&t, ": ");
        sbuf_puts(&t, detail); /* already escaped */
    }
    c = &d->items[d->n];
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->object = xstrdup(obj);
    c->name = xstrdup(name);
    c->detail = detail ? xstrdup(detail) : NULL;
    c->text = sbuf_take(&t);
    d->n++; /* counted even when incomplete, so that free releases it */
    return c->object && c->name && c->text && (!detail || c->detail);
}

/* The first line where @a and @b differ (1-based), its text in each. */
static void first_diff_line(const char *a, const char *b, int *line, size_t *la, size_t *lb,
                            const char **pa, const char **pb)
{
    *line = 1;
    for (;;) {
        size_t na = strcspn(a, "\n"), nb = strcspn(b, "\n");
        if (na != nb || memcmp(a, b, na) != 0 || !a[na] || !b[nb]) {
            *pa = a, *pb = b, *la = na, *lb = nb;
            return;
        }
        a += na + 1, b += nb + 1, (*line)++;
    }
}

static void escape_n(sbuf *b, const char *s, size_t n)
{
    char *c = xstrndup(s, n);
    if (!c) {
        b->oom = true;
        return;
    }
    sch_escape_text(b, c);
    free(c);
}

/* How an absent property reads: the server's default where the snapshot
 * leaves the default out (a statistics target of -1), else "(none)". */
static const char *absent(const char *kind, const char *key)
{
    if ((strcmp(kind, "column") == 0 && strcmp(key, "statistics") == 0) ||
        (strcmp(kind, "statistics") == 0 && strcmp(key, "statistics target") == 0))
        return "-1";
    if (strcmp(kind, "column") == 0 && strcmp(key, "storage") == 0)
        return "(the type's)";
    return "(none)";
}

/* "key A -> B", or for long and multi-line values (function bodies, view
 * definitions) the first line that differs. */
static void describe(sbuf *b, const char *key, const char *va, const char *vb, const char *none)
{
    bool long_ = (va && (strlen(va) > SHORT_VALUE || strchr(va, '\n'))) ||
                 (vb && (strlen(vb) > SHORT_VALUE || strchr(vb, '\n')));
    if (!long_ || !va || !vb) {
        sbuf_printf(b, "%s ", key);
        if (va)
            sch_escape_text(b, va);
        else
            sbuf_puts(b, none);
        sbuf_puts(b, " -> ");
        if (vb)
            sch_escape_text(b, vb);
        else
            sbuf_puts(b, none);
        return;
    }
    int line;
    size_t la, lb;
    const char *pa, *pb;
    first_diff_line(va, vb, &line, &la, &lb, &pa, &pb);
    sbuf_printf(b, "%s differs at line %d: ", key, line);
    escape_n(b, pa, la);
    sbuf_puts(b, " -> ");
    escape_n(b, pb, lb);
}

static bool diff_prop(strata_diff *d, const sch_obj *o, const char *key, const char *va,
                      const char *vb)
{
    sbuf det;
    bool ok;
    if ((va && vb && strcmp(va, vb) == 0) || (!va && !vb))
        return true;
    if (strcmp(o->kind, "column") == 0 && strcmp(key, "position") == 0)
        return true; /* the column order is compared per table */
    sbuf_init(&det);
    describe(&det, key, va, vb, absent(o->kind, key));
    ok = !det.oom && add_change(d, STRATA_CHANGE_CHANGED, o->kind, o->name, det.data);
    sbuf_free(&det);
    return ok;
}

/* Every property of @a in its order, then those only @b has. */
static bool diff_obj(strata_diff *d, const sch_obj *a, const sch_obj *b)
{
    for (size_t i = 0; i < a->nprops; i++)
        if (!diff_prop(d, a, a->props[i].key, a->props[i].value, sch_prop_get(b, a->props[i].key)))
            return false;
    for (size_t i = 0; i < b->nprops; i++)
        if (!sch_prop_get(a, b->props[i].key) && !diff_prop(d, a, b->props[i].key, NULL, b->props[i].value))
            return false;
    return true;
}

static bool diff_objects(strata_diff *d, const sch_obj **ia, size_t na, const sch_obj **ib,
                         size_t nb)
{
    size_t i = 0, j = 0;
    while (i < na || j < nb) {
        int c = i == na ? 1 : j == nb ? -1 : sch_cmp_key(ia[i], ib[j]);
        bool ok;
        if (c < 0)
            ok = add_change(d, STRATA_CHANGE_REMOVED, ia[i]->kind, ia[i]->name, NULL), i++;
        else if (c > 0)
            ok = add_change(d, STRATA_CHANGE_ADDED, ib[j]->kind, ib[j]->name, NULL), j++;
        else
            ok = diff_obj(d, ia[i], ib[j]), i++, j++;
        if (!ok)
            return false;
    }
    return true;
}

/* The columns of the table at @sc->objs[@k] that also exist in @other, in
 * position order, as "(a, b, c)". In display order (sch_sort) a table's
 * columns follow it at once, by position. */
static void common_columns(sbuf *b, const strata_schema *sc, size_t k, const sch_obj **other,
                           size_t nother)
{
    const char *t = sc->objs[k].name;
    size_t tl = strlen(t);
    bool first = true;
    sbuf_puts(b, "(");
    for (size_t i = k + 1; i < sc->n; i++) {
        const sch_obj *o = &sc->objs[i];
        const char *ot = sch_obj_table(o);
        if (strcmp(o->kind, "column") != 0 || !ot || strcmp(ot, t) != 0)
            break;
        if (!sch_lookup(other, nother, "column", o->name))
            continue;
        sbuf_puts(b, first ? "" : ", ");
        sch_escape_text(b, strlen(o->name) > tl + 1 ? o->name + tl + 1 : o->name);
        first = false;
    }
    sbuf_puts(b, ")");
}

static bool diff_column_order(strata_diff *d, const strata_schema *a, const sch_obj **ia,
                              const strata_schema *b, const sch_obj **ib)
{
    for (size_t i = 0; i < a->n; i++) {
        const sch_obj *t = &a->objs[i], *tb;
        if (strcmp(t->kind, "table") != 0 || !(tb = sch_lookup(ib, b->n, "table", t->name)))
            continue;
        sbuf ca, cb;
        bool ok = true;
        sbuf_init(&ca);
        sbuf_init(&cb);
        common_columns(&ca, a, i, ib, b->n);
        common_columns(&cb, b, (size_t)(tb - b->objs), ia, a->n);
        if (ca.oom || cb.oom) {
            ok = false;
        } else if (strcmp(ca.data, cb.data) != 0) {
            sbuf_printf(&ca, " -> %s", cb.data);
            sbuf_free(&cb);
            sbuf_puts(&cb, "columns ");
            sbuf_puts(&cb, ca.data);
            ok = !cb.oom && add_change(d, STRATA_CHANGE_COLUMN_ORDER, "table", t->name, cb.data);
        }
        sbuf_free(&ca);
        sbuf_free(&cb);
        if (!ok)
            return false;
    }
    return true;
}

STRATA_EXPORT int strata_schema_diff(const strata_schema *a, const strata_schema *b,
                                     strata_diff **out)
{
    const sch_obj **ia, **ib;
    strata_diff *d;
    bool ok;
    if (!a || !b || !out)
        return STRATA_EINVAL;
    d = calloc(1, sizeof *d);
    ia = sch_index(a);
    ib = sch_index(b);
    ok = d && ia && ib && diff_objects(d, ia, a->n, ib, b->n) && diff_column_order(d, a, ia, b, ib);
    free(ia);
    free(ib);
    if (!ok) {
        strata_schema_diff_free(d);
        return STRATA_ENOMEM;
    }
    *out = d;
    return STRATA_OK;
}

STRATA_EXPORT size_t strata_schema_diff_count(const strata_diff *d)
{
    return d ? d->n : 0;
}

STRATA_EXPORT const strata_schema_change *strata_schema_diff_get(const strata_diff *d,
                                                                 size_t index)
{
    return d && index < d->n ? &d->items[index] : NULL;
}

STRATA_EXPORT int strata_schema_diff_only_column_order(const strata_diff *d)
{
    if (!d || !d->n)
        return 0;
    for (size_t i = 0; i < d->n; i++)
        if (d->items[i].kind != STRATA_CHANGE_COLUMN_ORDER)
            return 0;
    return 1;
}

static const char *const change_names[] = {"", "added", "removed", "changed", "column-order"};

STRATA_EXPORT int strata_schema_diff_render(const strata_diff *d, int32_t format, char **out)
{
    sbuf b;
    char *r;
    if (!d || !out || (format != STRATA_FORMAT_TEXT && format != STRATA_FORMAT_JSON))
        return STRATA_EINVAL;
    sbuf_init(&b);
    if (format == STRATA_FORMAT_JSON)
        sbuf_puts(&b, "[");
    for (size_t i = 0; i < d->n; i++) {
        const strata_schema_change *c = &d->items[i];
        if (format == STRATA_FORMAT_TEXT) {
            sbuf_printf(&b, "%s\n", c->text);
            continue;
        }
        sbuf_printf(&b, "%s{\"change\": \"%s\", \"object\": ", i ? ", " : "", change_names[c->kind]);
        sch_escape_json(&b, c->object);
        sbuf_puts(&b, ", \"name\": ");
        sch_escape_json(&b, c->name);
        if (c->detail) {
            sbuf_puts(&b, ", \"detail\": ");
            sch_escape_json(&b, c->detail);
        }
        sbuf_puts(&b, "}");
    }
    if (format == STRATA_FORMAT_JSON)
        sbuf_puts(&b, "]");
    if (!(r = sbuf_take(&b)))
        return STRATA_ENOMEM;
    *out = r;
    return STRATA_OK;
}

STRATA_EXPORT void strata_schema_diff_free(strata_diff *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        free((char *)d->items[i].object);
        free((char *)d->items[i].name);
        free((char *)d->items[i].detail);
        free((char *)d->items[i].text);
    }
    free(d->items);
    free(d);
}
