/* The snapshot container: objects, properties, ordering and lookup. */
#include <stdlib.h>
#include <string.h>

#include "schema.h"

/* Display order of the kinds: what others depend on comes first. */
static const char *const kinds[] = {
    "schema", "extension", "enum", "domain", "composite", "range", "sequence",
    "table", "column", "constraint", "index", "statistics", "trigger", "rule", "policy",
    "view", "materialized view", "function", "procedure", "aggregate",
};

int sch_kind_rank(const char *kind)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i], kind) == 0)
            return (int)i;
    return -1;
}

sch_obj *sch_add_obj(strata_schema *sc, const char *kind, const char *name)
{
    if (sc->n == sc->cap) {
        size_t cap = sc->cap ? sc->cap * 2 : 64;
        sch_obj *p = realloc(sc->objs, cap * sizeof *p);
        if (!p)
            return NULL;
        sc->objs = p;
        sc->cap = cap;
    }
    sch_obj *o = &sc->objs[sc->n];
    memset(o, 0, sizeof *o);
    o->kind = xstrdup(kind);
    o->name = xstrdup(name);
    if (!o->kind || !o->name) {
        free(o->kind);
        free(o->name);
        return NULL;
    }
    sc->n++;
    return o;
}

bool sch_add_prop(sch_obj *o, const char *key, const char *value)
{
    if (o->nprops == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 8;
        sch_prop *p = realloc(o->props, cap * sizeof *p);
        if (!p)
            return false;
        o->props = p;
        o->cap = cap;
    }
    sch_prop *p = &o->props[o->nprops];
    p->key = xstrdup(key);
    p->value = xstrdup(value);
    if (!p->key || !p->value) {
        free(p->key);
        free(p->value);
        return false;
    }
    o->nprops++;
    return true;
}

const char *sch_prop_get(const sch_obj *o, const char *key)
{
    for (size_t i = 0; i < o->nprops; i++)
        if (strcmp(o->props[i].key, key) == 0)
            return o->props[i].value;
    return NULL;
}

const char *sch_obj_table(const sch_obj *o)
{
    return sch_prop_get(o, "table");
}

long sch_obj_position(const sch_obj *o)
{
    const char *p = strcmp(o->kind, "column") == 0 ? sch_prop_get(o, "position") : NULL;
    return p ? strtol(p, NULL, 10) : 0;
}

int sch_cmp_key(const sch_obj *a, const sch_obj *b)
{
    int c = strcmp(a->kind, b->kind);
    return c ? c : strcmp(a->name, b->name);
}

/* Table-bound objects sort under their table, columns in position order:
 * the rendered file reads like the schema it describes. */
static int cmp_display(const void *pa, const void *pb)
{
    const sch_obj *a = pa, *b = pb;
    const char *ta = sch_obj_table(a), *tb = sch_obj_table(b);
    int ra = sch_kind_rank(a->kind), rb = sch_kind_rank(b->kind);
    int ga = ta ? sch_kind_rank("table") : ra, gb = tb ? sch_kind_rank("table") : rb;
    int c;
    if (ga != gb)
        return ga < gb ? -1 : 1;
    if ((c = strcmp(ta ? ta : a->name, tb ? tb : b->name)) != 0)
        return c;
    if (ra != rb)
        return ra < rb ? -1 : 1;
    long pa_ = sch_obj_position(a), pb_ = sch_obj_position(b);
    if (pa_ != pb_)
        return pa_ < pb_ ? -1 : 1;
    return sch_cmp_key(a, b);
}

void sch_sort(strata_schema *sc)
{
    if (sc->n > 1)
        qsort(sc->objs, sc->n, sizeof *sc->objs, cmp_display);
}

static int cmp_ptr_key(const void *pa, const void *pb)
{
    return sch_cmp_key(*(const sch_obj *const *)pa, *(const sch_obj *const *)pb);
}

const sch_obj **sch_index(const strata_schema *sc)
{
    const sch_obj **idx = malloc((sc->n ? sc->n : 1) * sizeof *idx);
    if (!idx)
        return NULL;
    for (size_t i = 0; i < sc->n; i++)
        idx[i] = &sc->objs[i];
    if (sc->n > 1)
        qsort(idx, sc->n, sizeof *idx, cmp_ptr_key);
    return idx;
}

const sch_obj *sch_lookup(const sch_obj **idx, size_t n, const char *kind, const char *name)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(idx[mid]->kind, kind);
        if (!c)
            c = strcmp(idx[mid]->name, name);
        if (!c)
            return idx[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

STRATA_EXPORT size_t strata_schema_count(const strata_schema *sc)
{
    return sc ? sc->n : 0;
}

void sch_obj_clear(sch_obj *o)
{
    for (size_t k = 0; k < o->nprops; k++) {
        free(o->props[k].key);
        free(o->props[k].value);
    }
    free(o->props);
    free(o->kind);
    free(o->name);
    free(o->refs);
}

STRATA_EXPORT void strata_schema_free(strata_schema *sc)
{
    if (!sc)
        return;
    for (size_t i = 0; i < sc->n; i++)
        sch_obj_clear(&sc->objs[i]);
    free(sc->objs);
    free(sc);
}

