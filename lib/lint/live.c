/* Live column types: with a database, ALTER COLUMN TYPE on a table that
 * no migration of the set created is judged against the column's real
 * type, read from the catalog once per table. The type is printed the way
 * type_text() prints what the parser read (base type name quoted unless a
 * plain word, the modifiers from format_type(), "[]" for an array), so the two
 * compare directly. */
#include <stdlib.h>
#include <string.h>

#include "columns.h"
#include "live.h"

static const char *const COLUMN_TYPES_SQL =
    "SELECT a.attname, CASE WHEN coalesce(et.typname, t.typname) ~ '^[a-z_][a-z0-9_]*$'"
    "    THEN coalesce(et.typname, t.typname)::text ELSE quote_ident(coalesce(et.typname, t.typname)) END"
    " || CASE WHEN a.atttypmod >= 0"
    "    THEN coalesce(substring(format_type(a.atttypid, a.atttypmod) FROM '[(][0-9,]+[)]'), '')"
    "    ELSE '' END"
    " || CASE WHEN et.oid IS NULL THEN '' ELSE '[]' END"
    " FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
    " LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'"
    " WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped";

static void fetch(lint_ctx *c, const char *rel)
{
    const char *params[1] = {rel};
    PGresult *r = PQexecParams(c->s->conn, COLUMN_TYPES_SQL, 1, NULL, params, NULL, NULL, 0);
    for (int i = 0; PQresultStatus(r) == PGRES_TUPLES_OK && i < PQntuples(r); i++) {
        char *key = lint_colkey(rel, PQgetvalue(r, i, 0));
        sbuf b;
        sbuf_init(&b);
        sbuf_printf(&b, "%s=%s", key ? key : "?", PQgetvalue(r, i, 1));
        if (key && !b.oom)
            strvec_add(&c->mem->livetypes, b.data);
        sbuf_free(&b);
        free(key);
    }
    PQclear(r);
}

const char *lint_live_type(lint_ctx *c, const char *rel, const char *col)
{
    char *key;
    const char *t;
    if (!c->s->conn || PQstatus(c->s->conn) != CONNECTION_OK)
        return NULL;
    if (!strvec_has(&c->mem->live_tables, rel)) {
        strvec_add(&c->mem->live_tables, rel);
        fetch(c, rel);
    }
    key = lint_colkey(rel, col);
    t = key ? lint_kv_last(&c->mem->livetypes, key) : NULL;
    free(key);
    return t;
}
