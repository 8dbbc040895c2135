/* Adopting a database another tool migrated (issue 10.9): the versions its
 * history table records are recorded in strata's history as applied, with
 * the current files' checksums, so that strata_apply runs only what is new.
 * The other tool's table is only read. Runs under the migrator lock. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "adopt.h"

static const adopt_tool tools[] = {
    {"dbmate", "schema_migrations", "SELECT version::text, 'a' FROM %s",
     "dbmate"},
    {"golang-migrate", "schema_migrations",
     "SELECT version::text, CASE WHEN dirty THEN 'd' ELSE 'u' END FROM %s",
     "`migrate force VERSION` once the database is repaired"},
    {"goose", "goose_db_version",
     /* the newest row of a version decides; row 0 is goose's own */
     "SELECT DISTINCT ON (version_id) version_id::text, CASE WHEN version_id = 0 THEN 's' "
     "WHEN is_applied THEN 'a' ELSE 'n' END FROM %s ORDER BY version_id, id DESC",
     "goose"},
    {"sqlx", "_sqlx_migrations",
     "SELECT version::text, CASE WHEN success THEN 'a' ELSE 'd' END FROM %s",
     "sqlx (repair the database, then delete the failed row)"},
    {"diesel", "__diesel_schema_migrations",
     "SELECT replace(version::text, '-', ''), 'a' FROM %s", "diesel"},
    {"flyway", "flyway_schema_history",
     "SELECT DISTINCT ON (version) version, CASE WHEN NOT success THEN 'd' "
     "WHEN type = 'BASELINE' THEN 'b' WHEN type = 'DELETE' OR type LIKE 'UNDO%%' THEN 'n' "
     "ELSE 'a' END FROM %s WHERE version IS NOT NULL AND type <> 'SCHEMA' "
     "ORDER BY version, installed_rank DESC",
     "`flyway repair` once the database is repaired"},
};
#define N_TOOLS (sizeof tools / sizeof tools[0])
#define TOOL_NAMES "dbmate, golang-migrate, goose, sqlx, diesel, flyway"

const adopt_tool *adopt_tool_find(const char *name)
{
    for (size_t i = 0; i < N_TOOLS; i++)
        if (strcmp(tools[i].name, name) == 0)
            return &tools[i];
    return NULL;
}

static bool has_col(const char *cols, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = cols; (p = strstr(p, name)) != NULL; p += n)
        if ((p == cols || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
            return true;
    return false;
}

const adopt_tool *adopt_tool_by_columns(const char *cols)
{
    if (has_col(cols, "installed_rank") && has_col(cols, "success"))
        return adopt_tool_find("flyway");
    if (has_col(cols, "version_id") && has_col(cols, "is_applied"))
        return adopt_tool_find("goose");
    if (has_col(cols, "success") && has_col(cols, "execution_time"))
        return adopt_tool_find("sqlx");
    if (has_col(cols, "version") && has_col(cols, "dirty"))
        return adopt_tool_find("golang-migrate");
    if (has_col(cols, "version") && has_col(cols, "run_on"))
        return adopt_tool_find("diesel");
    if (has_col(cols, "version"))
        return adopt_tool_find("dbmate");
    return NULL;
}

/* ---- finding the table ---- */

/* "table" or "schema.table", each part quoted. */
static int quote_table(strata *s, const char *name, char **out)
{
    const char *dot = strchr(name, '.');
    size_t tn = strlen(dot ? dot + 1 : name);
    char *schema = dot ? xstrndup(name, (size_t)(dot - name)) : NULL, *qs, *qt;
    if (!*name || (dot && (dot == name || strchr(dot + 1, '.'))) || tn == 0 || tn > 63 ||
        (dot && dot - name > 63)) {
        free(schema);
        return set_error(s, STRATA_EINVAL, "table \"%.200s\": use table or schema.table "
                         "(each at most 63 bytes)", name);
    }
    qs = schema ? pg_ident(s, schema) : NULL;
    qt = pg_ident(s, dot ? dot + 1 : name);
    free(schema);
    if (!qt || (dot && !qs)) {
        free(qs);
        free(qt);
        return set_error(s, STRATA_ENOMEM, "out of memory");
    }
    sbuf b;
    sbuf_init(&b);
    sbuf_printf(&b, "%s%s%s", qs ? qs : "", qs ? "." : "", qt);
    free(qs);
    free(qt);
    *out = sbuf_take(&b);
    return *out ? STRATA_OK : set_error(s, STRATA_ENOMEM, "out of memory");
}

/* The column names of @qualified, comma separated; *out NULL when there is
 * no such table (through the search_path). */
static int table_columns(strata *s, const char *qualified, char **out)
{
    char *lit = pg_literal(s, qualified);
    sbuf q;
    PGresult *r = NULL;
    int rc;
    if (!lit)
        return set_error(s, STRATA_ENOMEM, "out of memory");
    sbuf_init(&q);
    sbuf_printf(&q, "SELECT (SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute "
                    "WHERE attrelid = c AND attnum > 0 AND NOT attisdropped) "
                    "FROM to_regclass(%s) c", lit);
    free(lit);
    rc = q.oom ? set_error(s, STRATA_ENOMEM, "out of memory") : pg_simple(s, q.data, &r);
    sbuf_free(&q);
    *out = NULL;
    if (rc == STRATA_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
        *out = xstrdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return rc;
}

typedef struct found {
    const adopt_tool *tool;
    char *table;     /* quoted (detected: schema-qualified) */
    char *name;      /* detected: schema.table, plain; else NULL */
    bool unreadable; /* detected: this role cannot SELECT from it */
} found;

static void found_free(found *f)
{
    free(f->table);
    free(f->name);
    f->table = f->name = NULL;
}

/* One candidate table: f->table set when it exists, f->tool when it is
 * also recognised (or named by the caller); *cols_out gets its columns. */
static int probe(strata *s, const char *table, const adopt_tool *tool, found *f, char **cols_out)
{
    char *q = NULL, *cols = NULL;
    int rc = quote_table(s, table, &q);
    if (rc == STRATA_OK)
        rc = table_columns(s, q, &cols);
    if (rc == STRATA_OK && cols) {
        f->tool = tool ? tool : adopt_tool_by_columns(cols);
        f->table = q;
        q = NULL;
    }
    free(q);
    if (cols_out)
        *cols_out = cols;
    else
        free(cols);
    return rc;
}

/* The tools' default tables, in the order detection names them. */
static const char *const defaults[] = {"schema_migrations", "goose_db_version", "_sqlx_migrations",
                                       "__diesel_schema_migrations", "flyway_schema_history"};
#define N_DEFAULTS (sizeof defaults / sizeof defaults[0])

static int find_query(strata *s, sbuf *q)
{
    char *hist = history_qualified(s), *lit = hist ? pg_literal(s, hist) : NULL;
    free(hist);
    if (!lit)
        return set_error(s, STRATA_ENOMEM, "out of memory");
    /* by name in every schema, not through the search_path: a tool's table
     * in a schema off the path (or with search_path '') is still there */
    sbuf_puts(q, "SELECT t.i, n.nspname, c.relname, (SELECT string_agg(attname, ',' ORDER BY attnum) "
                 "FROM pg_attribute WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped), "
                 "has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT') "
                 "FROM unnest(ARRAY[");
    for (size_t i = 0; i < N_DEFAULTS; i++)
        sbuf_printf(q, "%s'%s'", i ? ", " : "", defaults[i]); /* constants: plain names */
    /* strata's own history table may carry one of these names (--table) */
    sbuf_printf(q, "]::name[]) WITH ORDINALITY t(name, i) JOIN pg_catalog.pg_class c ON c.relname = t.name "
                   "AND c.relkind IN ('r', 'p') JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                   "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') "
                   "AND n.nspname !~ '^pg_(toast|temp)' "
                   "AND c.oid IS DISTINCT FROM pg_catalog.to_regclass(%s) "
                   "ORDER BY t.i, n.nspname <> ALL (pg_catalog.current_schemas(false)), n.nspname", lit);
    free(lit);
    return q->oom ? set_error(s, STRATA_ENOMEM, "out of memory") : STRATA_OK;
}

/* Which tools' default tables exist, in any schema but the system ones,
 * with the columns of that tool's history: one catalog query. *hits is
 * malloc'd (free each with found_free, then it); another application's
 * table of such a name is not a hit. On failure nothing is left to free. */
static int find_defaults(strata *s, found **hits, size_t *n)
{
    sbuf q;
    PGresult *r = NULL;
    int rc;
    sbuf_init(&q);
    rc = find_query(s, &q);
    if (rc == STRATA_OK)
        rc = pg_simple(s, q.data, &r);
    sbuf_free(&q);
    *n = 0;
    *hits = NULL;
    if (rc == STRATA_OK && !(*hits = calloc((size_t)PQntuples(r) + 1, sizeof **hits)))
        rc = set_error(s, STRATA_ENOMEM, "out of memory");
    for (int i = 0; rc == STRATA_OK && i < PQntuples(r); i++) {
        const adopt_tool *t = adopt_tool_by_columns(PQgetvalue(r, i, 3));
        found *f = &(*hits)[*n];
        char *qs, *qt;
        sbuf b;
        if (!t)
            continue;
        f->tool = t;
        f->unreadable = PQgetvalue(r, i, 4)[0] != 't';
        qs = pg_ident(s, PQgetvalue(r, i, 1));
        qt = pg_ident(s, PQgetvalue(r, i, 2));
        sbuf_init(&b);
        sbuf_printf(&b, "%s.%s", qs ? qs : "", qt ? qt : "");
        f->table = qs && qt ? sbuf_take(&b) : NULL;
        sbuf_free(&b);
        sbuf_init(&b);
        sbuf_printf(&b, "%s.%s", PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
        f->name = sbuf_take(&b);
        sbuf_free(&b);
        free(qs);
        free(qt);
        (*n)++;
        if (!f->table || !f->name)
            rc = set_error(s, STRATA_ENOMEM, "out of memory");
    }
    PQclear(r);
    if (rc) {
        for (size_t i = 0; *hits && i < *n; i++)
            found_free(&(*hits)[i]);
        free(*hits);
        *hits = NULL;
        *n = 0;
    }
    return rc;
}

static int detect(strata *s, found *out)
{
    found *hits = NULL;
    size_t n = 0;
    int rc = find_defaults(s, &hits, &n);
    if (rc == STRATA_OK && n == 0)
        rc = set_error(s, STRATA_ENOTFOUND, "no other tool's migration table in this database "
                       "(looked for schema_migrations, goose_db_version, _sqlx_migrations, "
                       "__diesel_schema_migrations and flyway_schema_history in every "
                       "schema); name the tool and its table");
    if (rc == STRATA_OK && n > 1) {
        sbuf b;
        sbuf_init(&b);
        sbuf_puts(&b, "several tools' migration tables are present:");
        for (size_t i = 0; i < n; i++)
            sbuf_printf(&b, "%s %s (%s)", i ? "," : "", hits[i].tool->name, hits[i].table);
        sbuf_puts(&b, "; name the tool to adopt from");
        rc = set_error_buf(s, STRATA_EINVAL, &b);
        sbuf_free(&b);
    }
    for (size_t i = 0; i < n; i++) {
        if (rc == STRATA_OK && i == 0)
            *out = hits[0];
        else
            found_free(&hits[i]);
    }
    free(hits);
    return rc;
}

static int resolve(strata *s, const char *tool, const char *table, found *out)
{
    const adopt_tool *t = NULL;
    char *cols = NULL;
    int rc;
    if (tool && !(t = adopt_tool_find(tool)))
        return set_error(s, STRATA_EINVAL, "unknown tool \"%.80s\"; strata adopts from: " TOOL_NAMES,
                         tool);
    if (!t && !table)
        return detect(s, out);
    rc = probe(s, table ? table : t->table, t, out, &cols);
    if (rc == STRATA_OK && !out->table)
        rc = set_error(s, STRATA_ENOTFOUND, "there is no table \"%.200s\" in this database "
                       "(looked up through the search_path)%s", table ? table : t->table,
                       table ? "" : "; if the tool was set to use another table, name it");
    else if (rc == STRATA_OK && !out->tool)
        rc = set_error(s, STRATA_EINVAL, "table %s does not look like the history of any tool "
                       "strata adopts (columns: %.300s); name the tool: " TOOL_NAMES,
                       out->table, cols);
    if (rc)
        found_free(out);
    free(cols);
    return rc;
}

/* ---- reading it ---- */

typedef struct theirs {
    int64_t *applied; /* sorted */
    size_t n;
    int64_t upto;     /* 'u': every version up to it (itself a migration); -1 */
    int64_t baseline; /* 'b': every version up to it; -1 */
} theirs;

static int parse_version(strata *s, const found *f, const char *text, int64_t *out)
{
    char *end = NULL;
    long long v;
    errno = 0;
    v = strtoll(text, &end, 10);
    if (!*text || *end || errno || v < 0 || !strchr("0123456789", text[0]))
        return set_error(s, STRATA_EPARSE, "%s records version \"%.80s\" in %s, which is not a "
                         "whole number; strata versions are integers: rename that migration's "
                         "file with an integer version, or adopt without it", f->tool->name, text,
                         f->table);
    *out = v;
    return STRATA_OK;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int take_row(strata *s, const found *f, const char *text, char state, theirs *t)
{
    int64_t v = 0;
    int rc;
    if (state == 's' || state == 'n')
        return STRATA_OK;
    if ((rc = parse_version(s, f, text, &v)))
        return rc;
    if (state == 'd')
        return set_error(s, STRATA_EDIRTY, "%s records version %lld as failed or dirty in %s: the "
                         "database may be half-migrated. Repair it and clear that state with %s "
                         "first, then adopt", f->tool->name, (long long)v, f->table,
                         f->tool->repair);
    if (state == 'b') {
        t->baseline = v > t->baseline ? v : t->baseline;
        return STRATA_OK;
    }
    if (state == 'u')
        t->upto = v > t->upto ? v : t->upto;
    t->applied[t->n++] = v;
    return STRATA_OK;
}

static int read_theirs(strata *s, const found *f, theirs *out)
{
    sbuf q;
    PGresult *r = NULL;
    int rc;
    sbuf_init(&q);
    sbuf_printf(&q, f->tool->query, f->table);
    rc = q.oom ? set_error(s, STRATA_ENOMEM, "out of memory") : pg_simple(s, q.data, &r);
    sbuf_free(&q);
    if (rc) {
        char msg[sizeof s->errmsg];
        memcpy(msg, s->errmsg, sizeof msg);
        return set_error(s, rc, "reading %s's table %s: %s (is it %s's? name the tool)",
                         f->tool->name, f->table, msg, f->tool->name);
    }
    out->applied = calloc((size_t)PQntuples(r) + 1, sizeof *out->applied);
    out->upto = out->baseline = -1;
    if (!out->applied)
        rc = set_error(s, STRATA_ENOMEM, "out of memory");
    for (int i = 0; rc == STRATA_OK && i < PQntuples(r); i++)
        rc = take_row(s, f, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1)[0], out);
    PQclear(r);
    if (rc == STRATA_OK)
        qsort(out->applied, out->n, sizeof *out->applied, cmp_i64);
    return rc;
}

/* ---- recording ---- */

static bool theirs_has(const theirs *t, int64_t v)
{
    return bsearch(&v, t->applied, t->n, sizeof v, cmp_i64) != NULL ||
           v <= t->upto || v <= t->baseline;
}

/* Their versions that are neither files here nor in strata's history. */
static int check_missing(strata *s, const found *f, const theirs *t, const history *h)
{
    sbuf b;
    size_t missing = 0;
    int rc = STRATA_OK;
    sbuf_init(&b);
    for (size_t i = 0; i < t->n; i++) {
        int64_t v = t->applied[i];
        if ((i && v == t->applied[i - 1]) || migset_find(&s->set, v) || history_find(h, v))
            continue;
        if (missing++ < 10)
            sbuf_printf(&b, "%s%lld", missing > 1 ? ", " : "", (long long)v);
    }
    if (missing)
        rc = set_error(s, STRATA_EUNKNOWN, "%s applied %zu version(s) that are not among the "
                       "migrations here: %s%s (from %s). Add those migrations' files, then adopt "
                       "again; nothing was recorded", f->tool->name, missing,
                       b.data ? b.data : "", missing > 10 ? ", ..." : "", f->table);
    sbuf_free(&b);
    return rc;
}

static int record(strata *s, const theirs *t, const history *h, int64_t *count)
{
    sbuf sql;
    int64_t n = 0;
    int rc = STRATA_OK;
    sbuf_init(&sql);
    sbuf_puts(&sql, "BEGIN;\n");
    for (size_t i = 0; i < s->set.n && rc == STRATA_OK; i++) {
        const migration *m = &s->set.items[i];
        if (!theirs_has(t, m->version) || history_find(h, m->version))
            continue;
        char *ins = history_insert_sql(s, m, "applied", -1, HIST_DURATION_NONE);
        if (!ins)
            rc = set_error(s, STRATA_ENOMEM, "out of memory");
        else
            sbuf_printf(&sql, "%s;\n", ins);
        free(ins);
        n++;
    }
    sbuf_puts(&sql, "COMMIT");
    if (rc == STRATA_OK && n)
        rc = sql.oom ? set_error(s, STRATA_ENOMEM, "out of memory") : pg_simple(s, sql.data, NULL);
    sbuf_free(&sql);
    pg_rollback(s);
    if (rc == STRATA_OK)
        *count = n;
    return rc;
}

static int adopt_locked(strata *s, const char *tool, const char *table, int64_t *count)
{
    found f = {0};
    theirs t = {0};
    history h = {0};
    int rc = resolve(s, tool, table, &f);
    if (rc == STRATA_OK)
        rc = read_theirs(s, &f, &t);
    if (rc == STRATA_OK)
        rc = history_read(s, &h);
    if (rc == STRATA_OK && !h.exists)
        rc = history_create(s);
    if (rc == STRATA_OK)
        rc = check_missing(s, &f, &t, &h);
    if (rc == STRATA_OK)
        rc = record(s, &t, &h, count);
    history_clear(&h);
    free(t.applied);
    found_free(&f);
    return rc;
}

STRATA_EXPORT int strata_adopt(strata *s, const char *tool, const char *table, int64_t *out)
{
    int64_t key = 0, count = 0;
    int rc;
    if (!s)
        return STRATA_EINVAL;
    clear_error(s);
    if ((rc = pg_need_db(s)) || (rc = check_conn_idle(s)) || (rc = lock_acquire(s, &key)))
        return rc;
    rc = adopt_locked(s, tool, table, &count);
    lock_release(s, key);
    if (rc == STRATA_OK && out)
        *out = count;
    return rc;
}

/* ---- another tool's history, before strata's first run ---- */

/* Whether @f records anything as applied. A dirty row or a version that is
 * not an integer counts: the tool did run something, and adopt explains. */
static int records_applied(strata *s, const found *f, bool *out)
{
    theirs t = {0};
    int rc = read_theirs(s, f, &t);
    free(t.applied);
    if (rc == STRATA_EDIRTY || rc == STRATA_EPARSE) {
        *out = true;
        return STRATA_OK;
    }
    *out = rc == STRATA_OK && (t.n || t.upto >= 0 || t.baseline >= 0);
    return rc;
}

/* The hits of find_defaults whose table records applied versions: an
 * empty one (or goose's row 0 alone) would make adopt record nothing, and
 * refusing would send the user round in circles. One this role cannot read
 * is kept (marked unreadable): what it records is unknown. A read of each
 * readable table found, only on this rare path. */
static int find_others(strata *s, found **hits, size_t *n)
{
    size_t k = 0;
    int rc = find_defaults(s, hits, n);
    for (size_t i = 0; i < *n; i++) {
        bool applied = (*hits)[i].unreadable;
        if (rc == STRATA_OK && !applied)
            rc = records_applied(s, &(*hits)[i], &applied);
        if (rc == STRATA_OK && applied)
            (*hits)[k++] = (*hits)[i];
        else
            found_free(&(*hits)[i]);
    }
    *n = rc == STRATA_OK ? k : 0;
    for (size_t i = 0; rc && i < k; i++)
        found_free(&(*hits)[i]);
    if (rc) {
        free(*hits);
        *hits = NULL;
    }
    return rc;
}

STRATA_EXPORT int strata_other_history(strata *s, char **out_tool, char **out_table)
{
    found *hits = NULL;
    size_t n = 0;
    char *tool = NULL, *table = NULL;
    int rc;
    if (!s)
        return STRATA_EINVAL;
    clear_error(s);
    if ((rc = pg_need_db(s)) || (rc = check_conn_idle(s)) || (rc = find_others(s, &hits, &n)))
        return rc;
    if (n && (!(tool = xstrdup(hits[0].tool->name)) || !(table = xstrdup(hits[0].name))))
        rc = set_error(s, STRATA_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        found_free(&hits[i]);
    free(hits);
    if (rc == STRATA_OK && out_tool)
        *out_tool = tool;
    else
        free(tool);
    if (rc == STRATA_OK && out_table)
        *out_table = table;
    else
        free(table);
    return rc;
}

STRATA_EXPORT int strata_set_ignore_other_history(strata *s, int32_t ignore)
{
    if (!s)
        return STRATA_EINVAL;
    s->ignore_other_history = ignore != 0;
    return STRATA_OK;
}

static int refuse_other(strata *s, const history *h, const found *hits, size_t n)
{
    sbuf b;
    bool unreadable = false;
    sbuf_init(&b);
    sbuf_puts(&b, "another tool's migration history is in this database: ");
    for (size_t i = 0; i < n; i++) {
        sbuf_printf(&b, "%s%s (table %s%s)", i ? ", " : "", hits[i].tool->name, hits[i].table,
                    hits[i].unreadable ? ", present but unreadable by this role" : "");
        unreadable = unreadable || hits[i].unreadable;
    }
    sbuf_printf(&b, ", and strata's history %s: applying would run %s's migrations again: ",
                h->exists ? "is empty" : "does not exist yet", n > 1 ? "those tools" : hits[0].tool->name);
    if (unreadable)
        sbuf_puts(&b, "this role lacks SELECT on that table (or USAGE on its schema), so what it "
                      "records cannot be told: grant it, then run 'strata adopt' (or "
                      "--ignore-other-history to apply anyway). In a program: strata_adopt, or "
                      "strata_set_ignore_other_history. Nothing was applied");
    else
        sbuf_printf(&b, "run 'strata adopt%s' first (or --ignore-other-history to apply anyway). In "
                        "a program: strata_adopt, or strata_set_ignore_other_history (right once "
                        "strata itself reverted everything). Nothing was applied",
                    n > 1 ? " --from TOOL" : "");
    int rc = set_error_buf(s, b.oom ? STRATA_ENOMEM : STRATA_EOTHERHISTORY, &b);
    sbuf_free(&b);
    return rc;
}

int adopt_check_other(strata *s, const history *h)
{
    found *hits = NULL;
    size_t n = 0;
    int rc;
    /* a database strata already manages pays nothing for this */
    if (s->ignore_other_history || h->n)
        return STRATA_OK;
    rc = find_others(s, &hits, &n);
    if (rc == STRATA_OK && n)
        rc = refuse_other(s, h, hits, n);
    for (size_t i = 0; i < n; i++)
        found_free(&hits[i]);
    free(hits);
    return rc;
}
