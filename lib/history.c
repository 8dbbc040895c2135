/* The history table (doc/design.md section 3): one row per applied or dirty
 * migration, written in the same transaction as the migration itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "pooler.h"

/* Once per handle, before anything reads or writes the history: a later
 * search_path (a migration creating the schema "$user" names, or setting
 * the database's search_path) must not make the next statement, or the
 * next run, look for the table somewhere else and start a second one.
 * An existing table the search_path finds wins over current_schema(). */
static char *resolve_sql(strata *s)
{
    char *ident = pg_ident(s, s->hist_table), *lit = ident ? pg_literal(s, ident) : NULL;
    sbuf sql;
    free(ident);
    if (!lit)
        return NULL;
    sbuf_init(&sql);
    sbuf_printf(&sql,
                "SELECT coalesce((SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON "
                "n.oid = c.relnamespace WHERE c.oid = to_regclass(%s) AND n.nspname NOT LIKE "
                "'pg\\_temp\\_%%'), current_schema()), current_setting('search_path')",
                lit);
    free(lit);
    return sbuf_take(&sql);
}

static int resolve_take(strata *s, const PGresult *r)
{
    if (PQgetisnull(r, 0, 0))
        return set_error(s, STRATA_EINVAL,
                         "no schema for the history table %s: the search_path (%s) names no "
                         "schema that exists; create one, fix the search_path, or name the "
                         "schema with --table schema.table / strata_set_history_table",
                         s->hist_table, PQgetvalue(r, 0, 1));
    if (!(s->run_schema = xstrdup(PQgetvalue(r, 0, 0))))
        return set_error(s, STRATA_ENOMEM, "out of memory");
    return STRATA_OK;
}

int history_resolve(strata *s)
{
    char *sql;
    PGresult *r = NULL;
    int rc;
    if (s->hist_schema || s->run_schema)
        return STRATA_OK;
    if (!(sql = resolve_sql(s)))
        return set_error(s, STRATA_ENOMEM, "out of memory");
    rc = pg_simple(s, sql, &r);
    free(sql);
    if (rc == STRATA_OK)
        rc = resolve_take(s, r);
    PQclear(r);
    return rc;
}

char *history_qualified(strata *s)
{
    sbuf b;
    char *t = pg_ident(s, s->hist_table), *sc = NULL;
    if (!t)
        return NULL;
    sbuf_init(&b);
    const char *schema = s->hist_schema ? s->hist_schema : s->run_schema;
    if (schema) {
        sc = pg_ident(s, schema);
        if (!sc) {
            free(t);
            return NULL;
        }
        sbuf_printf(&b, "%s.", sc);
    }
    sbuf_puts(&b, t);
    free(t);
    free(sc);
    return sbuf_take(&b);
}

void history_clear(history *h)
{
    for (size_t i = 0; i < h->n; i++) {
        free(h->rows[i].name);
        free(h->rows[i].phase);
        free(h->rows[i].applied_at);
        free(h->rows[i].error);
    }
    free(h->rows);
    memset(h, 0, sizeof *h);
}

const hist_row *history_find(const history *h, int64_t version)
{
    size_t lo = 0, hi = h->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (h->rows[mid].version == version)
            return &h->rows[mid];
        if (h->rows[mid].version < version)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static char *opt_text(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : xstrdup(PQgetvalue(r, row, col));
}

static int64_t opt_int(const PGresult *r, int row, int col, int64_t dflt)
{
    return PQgetisnull(r, row, col) ? dflt : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

/* False when a text could not be copied (out of memory). */
static bool fill_row(hist_row *h, const PGresult *r, int i)
{
    const char *hex = PQgetvalue(r, i, 3);
    h->version = strtoll(PQgetvalue(r, i, 0), NULL, 10);
    h->name = xstrdup(PQgetvalue(r, i, 1));
    h->rank = strtoll(PQgetvalue(r, i, 2), NULL, 10);
    memset(h->checksum, 0, sizeof h->checksum);
    for (int k = 0; k < 32 && hex[2 * k] && hex[2 * k + 1]; k++) {
        int a = hexval(hex[2 * k]), b = hexval(hex[2 * k + 1]);
        if (a < 0 || b < 0)
            break;
        h->checksum[k] = (unsigned char)(a * 16 + b);
    }
    h->checksum_algo = (int32_t)opt_int(r, i, 4, 1);
    h->phase = xstrdup(PQgetvalue(r, i, 5));
    h->dirty = strcmp(PQgetvalue(r, i, 6), "dirty") == 0;
    h->applied_at = opt_text(r, i, 7);
    h->duration_ms = opt_int(r, i, 8, -1);
    h->statements_done = (int32_t)opt_int(r, i, 9, 0);
    h->failed_statement = (int32_t)opt_int(r, i, 10, 0);
    h->error = opt_text(r, i, 11);
    return h->name && h->phase && (h->applied_at || PQgetisnull(r, i, 7)) &&
           (h->error || PQgetisnull(r, i, 11));
}

int history_read(strata *s, history *out)
{
    char *q, *pre = NULL;
    sbuf sql;
    pgres_list l;
    int rc;
    history h = {0};
    /* the first read also pins the schema, in the same round trip: the
     * unqualified name finds the table the resolution names */
    bool resolving = !s->hist_schema && !s->run_schema;
    /* every call that talks to the database reads the history first */
    if ((rc = check_conn_idle(s)))
        return rc;
    if (resolving && !(pre = resolve_sql(s)))
        return set_error(s, STRATA_ENOMEM, "out of memory");
    q = history_qualified(s);
    if (!q) {
        free(pre);
        return set_error(s, STRATA_ENOMEM, "out of memory");
    }
    sbuf_init(&sql);
    if (pre)
        sbuf_printf(&sql, "%s;\n", pre);
    free(pre);
    sbuf_printf(&sql,
                "SELECT version, name, applied_rank, encode(checksum, 'hex'), checksum_algo, "
                "phase, state, to_char(applied_at AT TIME ZONE 'UTC', "
                "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), duration_ms, statements_done, "
                "failed_statement, error FROM %s ORDER BY version",
                q);
    free(q);
    if (sql.oom) {
        sbuf_free(&sql);
        return set_error(s, STRATA_ENOMEM, "out of memory");
    }
    rc = pg_exec(s, sql.data, &l);
    sbuf_free(&sql);
    if (resolving && l.n > 0 && l.err_index != 0) {
        int r2 = resolve_take(s, l.items[0]);
        if (r2) {
            pgres_list_clear(&l);
            return r2;
        }
    }
    if (rc == STRATA_ESQL && (pg_sqlstate_is(pgres_err(&l), "42P01") ||
                              pg_sqlstate_is(pgres_err(&l), "3F000"))) {
        /* no history table (or schema) yet: nothing applied */
        pgres_list_clear(&l);
        *out = h;
        return STRATA_OK;
    }
    if (rc != STRATA_OK) {
        if (rc == STRATA_ESQL) {
            char *name = history_qualified(s);
            set_error(s, rc, "reading the history table %s: %s(is it strata's? another tool's table "
                      "of that name needs --table / strata_set_history_table)",
                      name ? name : "", PQresultErrorMessage(pgres_err(&l)));
            free(name);
        }
        pgres_list_clear(&l);
        return rc;
    }
    const PGresult *r = l.items[l.n - 1];
    h.exists = true;
    h.n = (size_t)PQntuples(r);
    h.rows = calloc(h.n ? h.n : 1, sizeof *h.rows);
    if (!h.rows) {
        pgres_list_clear(&l);
        return set_error(s, STRATA_ENOMEM, "out of memory");
    }
    bool ok = true;
    for (size_t i = 0; i < h.n; i++)
        ok &= fill_row(&h.rows[i], r, (int)i);
    pgres_list_clear(&l);
    if (!ok) { /* a row without its name or error would mislead status and revert */
        history_clear(&h);
        return set_error(s, STRATA_ENOMEM, "out of memory");
    }
    *out = h;
    return STRATA_OK;
}

int history_create(strata *s)
{
    char *q = history_qualified(s), *sc = NULL;
    sbuf sql;
    int rc;
    if (!q)
        return set_error(s, STRATA_ENOMEM, "out of memory");
    sbuf_init(&sql);
    if (s->pooled) {
        /* no session lock through a pooler: a racing migrator's CREATE
         * ... IF NOT EXISTS would fail on the catalog's unique index */
        sbuf_puts(&sql, "BEGIN;\n");
        pooler_lock_sql(s, &sql);
    }
    if (s->hist_schema) {
        sc = pg_ident(s, s->hist_schema);
        sbuf_printf(&sql, "CREATE SCHEMA IF NOT EXISTS %s;\n", sc ? sc : "");
        free(sc);
    }
    sbuf_printf(&sql,
                "CREATE TABLE IF NOT EXISTS %s (\n"
                "  version bigint PRIMARY KEY,\n"
                "  name text NOT NULL,\n"
                "  applied_rank bigint NOT NULL,\n"
                "  checksum bytea NOT NULL,\n"
                "  checksum_algo smallint NOT NULL,\n"
                "  phase text NOT NULL,\n"
                "  state text NOT NULL CHECK (state IN ('applied', 'dirty')),\n"
                "  applied_at timestamptz NOT NULL DEFAULT now(),\n"
                "  duration_ms bigint,\n"
                "  applied_by text,\n"
                "  statements_done int,\n"
                "  failed_statement int,\n"
                "  error text)%s",
                q, s->pooled ? ";\nCOMMIT" : "");
    free(q);
    rc = sql.oom ? set_error(s, STRATA_ENOMEM, "out of memory") : pg_simple(s, sql.data, NULL);
    sbuf_free(&sql);
    if (rc) {
        char *name = history_qualified(s);
        set_error(s, rc, "creating the history table %s: %s (the migrating role needs CREATE on "
                  "its schema; or point --table / strata_set_history_table at a schema it may use)",
                  name ? name : "", strata_errmsg(s));
        free(name);
    }
    return rc;
}

static void add_hex(sbuf *b, const unsigned char *sum)
{
    static const char digits[] = "0123456789abcdef";
    char hex[65];
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[sum[i] >> 4];
        hex[2 * i + 1] = digits[sum[i] & 15];
    }
    hex[64] = '\0';
    sbuf_printf(b, "decode('%s', 'hex')", hex);
}

#define HIST_COLUMNS "(version, name, applied_rank, checksum, checksum_algo, phase, state, " \
                     "duration_ms, applied_by, statements_done)"

/* One row of HIST_COLUMNS as a VALUES tuple. @k: the row's place in a
 * multi-row INSERT, so ranks computed by the server (through a pooler)
 * still differ within one statement. */
static void add_row(strata *s, sbuf *b, const char *q, const char *name, const migration *m,
                    const char *state, int32_t statements_done, int64_t duration_ms, size_t k)
{
    sbuf_printf(b, "(%lld, %s, ", (long long)m->version, name);
    if (s->next_rank > 0 && !s->pooled) /* pooled: ranks are not ours to hand out */
        sbuf_printf(b, "%lld, ", (long long)s->next_rank++);
    else
        sbuf_printf(b, "(SELECT coalesce(max(applied_rank), 0) + %zu FROM %s), ", k + 1, q);
    add_hex(b, m->checksum);
    sbuf_printf(b, ", 1, '%s', '%s', ", m->d.phase == STRATA_PHASE_CONTRACT ? "contract" : "expand",
                state);
    if (duration_ms >= 0)
        sbuf_printf(b, "%lld", (long long)duration_ms);
    else if (duration_ms == HIST_DURATION_IN_STATEMENT)
        sbuf_puts(b, "(extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000)::bigint");
    else
        sbuf_puts(b, "NULL");
    sbuf_puts(b, ", current_user || coalesce(' (' || nullif(current_setting('application_name'), "
                 "'') || ')', ''), ");
    if (statements_done >= 0)
        sbuf_printf(b, "%d)", (int)statements_done);
    else
        sbuf_puts(b, "NULL)");
}

char *history_insert_sql(strata *s, const migration *m, const char *state, int32_t statements_done,
                         int64_t duration_ms)
{
    char *q = history_qualified(s), *name = pg_literal(s, m->name);
    sbuf b;
    if (!q || !name) {
        free(q);
        free(name);
        return NULL;
    }
    sbuf_init(&b);
    sbuf_printf(&b, "INSERT INTO %s " HIST_COLUMNS " VALUES ", q);
    add_row(s, &b, q, name, m, state, statements_done, duration_ms, 0);
    free(q);
    free(name);
    return sbuf_take(&b);
}

char *history_insert_many_sql(strata *s, const migration *const *items, const int64_t *ms,
                              size_t n)
{
    char *q = history_qualified(s);
    sbuf b;
    if (!q)
        return NULL;
    sbuf_init(&b);
    sbuf_printf(&b, "INSERT INTO %s " HIST_COLUMNS " VALUES\n", q);
    for (size_t i = 0; i < n && !b.oom; i++) {
        char *name = pg_literal(s, items[i]->name);
        if (!name) {
            b.oom = true;
            break;
        }
        if (i)
            sbuf_puts(&b, ",\n");
        add_row(s, &b, q, name, items[i], "applied", -1, ms[i], i);
        free(name);
    }
    free(q);
    if (b.oom) {
        sbuf_free(&b);
        return NULL;
    }
    return sbuf_take(&b);
}

char *history_update_sql(strata *s, int64_t version, const char *fmt, ...)
{
    char *q = history_qualified(s);
    va_list ap;
    sbuf b;
    if (!q)
        return NULL;
    sbuf_init(&b);
    sbuf_printf(&b, "UPDATE %s SET ", q);
    va_start(ap, fmt);
    sbuf_vprintf(&b, fmt, ap);
    va_end(ap);
    sbuf_printf(&b, " WHERE version = %lld", (long long)version);
    free(q);
    return sbuf_take(&b);
}

char *history_delete_sql(strata *s, int64_t version)
{
    char *q = history_qualified(s);
    sbuf b;
    if (!q)
        return NULL;
    sbuf_init(&b);
    sbuf_printf(&b, "DELETE FROM %s WHERE version = %lld", q, (long long)version);
    free(q);
    return sbuf_take(&b);
}

char *history_checksum_sql(strata *s, const migration *m)
{
    sbuf hex;
    char *sql;
    sbuf_init(&hex);
    add_hex(&hex, m->checksum);
    sql = hex.oom ? NULL : history_update_sql(s, m->version, "checksum = %s, checksum_algo = 1", hex.data);
    sbuf_free(&hex);
    return sql;
}
