/* The schema model of a roundtrip. A full snapshot of a 300-table schema
 * costs ~45 ms, two per migration; most of it is the server deparsing
 * objects no migration touched. When the role may create event triggers,
 * two of them (ddl_command_end, sql_drop) log the oids of what each DDL
 * command touches into a temporary table, and an update re-reads only the
 * objects keyed by those oids, by everything that depends on them now
 * (pg_depend, transitively: a renamed type changes the text of the columns
 * using it) and by the model's objects that depended on them before (a
 * detached partition no longer depends on its parent). What the triggers
 * cannot see (a role renamed, a catalog updated by hand) is caught by
 * sch_track_check, a full snapshot compared with the model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../pooler.h"
#include "queries.h"
#include "track.h"

/* the temporary objects: gone with the session whatever happens to it */
#define TOUCHED "pg_temp.strata_rt_touched"
#define TRACK_FN "pg_temp.strata_rt_track()"

/* A scratch database is new: its catalogs have no statistics, and the
 * snapshot's joins get planned as nested loops that grow with the square of
 * the schema (3x slower at 100 tables). The catalogs are analyzed whenever
 * the schema has doubled since the last time: a few times per run. A role
 * that may not analyze them gets a warning from the server, nothing fails. */
static void refresh_stats(strata *s, sch_track *t)
{
    size_t objects = t->model->n;
    if (objects < 200 || objects < 2 * t->analyzed_at)
        return;
    pg_simple_quiet(s, "ANALYZE pg_catalog.pg_class, pg_catalog.pg_attribute, pg_catalog.pg_attrdef, "
                       "pg_catalog.pg_constraint, pg_catalog.pg_index, pg_catalog.pg_depend, "
                       "pg_catalog.pg_description, pg_catalog.pg_type, pg_catalog.pg_proc, "
                       "pg_catalog.pg_trigger, pg_catalog.pg_inherits, pg_catalog.pg_sequence",
                    NULL);
    t->analyzed_at = objects;
}

static void trigger_name(char *buf, size_t n, int pid, const char *event)
{
    snprintf(buf, n, "strata_rt_%d_%s", pid, event);
}

/* "DROP EVENT TRIGGER IF EXISTS a; ... b;" or the CREATE statements. */
static void event_triggers_sql(strata *s, sbuf *b, int pid, bool create)
{
    static const char *const events[] = {"ddl_command_end", "sql_drop"};
    for (int i = 0; i < 2; i++) {
        char name[64], *id;
        trigger_name(name, sizeof name, pid, events[i]);
        if (!(id = pg_ident(s, name))) {
            b->oom = true;
            return;
        }
        if (create)
            sbuf_printf(b, "CREATE EVENT TRIGGER %s ON %s EXECUTE FUNCTION " TRACK_FN ";\n"
                           "ALTER EVENT TRIGGER %s ENABLE ALWAYS;\n", id, events[i], id);
        else
            sbuf_printf(b, "DROP EVENT TRIGGER IF EXISTS %s;\n", id);
        free(id);
    }
}

static void uninstall(strata *s, sch_track *t);

static int prepare(strata *s)
{
    strata_schema *none = NULL;
    char saved[sizeof s->errmsg];
    int rc;
    memcpy(saved, s->errmsg, sizeof saved);
    rc = sch_snapshot_mode(s, SCH_PREPARE, NULL, &none);
    memcpy(s->errmsg, saved, sizeof saved);
    strata_schema_free(none);
    return rc;
}

/* The function logs for this session only: another session's DDL in the
 * database (there should be none) must neither fail nor be counted. ENABLE
 * ALWAYS: a migration that sets session_replication_role = replica is
 * still seen. */
static bool install(strata *s, sch_track *t)
{
    PGresult *r = NULL;
    sbuf b;
    bool super;
    /* through a transaction pooler, neither the session's temporary objects
     * nor its backend pid hold from one transaction to the next */
    if (pooler_detect(s) != STRATA_OK || s->pooled)
        return false;
    if (pg_simple_quiet(s, "SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user", &r) !=
        STRATA_OK)
        return false;
    super = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    if (!super)
        return false;
    t->pid = PQbackendPID(s->conn);
    sbuf_init(&b);
    sbuf_printf(&b,
                "CREATE TEMPORARY TABLE strata_rt_touched (c pg_catalog.oid, o pg_catalog.oid);\n"
                "CREATE FUNCTION " TRACK_FN " RETURNS event_trigger LANGUAGE plpgsql AS $f$\n"
                "BEGIN\n"
                "  IF pg_catalog.pg_backend_pid() <> %d THEN RETURN; END IF;\n"
                "  IF TG_EVENT = 'sql_drop' THEN\n"
                "    INSERT INTO " TOUCHED " SELECT classid, objid FROM pg_catalog.pg_event_trigger_dropped_objects();\n"
                "  ELSE\n"
                "    INSERT INTO " TOUCHED " SELECT classid, objid FROM pg_catalog.pg_event_trigger_ddl_commands();\n"
                "  END IF;\n"
                "END $f$;\n",
                t->pid);
    event_triggers_sql(s, &b, t->pid, true);
    t->on = !b.oom && pg_simple_quiet(s, b.data, NULL) == STRATA_OK;
    sbuf_free(&b);
    if (t->on && prepare(s) != STRATA_OK)
        uninstall(s, t);
    return t->on;
}

static void uninstall(strata *s, sch_track *t)
{
    sbuf b;
    if (!t->on)
        return;
    t->on = false;
    sbuf_init(&b);
    event_triggers_sql(s, &b, t->pid, false);
    sbuf_puts(&b, "DROP FUNCTION IF EXISTS " TRACK_FN ";\nDROP TABLE IF EXISTS " TOUCHED ";\n");
    if (!b.oom)
        pg_simple_quiet(s, b.data, NULL);
    /* apart: there is no DEALLOCATE IF EXISTS, and a DISCARD ALL in a
     * migration may have removed them, which must not undo the drops */
    sbuf_free(&b);
    sbuf_init(&b);
    for (int i = 0; i < sch_nqueries; i++)
        sbuf_printf(&b, "DEALLOCATE strata_rt_q%d;\n", i);
    if (!b.oom)
        pg_simple_quiet(s, b.data, NULL);
    sbuf_free(&b);
}

#define REWRITE "'pg_catalog.pg_rewrite'::pg_catalog.regclass"
#define ATTRDEF "'pg_catalog.pg_attrdef'::pg_catalog.regclass"
#define CLASS "'pg_catalog.pg_class'::pg_catalog.regclass"

/* Takes and empties the log, and reads in the same round trip the objects
 * keyed by the oids touched and their dependents now (a dependent rule or
 * default counts as its view or table). False when the tracking is no
 * longer whole (a migration dropped the temporary objects, deallocated the
 * prepared statements or disabled a trigger): the caller falls back to full
 * snapshots. The walk follows pg_depend's reference index, (class, oid) by
 * (class, oid): the planner, seeing a log table of unknown size, would sort
 * pg_depend for a merge join at each step, and JIT-compile it (half a
 * second); the join settings are restored once it is planned. */
static bool drain_and_read(strata *s, sch_track *t, char **touched, char **closure, strata_schema **fresh)
{
    static const char sql[] =
        "SELECT pg_catalog.set_config('jit', 'off', true), "
        "pg_catalog.set_config('enable_hashjoin', 'off', true), "
        "pg_catalog.set_config('enable_mergejoin', 'off', true);\n"
        "WITH RECURSIVE t AS (DELETE FROM " TOUCHED " RETURNING c, o), "
        "k(c, o) AS (SELECT c, o FROM t WHERE o IS NOT NULL UNION "
        "SELECT CASE WHEN d.classid IN (" REWRITE ", " ATTRDEF ") THEN " CLASS " ELSE d.classid END, "
        "CASE d.classid WHEN " REWRITE " THEN (SELECT r.ev_class FROM pg_catalog.pg_rewrite r WHERE r.oid = d.objid) "
        "WHEN " ATTRDEF " THEN (SELECT a.adrelid FROM pg_catalog.pg_attrdef a WHERE a.oid = d.objid) "
        "ELSE d.objid END "
        "FROM k JOIN pg_catalog.pg_depend d ON d.refclassid = k.c AND d.refobjid = k.o), "
        "ks AS (SELECT coalesce(pg_catalog.array_agg(DISTINCT o)::text, '{}') AS a FROM k WHERE o IS NOT NULL) "
        "SELECT (SELECT pg_catalog.array_agg(DISTINCT o)::text FROM t WHERE o IS NOT NULL), ks.a, "
        "(SELECT pg_catalog.count(*) FROM pg_catalog.pg_event_trigger e "
        "WHERE e.evtname LIKE 'strata\\_rt\\_' || %d || '\\_%%' AND e.evtenabled = 'A' "
        "AND e.evtfoid = '" TRACK_FN "'::pg_catalog.regprocedure), "
        "pg_catalog.set_config('strata.snapshot_keys', ks.a, true), "
        "pg_catalog.set_config('enable_hashjoin', 'on', true), "
        "pg_catalog.set_config('enable_mergejoin', 'on', true) FROM ks;\n";
    char q[sizeof sql + 32];
    sch_read rd = {SCH_SUBSET, NULL, q, 2, NULL};
    PGresult *r;
    bool whole;
    char saved[sizeof s->errmsg];
    snprintf(q, sizeof q, sql, t->pid);
    memcpy(saved, s->errmsg, sizeof saved);
    *fresh = NULL;
    if (sch_snapshot_read(s, &rd, fresh) != STRATA_OK) {
        memcpy(s->errmsg, saved, sizeof saved);
        PQclear(rd.head_result);
        return false;
    }
    r = rd.head_result;
    whole = r && PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 2), "2") == 0;
    *touched = whole ? xstrdup(PQgetisnull(r, 0, 0) ? "{}" : PQgetvalue(r, 0, 0)) : NULL;
    *closure = whole ? xstrdup(PQgetvalue(r, 0, 1)) : NULL;
    PQclear(r);
    if (!whole) {
        strata_schema_free(*fresh);
        *fresh = NULL;
    }
    return whole;
}

typedef struct oidset {
    uint32_t *v;
    size_t n, cap;
} oidset;

static bool oidset_add(oidset *o, uint32_t x)
{
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 64;
        uint32_t *p = realloc(o->v, cap * sizeof *p);
        if (!p)
            return false;
        o->v = p;
        o->cap = cap;
    }
    o->v[o->n++] = x;
    return true;
}

static bool oidset_parse(oidset *o, const char *text)
{
    for (const char *p = text; *p;) {
        char *end;
        if (*p < '0' || *p > '9') {
            p++;
            continue;
        }
        if (!oidset_add(o, (uint32_t)strtoul(p, &end, 10)))
            return false;
        p = end;
    }
    return true;
}

static int cmp_oid(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void oidset_sort(oidset *o)
{
    size_t k = 0;
    if (o->n > 1)
        qsort(o->v, o->n, sizeof *o->v, cmp_oid);
    for (size_t i = 0; i < o->n; i++)
        if (!k || o->v[k - 1] != o->v[i])
            o->v[k++] = o->v[i];
    o->n = k;
}

static bool oidset_has(const oidset *o, uint32_t x)
{
    return o->n && bsearch(&x, o->v, o->n, sizeof x, cmp_oid) != NULL;
}

/* The keys to re-read: what was touched, its dependents now, and the
 * model's objects whose text was printed from any of them. */
static bool dirty_keys(const strata_schema *model, const char *touched, const char *closure, oidset *keys)
{
    oidset hit = {0};
    bool ok = oidset_parse(&hit, touched) && oidset_parse(&hit, closure);
    if (ok)
        oidset_sort(&hit);
    for (size_t i = 0; ok && i < hit.n; i++)
        ok = oidset_add(keys, hit.v[i]);
    for (size_t i = 0; ok && hit.n && i < model->n; i++) {
        const sch_obj *o = &model->objs[i];
        for (size_t k = 0; ok && k < o->nrefs; k++)
            if (oidset_has(&hit, o->refs[k])) {
                ok = oidset_add(keys, o->key);
                break;
            }
    }
    free(hit.v);
    if (ok)
        oidset_sort(keys);
    return ok;
}

static char *keys_text(const oidset *keys)
{
    sbuf b;
    sbuf_init(&b);
    sbuf_puts(&b, "{");
    for (size_t i = 0; i < keys->n; i++)
        sbuf_printf(&b, "%s%u", i ? "," : "", (unsigned)keys->v[i]);
    sbuf_puts(&b, "}");
    return sbuf_take(&b);
}

/* The model's objects keyed by @keys, borrowed, in display order. */
static bool model_part(const strata_schema *model, const oidset *keys, strata_schema *part)
{
    memset(part, 0, sizeof *part);
    for (size_t i = 0; i < model->n; i++) {
        if (!oidset_has(keys, model->objs[i].key))
            continue;
        if (part->n == part->cap) {
            size_t cap = part->cap ? part->cap * 2 : 16;
            sch_obj *p = realloc(part->objs, cap * sizeof *p);
            if (!p)
                return false;
            part->objs = p;
            part->cap = cap;
        }
        part->objs[part->n++] = model->objs[i];
    }
    sch_sort(part);
    return true;
}

/* The model with the objects keyed by @keys replaced by @fresh's (taken,
 * also on failure). */
static bool model_replace(strata_schema *model, const oidset *keys, strata_schema *fresh)
{
    size_t k = 0;
    if (model->n + fresh->n > model->cap) {
        size_t cap = model->cap * 2 > model->n + fresh->n ? model->cap * 2 : model->n + fresh->n;
        sch_obj *p = realloc(model->objs, cap * sizeof *p);
        if (!p) {
            strata_schema_free(fresh);
            return false;
        }
        model->objs = p;
        model->cap = cap;
    }
    for (size_t i = 0; i < model->n; i++) {
        if (oidset_has(keys, model->objs[i].key))
            sch_obj_clear(&model->objs[i]);
        else
            model->objs[k++] = model->objs[i];
    }
    if (fresh->n)
        memcpy(model->objs + k, fresh->objs, fresh->n * sizeof *fresh->objs);
    model->n = k + fresh->n;
    fresh->n = 0;
    strata_schema_free(fresh);
    return true;
}

/* The objects keyed by @keys in the model replaced by @fresh's (taken);
 * @diff: old -> new, when asked. */
static int apply(strata *s, sch_track *t, const oidset *keys, strata_schema *fresh, strata_diff **diff)
{
    strata_schema part;
    int rc;
    if (!model_part(t->model, keys, &part)) {
        free(part.objs);
        strata_schema_free(fresh);
        return set_error(s, STRATA_ENOMEM, "out of memory");
    }
    rc = diff ? strata_schema_diff(&part, fresh, diff) : STRATA_OK;
    free(part.objs);
    if (rc != STRATA_OK) {
        strata_schema_free(fresh);
        return set_error(s, STRATA_ENOMEM, "out of memory");
    }
    if (!model_replace(t->model, keys, fresh)) {
        if (diff)
            strata_schema_diff_free(*diff), *diff = NULL;
        return set_error(s, STRATA_ENOMEM, "out of memory");
    }
    return STRATA_OK;
}

/* Keys beyond the server's: the model's objects printed from what was
 * touched (a partition detached from its parent); read them all again. */
static int read_more(strata *s, const oidset *keys, const char *closure, strata_schema **fresh)
{
    oidset server = {0};
    char *text;
    int rc = STRATA_OK;
    if (!oidset_parse(&server, closure)) {
        free(server.v);
        return set_error(s, STRATA_ENOMEM, "out of memory");
    }
    oidset_sort(&server);
    if (keys->n > server.n) {
        strata_schema_free(*fresh);
        *fresh = NULL;
        text = keys_text(keys);
        rc = text ? sch_snapshot_mode(s, SCH_SUBSET, text, fresh) : set_error(s, STRATA_ENOMEM, "out of memory");
        free(text);
    }
    free(server.v);
    return rc;
}

/* A full snapshot replaces the model; @diff: old -> new, when asked. */
static int full_update(strata *s, sch_track *t, strata_diff **diff)
{
    strata_schema *fresh = NULL;
    int rc = t->on ? sch_snapshot_mode(s, SCH_KEYED, NULL, &fresh) : sch_snapshot(s, t->flags, &fresh);
    if (rc != STRATA_OK)
        return rc;
    sch_sort(t->model); /* tracked updates append */
    if (diff && strata_schema_diff(t->model, fresh, diff) != STRATA_OK) {
        strata_schema_free(fresh);
        return set_error(s, STRATA_ENOMEM, "out of memory");
    }
    strata_schema_free(t->model);
    t->model = fresh;
    refresh_stats(s, t);
    return STRATA_OK;
}

int sch_track_start(strata *s, sch_track *t, int32_t flags)
{
    memset(t, 0, sizeof *t);
    t->flags = flags;
    if (!(flags & STRATA_SCHEMA_PRIVILEGES))
        install(s, t);
    return t->on ? sch_snapshot_mode(s, SCH_KEYED, NULL, &t->model) : sch_snapshot(s, flags, &t->model);
}

int sch_track_update(strata *s, sch_track *t, strata_diff **diff)
{
    char *touched = NULL, *closure = NULL;
    strata_schema *fresh = NULL;
    oidset keys = {0};
    int rc;
    if (!t->on)
        return full_update(s, t, diff);
    if (!drain_and_read(s, t, &touched, &closure, &fresh)) {
        /* the model was whole at the last update: a full snapshot gives
         * the exact difference, and the run goes on without tracking */
        uninstall(s, t);
        return full_update(s, t, diff);
    }
    if (!touched || !closure || !dirty_keys(t->model, touched, closure, &keys))
        rc = set_error(s, STRATA_ENOMEM, "out of memory");
    else if ((rc = read_more(s, &keys, closure, &fresh)) == STRATA_OK)
        rc = apply(s, t, &keys, fresh, diff), fresh = NULL;
    strata_schema_free(fresh);
    free(touched);
    free(closure);
    free(keys.v);
    return rc;
}

int sch_track_check(strata *s, sch_track *t, strata_diff **missed)
{
    int rc;
    if (t->on) {
        if ((rc = sch_track_update(s, t, NULL)) != STRATA_OK)
            return rc;
        if (t->on)
            return full_update(s, t, missed);
    }
    strata_schema empty = {0};
    return strata_schema_diff(&empty, &empty, missed) == STRATA_OK
               ? STRATA_OK
               : set_error(s, STRATA_ENOMEM, "out of memory");
}

void sch_track_end(strata *s, sch_track *t)
{
    uninstall(s, t);
    strata_schema_free(t->model);
    t->model = NULL;
}
