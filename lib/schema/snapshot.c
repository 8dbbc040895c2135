/* Taking a snapshot: every catalog query in one round trip, each result
 * row turned into an object whose properties are the non-NULL columns. */
#include <stdlib.h>
#include <string.h>

#include "queries.h"
#include "schema.h"

#define PREFIX_STATEMENTS 2

static int snapshot(strata *s, int32_t flags, sch_read *rd, strata_schema **out);

/* The statements run first, in the same implicit transaction: remember the
 * history table's oid (looked up with the caller's search_path) and the
 * keys of a subset read (@keys NULL: as a statement before set them), then
 * fix the settings the deparsers depend on, so that two databases, or one
 * database seen through two connections, print the same text. JIT off: the
 * planner's estimates for catalogs without statistics can pass its cost
 * threshold, and compiling takes longer than the query. Generic plans: the
 * prepared subset reads differ only by the keys. */
static void add_prefix(strata *s, sbuf *b, const char *keys)
{
    char *t = pg_literal(s, s->hist_table);
    char *sc = s->hist_schema ? pg_literal(s, s->hist_schema) : NULL;
    char *k = keys ? pg_literal(s, keys) : xstrdup("current_setting('strata.snapshot_keys', true)");
    if (!t || !k) {
        b->oom = true;
        free(t);
        free(sc);
        free(k);
        return;
    }
    sbuf_printf(b,
                "SELECT pg_catalog.set_config('strata.snapshot_hist', coalesce((SELECT c.oid::text "
                "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relname = %s AND n.nspname = %s), ''), true), "
                "pg_catalog.set_config('strata.snapshot_hist_schema', coalesce(%s, ''), true), "
                "pg_catalog.set_config('strata.snapshot_keys', %s, true);\n"
                "SELECT pg_catalog.set_config('search_path', 'pg_catalog', true), "
                "set_config('datestyle', 'ISO, MDY', true), set_config('intervalstyle', 'postgres', true), "
                "set_config('extra_float_digits', '1', true), set_config('bytea_output', 'hex', true), "
                "set_config('jit', 'off', true), set_config('plan_cache_mode', 'force_generic_plan', true);\n",
                t, sc ? sc : "pg_catalog.current_schema()", sc ? sc : "NULL", k);
    free(t);
    free(sc);
    free(k);
}

/* Appends @q with its placeholders replaced. */
static void add_query(sbuf *b, const sch_query *q, bool priv, int mode)
{
    const char *p = q->sql;
    const char *hist = "nullif(current_setting('strata.snapshot_hist'), '')::oid";
    while (*p) {
        const char *d = strchr(p, '$');
        if (!d) {
            sbuf_puts(b, p);
            break;
        }
        sbuf_add(b, p, (size_t)(d - p));
        if (d[1] == 'P')
            sbuf_puts(b, priv ? q->priv : "");
        else if (d[1] == 'H')
            sbuf_puts(b, hist);
        else if (d[1] == 'K' && mode != SCH_PLAIN)
            sbuf_printf(b, ", %s AS _key, (%s)::text AS _refs", q->key, q->refs);
        else if (d[1] != 'K')
            sbuf_add(b, d, 2);
        p = d + 2;
    }
    if (mode == SCH_PREPARE)
        sbuf_printf(b, " AND %s = ANY (current_setting('strata.snapshot_keys')::oid[])", q->key);
    sbuf_puts(b, ";\n");
}

/* @v: an oid array's text, "{1,2,NULL}"; NULLs are left out. */
static bool set_refs(sch_obj *o, const char *v)
{
    size_t n = 1;
    for (const char *p = v; *p; p++)
        n += *p == ',';
    if (!(o->refs = calloc(n, sizeof *o->refs)))
        return false;
    for (const char *p = v; *p;) {
        char *end;
        unsigned long x;
        if (*p < '0' || *p > '9') {
            p++;
            continue;
        }
        x = strtoul(p, &end, 10);
        if (x)
            o->refs[o->nrefs++] = (uint32_t)x;
        p = end;
    }
    return true;
}

static int add_rows(strata_schema *sc, const PGresult *r)
{
    int nf = PQnfields(r);
    for (int row = 0; row < PQntuples(r); row++) {
        if (PQgetisnull(r, row, 0) || PQgetisnull(r, row, 1))
            continue; /* an object whose name cannot be printed: never expected */
        sch_obj *o = sch_add_obj(sc, PQgetvalue(r, row, 0), PQgetvalue(r, row, 1));
        if (!o)
            return STRATA_ENOMEM;
        for (int f = 2; f < nf; f++) {
            const char *name = PQfname(r, f), *v = PQgetvalue(r, row, f);
            if (PQgetisnull(r, row, f))
                continue;
            if (strcmp(name, "_key") == 0)
                o->key = (uint32_t)strtoul(v, NULL, 10);
            else if (strcmp(name, "_refs") == 0 ? !set_refs(o, v) : !sch_add_prop(o, name, v))
                return STRATA_ENOMEM;
        }
    }
    return STRATA_OK;
}

static int build_sql(strata *s, int32_t flags, const sch_read *rd, sbuf *b)
{
    int mode = rd->mode;
    sbuf_init(b);
    if (rd->head)
        sbuf_puts(b, rd->head);
    add_prefix(s, b, rd->keys);
    for (int i = 0; i < sch_nqueries; i++) {
        /* a subset read runs often on few objects: planning the queries
         * would cost most of it, so they are prepared once (generic plans,
         * the keys are read from a setting) */
        if (mode == SCH_SUBSET) {
            sbuf_printf(b, "EXECUTE strata_rt_q%d;\n", i);
            continue;
        }
        if (mode == SCH_PREPARE)
            sbuf_printf(b, "PREPARE strata_rt_q%d AS ", i);
        add_query(b, &sch_queries[i], (flags & STRATA_SCHEMA_PRIVILEGES) != 0, mode);
    }
    return b->oom ? set_error(s, STRATA_ENOMEM, "out of memory") : STRATA_OK;
}

int sch_snapshot(strata *s, int32_t flags, strata_schema **out)
{
    sch_read rd = {SCH_PLAIN, NULL, NULL, 0, NULL};
    return snapshot(s, flags, &rd, out);
}

int sch_snapshot_mode(strata *s, int mode, const char *keys, strata_schema **out)
{
    sch_read rd = {mode, keys, NULL, 0, NULL};
    return snapshot(s, 0, &rd, out);
}

int sch_snapshot_read(strata *s, sch_read *rd, strata_schema **out)
{
    return snapshot(s, 0, rd, out);
}

static int snapshot(strata *s, int32_t flags, sch_read *rd, strata_schema **out)
{
    sbuf sql;
    pgres_list l;
    int rc;
    strata_schema *sc;
    if ((rc = build_sql(s, flags, rd, &sql)) != STRATA_OK)
        return rc;
    rc = pg_exec(s, sql.data, &l);
    sbuf_free(&sql);
    if (rc != STRATA_OK) {
        PGresult *e = pgres_err(&l);
        sbuf m;
        sbuf_init(&m);
        if (e)
            pg_describe_error(&m, e, "schema snapshot", NULL, 0, -1);
        else
            sbuf_puts(&m, strata_errmsg(s));
        set_error_buf(s, rc, &m);
        sbuf_free(&m);
        pgres_list_clear(&l);
        return rc;
    }
    if (rd->nhead > 0 && l.n >= rd->nhead) {
        rd->head_result = l.items[rd->nhead - 1];
        l.items[rd->nhead - 1] = NULL;
    }
    sc = calloc(1, sizeof *sc);
    rc = sc ? STRATA_OK : STRATA_ENOMEM;
    for (int i = rd->nhead + PREFIX_STATEMENTS; rc == STRATA_OK && i < l.n; i++)
        rc = add_rows(sc, l.items[i]);
    pgres_list_clear(&l);
    if (rc != STRATA_OK) {
        strata_schema_free(sc);
        return set_error(s, rc, "out of memory reading the schema");
    }
    sch_sort(sc);
    *out = sc;
    return STRATA_OK;
}

STRATA_EXPORT int strata_schema_snapshot(strata *s, int32_t flags, strata_schema **out)
{
    int rc;
    if (!s)
        return STRATA_EINVAL;
    clear_error(s);
    if (!out || (flags & ~(int32_t)STRATA_SCHEMA_PRIVILEGES))
        return set_error(s, STRATA_EINVAL, "strata_schema_snapshot: NULL out or unknown flags");
    if ((rc = pg_need_db(s)) != STRATA_OK || (rc = check_conn_idle(s)) != STRATA_OK)
        return rc;
    return sch_snapshot(s, flags, out);
}

/* What CREATE DATABASE ... TEMPLATE template0 holds: the public schema and
 * plpgsql. */
bool sch_is_empty(const strata_schema *sc)
{
    for (size_t i = 0; i < sc->n; i++) {
        const sch_obj *o = &sc->objs[i];
        if (strcmp(o->kind, "schema") == 0 && strcmp(o->name, "public") == 0)
            continue;
        if (strcmp(o->kind, "extension") == 0 && strcmp(o->name, "plpgsql") == 0)
            continue;
        return false;
    }
    return true;
}
