/* Spare clones, made ahead of time (as IntegreSQL does): CREATE DATABASE
 * ... TEMPLATE costs as much as the template has relation files, but
 * ALTER DATABASE ... RENAME is metadata only. So strata_testdb_create
 * renames a ready spare to the caller's new name, then starts the
 * replacement's CREATE DATABASE on a second connection without waiting: it
 * is copied while the caller's test runs.
 *
 * Claiming is atomic on the server: of two processes renaming one spare,
 * the second finds it gone and takes the next, or clones. A spare being
 * created is invisible until its CREATE DATABASE commits (its pg_database
 * row is not committed before), so it is never claimed half-copied. Each of
 * a template's K slots is filled by one connection at a time, under an
 * advisory lock (hash, slot) held on that connection while it copies. */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testdb.h"
#include "testdb_pool.h"

struct testdb_pool {
    PGconn *conn;     /* the second connection, on the admin database */
    bool busy;        /* a CREATE DATABASE sent, its result not read yet */
    char lock_sql[96]; /* unlocks the slot being filled; "" when none */
};

typedef struct testdb_pool testdb_pool;

/* ---- the pool connection ---- */

/* Runs @sql on the pool connection; true when it succeeded. *out (when
 * not NULL) gets the result on success. */
static bool pool_exec(testdb_pool *p, const char *sql, PGresult **out)
{
    PGresult *r = PQexec(p->conn, sql);
    ExecStatusType st = PQresultStatus(r);
    bool ok = st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
    if (ok && out)
        *out = r;
    else
        PQclear(r);
    return ok;
}

static void pool_unlock(testdb_pool *p)
{
    if (p->lock_sql[0])
        pool_exec(p, p->lock_sql, NULL);
    p->lock_sql[0] = '\0';
}

void testdb_pool_close(strata *s)
{
    if (!s->testdb_pool)
        return;
    /* no cancel: the server finishes the copy, commits, and only then
     * finds the client gone (its advisory lock goes with the session) */
    PQfinish(s->testdb_pool->conn);
    free(s->testdb_pool);
    s->testdb_pool = NULL;
}

void testdb_pool_settle(strata *s)
{
    testdb_pool *p = s->testdb_pool;
    PGresult *r;
    if (!p || !p->busy)
        return;
    /* an error (the template pruned meanwhile, the disk full) left nothing:
     * CREATE DATABASE removes its files when it fails */
    while ((r = PQgetResult(p->conn)))
        PQclear(r);
    p->busy = false;
    pool_unlock(p);
    if (PQstatus(p->conn) != CONNECTION_OK)
        testdb_pool_close(s);
}

/* The handle's pool connection, opened on first use; NULL when it cannot
 * be (no spare then, nothing else fails). */
static testdb_pool *pool_get(strata *s)
{
    testdb_pool *p = s->testdb_pool;
    if (p)
        return p;
    p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->conn = pg_connect_like(s, NULL);
    if (!p->conn || PQstatus(p->conn) != CONNECTION_OK) {
        PQfinish(p->conn);
        free(p);
        return NULL;
    }
    s->testdb_pool = p;
    return p;
}

/* ---- claiming ---- */

/* The LIKE pattern of @hex's spares, the slot's when @slot >= 0. */
static void spare_pattern(char *buf, size_t n, const char *hex, int slot)
{
    if (slot >= 0)
        snprintf(buf, n, "strata\\_spr\\_%s\\_%d\\_%%", hex, slot);
    else
        snprintf(buf, n, "strata\\_spr\\_%s\\_%%", hex);
}

static int rename_db(strata *s, const char *from, const char *to)
{
    char *f = pg_ident(s, from), *t = pg_ident(s, to);
    sbuf b;
    int rc;
    sbuf_init(&b);
    if (f && t)
        sbuf_printf(&b, "ALTER DATABASE %s RENAME TO %s", f, t);
    free(f);
    free(t);
    rc = !f || !t || b.oom ? set_error(s, STRATA_ENOMEM, "out of memory")
                           : pg_simple(s, b.data, NULL);
    sbuf_free(&b);
    return rc;
}

static int list_spares(strata *s, const char *hex, PGresult **out)
{
    char pat[96], *lit;
    sbuf b;
    int rc;
    spare_pattern(pat, sizeof pat, hex, -1);
    if (!(lit = pg_literal(s, pat)))
        return set_error(s, STRATA_ENOMEM, "out of memory");
    sbuf_init(&b);
    sbuf_printf(&b, "SELECT datname FROM pg_database WHERE datname LIKE %s ORDER BY oid", lit);
    free(lit);
    rc = b.oom ? set_error(s, STRATA_ENOMEM, "out of memory") : pg_simple(s, b.data, out);
    sbuf_free(&b);
    return rc;
}

int testdb_pool_claim(strata *s, const char *hex, const char *name, bool *claimed)
{
    PGresult *r = NULL;
    int rc;
    *claimed = false;
    if (s->testdb_spares == 0)
        return STRATA_OK;
    if ((rc = list_spares(s, hex, &r)))
        return rc;
    for (int i = 0; i < PQntuples(r) && !*claimed; i++) {
        rc = rename_db(s, PQgetvalue(r, i, 0), name);
        if (rc != STRATA_OK && rc != STRATA_ESQL)
            break;
        /* ESQL: another process renamed it first (3D000), or someone is
         * connected to it: the next one */
        *claimed = rc == STRATA_OK;
        rc = STRATA_OK;
    }
    PQclear(r);
    if (rc == STRATA_OK)
        clear_error(s);
    return rc;
}

/* ---- refilling ---- */

/* Takes slot @slot of @hex's spares: 1 when this connection now holds it
 * (locked, and no spare in it), 0 when it is held or filled, -1 when the
 * connection failed. The existence check runs after the lock, in a new
 * snapshot: a filler commits before it unlocks. */
static int slot_take(testdb_pool *p, const char *hex, int slot)
{
    char q[256], pat[96], *lit;
    PGresult *r = NULL;
    bool free_slot;
    char h[9];
    memcpy(h, hex, 8); /* the slot lock is (first 32 bits of the hash, slot) */
    h[8] = '\0';
    int32_t key = (int32_t)(uint32_t)strtoul(h, NULL, 16);
    snprintf(q, sizeof q, "SELECT pg_try_advisory_lock(%d, %d)", (int)key, slot);
    if (!pool_exec(p, q, &r))
        return -1;
    free_slot = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (!free_slot)
        return 0;
    snprintf(p->lock_sql, sizeof p->lock_sql, "SELECT pg_advisory_unlock(%d, %d)", (int)key, slot);
    spare_pattern(pat, sizeof pat, hex, slot);
    if (!(lit = PQescapeLiteral(p->conn, pat, strlen(pat)))) {
        pool_unlock(p);
        return -1;
    }
    snprintf(q, sizeof q, "SELECT 1 FROM pg_database WHERE datname LIKE %s", lit);
    PQfreemem(lit);
    if (!pool_exec(p, q, &r)) {
        pool_unlock(p);
        return -1;
    }
    free_slot = PQntuples(r) == 0;
    PQclear(r);
    if (!free_slot)
        pool_unlock(p);
    return free_slot;
}

/* Sends the CREATE DATABASE of a spare in @slot; true when sent. */
static bool send_create(testdb_pool *p, const char *hex, int slot, const char *tpl)
{
    char name[TESTDB_NAME_MAX + 1], *q, *t;
    unsigned char r[8];
    bool sent = false;
    if (RAND_bytes(r, sizeof r) != 1)
        return false;
    snprintf(name, sizeof name, TESTDB_SPARE_PREFIX "%s_%d_%02x%02x%02x%02x%02x%02x%02x%02x", hex,
             slot, r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
    q = PQescapeIdentifier(p->conn, name, strlen(name));
    t = PQescapeIdentifier(p->conn, tpl, strlen(tpl));
    if (q && t) {
        sbuf b;
        sbuf_init(&b);
        sbuf_printf(&b, "CREATE DATABASE %s TEMPLATE %s", q, t);
        sent = !b.oom && PQsendQuery(p->conn, b.data) == 1;
        sbuf_free(&b);
    }
    PQfreemem(q);
    PQfreemem(t);
    return sent;
}

void testdb_pool_refill(strata *s, const char *hex, const char *tpl)
{
    testdb_pool *p;
    if (s->testdb_spares == 0 || !(p = pool_get(s)))
        return;
    for (int slot = 0; slot < s->testdb_spares; slot++) {
        int st = slot_take(p, hex, slot);
        if (st < 0)
            break;
        if (st == 0)
            continue;
        if ((p->busy = send_create(p, hex, slot, tpl)))
            return;
        break;
    }
    pool_unlock(p);
    if (PQstatus(p->conn) != CONNECTION_OK)
        testdb_pool_close(s);
}

/* ---- pruning and the setter ---- */

int testdb_pool_prune(strata *s)
{
    PGresult *r = NULL;
    int rc = pg_simple(s, "SELECT d.datname FROM pg_database d WHERE d.datname LIKE "
                          "'strata\\_spr\\_%' AND NOT EXISTS (SELECT FROM pg_database t WHERE "
                          "t.datname = 'strata_tpl_' || substr(d.datname, 12, 16))", &r);
    for (int i = 0; rc == STRATA_OK && i < PQntuples(r); i++)
        rc = testdb_drop_db(s, PQgetvalue(r, i, 0), false);
    PQclear(r);
    return rc;
}

STRATA_EXPORT int strata_set_testdb_spares(strata *s, int32_t n)
{
    if (!s || n < 0 || n > TESTDB_SPARES_MAX)
        return STRATA_EINVAL;
    s->testdb_spares = n;
    if (n == 0) { /* nothing in flight outlives the choice */
        testdb_pool_settle(s);
        testdb_pool_close(s);
    }
    return STRATA_OK;
}
