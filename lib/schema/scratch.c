/* Scratch databases: created from template0 on the server of a handle,
 * checked empty, dropped. Creating and dropping a database needs another
 * database to be connected to: the maintenance database "postgres", reached
 * with the handle's own connection parameters. */
#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>

#include "schema.h"

#define SCRATCH_PREFIX "strata_scratch_"
#define ADMIN_DB "postgres"

/* The handle's connection parameters with dbname replaced by @db. */
static PGconn *connect_to(strata *s, const char *db)
{
    PQconninfoOption *opts = PQconninfo(s->conn), *o;
    const char **keys, **vals;
    size_t n = 0;
    PGconn *c = NULL;
    if (!opts)
        return NULL;
    for (o = opts; o->keyword; o++)
        n++;
    keys = calloc(n + 2, sizeof *keys);
    vals = calloc(n + 2, sizeof *vals);
    if (keys && vals) {
        size_t k = 0;
        for (o = opts; o->keyword; o++)
            if (o->val && *o->val && strcmp(o->keyword, "dbname") != 0)
                keys[k] = o->keyword, vals[k++] = o->val;
        keys[k] = "dbname", vals[k++] = db;
        c = PQconnectdbParams(keys, vals, 0);
    }
    free(keys);
    free(vals);
    PQconninfoFree(opts);
    return c;
}

/* A conninfo string for @db: the handle's parameters, values quoted. */
static char *conninfo_for(strata *s, const char *db)
{
    PQconninfoOption *opts = PQconninfo(s->conn), *o;
    sbuf b;
    if (!opts)
        return NULL;
    sbuf_init(&b);
    for (o = opts; o->keyword; o++) {
        const char *v = strcmp(o->keyword, "dbname") == 0 ? db : o->val;
        if (!v || !*v)
            continue;
        sbuf_printf(&b, "%s%s='", b.len ? " " : "", o->keyword);
        for (const char *p = v; *p; p++) {
            if (*p == '\'' || *p == '\\')
                sbuf_add(&b, "\\", 1);
            sbuf_add(&b, p, 1);
        }
        sbuf_puts(&b, "'");
    }
    PQconninfoFree(opts);
    return sbuf_take(&b);
}

/* Runs @sql on the maintenance database. */
static int admin_exec(strata *s, const char *sql, const char *what)
{
    PGconn *c = connect_to(s, ADMIN_DB);
    PGresult *r;
    int rc = STRATA_OK;
    if (!c || PQstatus(c) != CONNECTION_OK) {
        sbuf b;
        sbuf_init(&b);
        sbuf_printf(&b, "%s: could not connect to the maintenance database \"%s\": ", what, ADMIN_DB);
        pg_connection_message(&b, c);
        set_error_buf(s, STRATA_ECONNECT, &b);
        sbuf_free(&b);
        PQfinish(c);
        return STRATA_ECONNECT;
    }
    r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        sbuf b;
        sbuf_init(&b);
        pg_describe_error(&b, r, what, NULL, 0, -1);
        rc = set_error_buf(s, STRATA_ESQL, &b);
        sbuf_free(&b);
    }
    PQclear(r);
    PQfinish(c);
    return rc;
}

static int drop_named(strata *s, const char *db)
{
    char *ident = pg_ident(s, db);
    sbuf sql;
    int rc;
    if (!ident)
        return set_error(s, STRATA_ENOMEM, "out of memory");
    sbuf_init(&sql);
    sbuf_printf(&sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", ident);
    free(ident);
    rc = sql.oom ? set_error(s, STRATA_ENOMEM, "out of memory")
                 : admin_exec(s, sql.data, "dropping the scratch database");
    sbuf_free(&sql);
    return rc;
}

STRATA_EXPORT int strata_scratch_create(strata *s, char **out)
{
    unsigned char rnd[8];
    char name[64], *ident, *ci;
    sbuf sql;
    int rc;
    if (!s)
        return STRATA_EINVAL;
    clear_error(s);
    if (!out)
        return set_error(s, STRATA_EINVAL, "strata_scratch_create: NULL out");
    if ((rc = pg_need_db(s)) != STRATA_OK)
        return rc;
    if (RAND_bytes(rnd, sizeof rnd) != 1)
        return set_error(s, STRATA_ERROR, "no random bytes for the scratch database name");
    snprintf(name, sizeof name, SCRATCH_PREFIX "%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
             rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
    if (!(ident = pg_ident(s, name)))
        return set_error(s, STRATA_ENOMEM, "out of memory");
    sbuf_init(&sql);
    sbuf_printf(&sql, "CREATE DATABASE %s TEMPLATE template0", ident);
    free(ident);
    rc = sql.oom ? set_error(s, STRATA_ENOMEM, "out of memory")
                 : admin_exec(s, sql.data, "creating the scratch database");
    sbuf_free(&sql);
    if (rc != STRATA_OK)
        return rc;
    if (!(ci = conninfo_for(s, name))) {
        drop_named(s, name); /* the caller could not name it: not left behind */
        return set_error(s, STRATA_ENOMEM, "out of memory");
    }
    *out = ci;
    return STRATA_OK;
}

STRATA_EXPORT int strata_scratch_drop(strata *s, const char *conninfo)
{
    PQconninfoOption *opts, *o;
    char *db = NULL;
    int rc;
    if (!s)
        return STRATA_EINVAL;
    clear_error(s);
    if (!conninfo || !(opts = PQconninfoParse(conninfo, NULL)))
        return set_error(s, STRATA_EINVAL, "strata_scratch_drop: not a connection string");
    for (o = opts; o->keyword; o++)
        if (strcmp(o->keyword, "dbname") == 0 && o->val)
            db = xstrdup(o->val);
    PQconninfoFree(opts);
    if (!db || strncmp(db, SCRATCH_PREFIX, strlen(SCRATCH_PREFIX)) != 0) {
        rc = set_error(s, STRATA_EINVAL, "refusing to drop \"%s\": only databases named "
                       SCRATCH_PREFIX "* are scratch databases", db ? db : "");
        free(db);
        return rc;
    }
    rc = pg_need_db(s);
    if (rc == STRATA_OK)
        rc = drop_named(s, db);
    free(db);
    return rc;
}

/* Up to five objects of @sc that a fresh database would not hold. */
static void list_found(sbuf *b, const strata_schema *sc)
{
    int shown = 0, more = 0;
    for (size_t i = 0; i < sc->n; i++) {
        strata_schema one = {(sch_obj *)&sc->objs[i], 1, 1};
        if (sch_is_empty(&one))
            continue;
        if (shown == 5) {
            more++;
            continue;
        }
        sbuf_printf(b, "%s%s ", shown ? ", " : "", sc->objs[i].kind);
        sch_escape_text(b, sc->objs[i].name);
        shown++;
    }
    if (more)
        sbuf_printf(b, " and %d more", more);
}

int sch_check_empty(strata *s)
{
    strata_schema *sc = NULL;
    history h = {0};
    int rc;
    if ((rc = history_read(s, &h)) != STRATA_OK)
        return rc;
    if (h.n) {
        rc = set_error(s, STRATA_ENOTEMPTY,
                       "the scratch database \"%s\" is not empty: its history table records %zu "
                       "migration(s); give an empty database", PQdb(s->conn), h.n);
        history_clear(&h);
        return rc;
    }
    history_clear(&h);
    if ((rc = sch_snapshot(s, 0, &sc)) != STRATA_OK)
        return rc;
    if (!sch_is_empty(sc)) {
        sbuf b;
        sbuf_init(&b);
        sbuf_printf(&b, "the scratch database \"%s\" is not empty (", PQdb(s->conn));
        list_found(&b, sc);
        sbuf_puts(&b, "); give an empty database, or none to have one created from template0");
        rc = set_error_buf(s, STRATA_ENOTEMPTY, &b);
        sbuf_free(&b);
    }
    strata_schema_free(sc);
    return rc;
}

STRATA_EXPORT int strata_scratch_check_empty(strata *s)
{
    int rc;
    if (!s)
        return STRATA_EINVAL;
    clear_error(s);
    if ((rc = pg_need_db(s)) != STRATA_OK || (rc = check_conn_idle(s)) != STRATA_OK)
        return rc;
    return sch_check_empty(s);
}
