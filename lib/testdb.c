/* Test databases in milliseconds: a template database holding every
 * migration applied is built once per migration set, then each test gets a
 * clone of it (CREATE DATABASE ... TEMPLATE copies files, it runs nothing).
 *
 * The template's name is a hash of the set, so an edited migration gets a
 * new template. It is built under a name of its own and renamed when
 * complete: a build that failed, or whose process was killed, leaves at
 * most a build-named database, which the next build drops. Builders of one
 * set exclude each other with a session advisory lock in the admin
 * database; waiters poll, so they stop waiting as soon as the template
 * appears. A call hands out a spare clone made ahead of time when one is
 * ready (testdb_pool.c) and clones only when none is. */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secret.h"
#include "testdb.h"
#include "testdb_pool.h"

#define NAME_MAX_BYTES TESTDB_NAME_MAX

/* ---- naming ---- */

int testdb_set_hash(strata *s, char hex[TESTDB_HASH_HEX + 1])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    sbuf b;
    sbuf_init(&b);
    /* the history table is part of what the clones hold */
    sbuf_printf(&b, "strata testdb 1\n%s.%s\n", s->hist_schema ? s->hist_schema : "",
                s->hist_table);
    for (size_t i = 0; i < s->set.n; i++) {
        const migration *m = &s->set.items[i];
        sbuf_printf(&b, "%lld ", (long long)m->version);
        sbuf_add(&b, (const char *)m->checksum, sizeof m->checksum);
        sbuf_puts(&b, "\n");
    }
    if (b.oom || !EVP_Digest(b.data, b.len, md, &len, EVP_sha256(), NULL)) {
        sbuf_free(&b);
        return set_error(s, STRATA_ENOMEM, "out of memory hashing the migration set");
    }
    sbuf_free(&b);
    for (int i = 0; i < TESTDB_HASH_HEX / 2; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[TESTDB_HASH_HEX] = '\0';
    return STRATA_OK;
}

int64_t testdb_lock_key(const char *hex)
{
    return (int64_t)strtoull(hex, NULL, 16);
}

static void pct_encode(sbuf *b, const char *v)
{
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p))
            sbuf_add(b, (const char *)p, 1);
        else
            sbuf_printf(b, "%%%02X", *p);
    }
}

char *testdb_uri(strata *s, const char *db)
{
    const char *user = PQuser(s->conn), *host = PQhost(s->conn), *port = PQport(s->conn);
    sbuf b;
    sbuf_init(&b);
    sbuf_puts(&b, "postgresql://");
    if (user && *user) {
        pct_encode(&b, user);
        sbuf_puts(&b, "@");
    }
    if (host && *host)
        pct_encode(&b, host); /* a socket directory becomes %2Ftmp%2F... */
    if (port && *port)
        sbuf_printf(&b, ":%s", port);
    sbuf_puts(&b, "/");
    pct_encode(&b, db);
    if (PQsslInUse(s->conn))
        sbuf_puts(&b, "?sslmode=require");
    return sbuf_take(&b);
}

/* ---- small queries on the admin connection ---- */

static int exec_fmt(strata *s, const char *fmt, const char *ident)
{
    char *q = pg_ident(s, ident);
    sbuf b;
    int rc;
    if (!q)
        return set_error(s, STRATA_ENOMEM, "out of memory");
    sbuf_init(&b);
    sbuf_printf(&b, fmt, q);
    free(q);
    rc = b.oom ? set_error(s, STRATA_ENOMEM, "out of memory") : pg_simple(s, b.data, NULL);
    sbuf_free(&b);
    return rc;
}

enum db_state { DB_ABSENT = 0, DB_READY = 1, DB_OTHER = 2 };

/* Whether @name exists, and is a finished template (IS_TEMPLATE, no
 * connections: the last step of a build). */
static int db_state(strata *s, const char *name, int *out)
{
    char *lit = pg_literal(s, name);
    sbuf b;
    PGresult *r = NULL;
    int rc;
    if (!lit)
        return set_error(s, STRATA_ENOMEM, "out of memory");
    sbuf_init(&b);
    sbuf_printf(&b, "SELECT datistemplate AND NOT datallowconn FROM pg_database WHERE datname = %s",
                lit);
    free(lit);
    rc = b.oom ? set_error(s, STRATA_ENOMEM, "out of memory") : pg_simple(s, b.data, &r);
    sbuf_free(&b);
    if (rc == STRATA_OK)
        *out = PQntuples(r) == 0 ? DB_ABSENT : PQgetvalue(r, 0, 0)[0] == 't' ? DB_READY : DB_OTHER;
    PQclear(r);
    return rc;
}

static const char *force_clause(strata *s)
{
    return PQserverVersion(s->conn) >= 130000 ? " WITH (FORCE)" : "";
}

int testdb_drop_db(strata *s, const char *name, bool is_template)
{
    char fmt[160];
    int rc = STRATA_OK;
    if (is_template) /* a template cannot be dropped */
        rc = exec_fmt(s, "ALTER DATABASE %s WITH IS_TEMPLATE false", name);
    snprintf(fmt, sizeof fmt, "DROP DATABASE IF EXISTS %%s%s", force_clause(s));
    return rc ? rc : exec_fmt(s, fmt, name);
}

static int try_lock(strata *s, int64_t key, bool *got)
{
    char q[96];
    PGresult *r = NULL;
    int rc;
    snprintf(q, sizeof q, "SELECT pg_try_advisory_lock(%lld)", (long long)key);
    rc = pg_simple(s, q, &r);
    if (rc == STRATA_OK)
        *got = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    return rc;
}

static void unlock(strata *s, int64_t key)
{
    char q[96];
    PGresult *r = NULL;
    snprintf(q, sizeof q, "SELECT pg_advisory_unlock(%lld)", (long long)key);
    if (pg_simple_quiet(s, q, &r) == STRATA_OK)
        PQclear(r);
}

/* ---- building the template ---- */

/* A connection to @db with every other parameter of the admin one. */
static PGconn *connect_db(strata *s, const char *db)
{
    return pg_connect_like(s, db);
}

/* A handle on @c running @s's migrations with @s's run options. The set is
 * lent, not copied: the sources, checksums and directives are the same
 * objects, so the history the template records is exactly @s's. */
static int apply_on(strata *s, PGconn *c)
{
    strata *child = NULL;
    int rc = strata_open_conn(&child, c);
    if (rc) {
        strata_close(child);
        return set_error(s, rc, "could not use the template's connection");
    }
    child->set = s->set;
    child->hist_schema = s->hist_schema ? xstrdup(s->hist_schema) : NULL;
    free(child->hist_table);
    child->hist_table = xstrdup(s->hist_table);
    child->lock_timeout_ms = s->lock_timeout_ms;
    child->statement_timeout_ms = s->statement_timeout_ms;
    child->retries = s->retries;
    child->retry_backoff_ms = s->retry_backoff_ms;
    child->single_tx = s->single_tx;
    child->watch_ms = s->watch_ms;
    child->event_fn = s->event_fn;
    child->event_payload = s->event_payload;
    bool secrets_ok = true;
    for (size_t i = 0; i < s->n_secrets; i++)
        secrets_ok = secrets_ok && secret_add(child, s->secrets[i]) == STRATA_OK;
    if (!secrets_ok || !child->hist_table || (s->hist_schema && !child->hist_schema))
        rc = set_error(s, STRATA_ENOMEM, "out of memory");
    else if ((rc = strata_apply(child, STRATA_LATEST)))
        set_error(s, rc, "%s", child->errmsg);
    memset(&child->set, 0, sizeof child->set); /* lent: not child's to free */
    strata_close(child);
    return rc;
}

static int create_db(strata *s, const char *name, const char *template_name)
{
    char *q = pg_ident(s, name), *t = template_name ? pg_ident(s, template_name) : NULL;
    sbuf b;
    int rc;
    if (!q || (template_name && !t)) {
        free(q);
        free(t);
        return set_error(s, STRATA_ENOMEM, "out of memory");
    }
    sbuf_init(&b);
    sbuf_printf(&b, "CREATE DATABASE %s", q);
    if (t)
        sbuf_printf(&b, " TEMPLATE %s", t);
    free(q);
    free(t);
    rc = b.oom ? set_error(s, STRATA_ENOMEM, "out of memory") : pg_simple(s, b.data, NULL);
    sbuf_free(&b);
    if (rc == STRATA_ESQL && strstr(s->errmsg, "[42501]"))
        set_error(s, rc, "creating database \"%s\": %s (the admin connection's role needs "
                  "CREATEDB: ALTER ROLE ... CREATEDB)", name, strata_errmsg(s));
    return rc;
}

/* Marks the build finished and gives it its final name, in one
 * transaction: a database under the template name is always complete. */
static int publish(strata *s, const char *build, const char *tpl)
{
    char *b = pg_ident(s, build), *t = pg_ident(s, tpl);
    sbuf sql;
    int rc;
    if (!b || !t) {
        free(b);
        free(t);
        return set_error(s, STRATA_ENOMEM, "out of memory");
    }
    sbuf_init(&sql);
    sbuf_printf(&sql, "BEGIN;\nALTER DATABASE %s WITH IS_TEMPLATE true ALLOW_CONNECTIONS false;\n"
                      "ALTER DATABASE %s RENAME TO %s;\nCOMMIT", b, b, t);
    free(b);
    free(t);
    rc = sql.oom ? set_error(s, STRATA_ENOMEM, "out of memory") : pg_simple(s, sql.data, NULL);
    sbuf_free(&sql);
    pg_rollback(s);
    return rc;
}

static int build(strata *s, const char *hex, const char *tpl)
{
    char name[NAME_MAX_BYTES + 1];
    PGconn *c;
    int rc;
    snprintf(name, sizeof name, TESTDB_BUILD_PREFIX "%s", hex);
    /* a build-named database is what a failed or killed build left */
    if ((rc = testdb_drop_db(s, name, false)) || (rc = create_db(s, name, NULL)))
        return rc;
    c = connect_db(s, name);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        sbuf b;
        sbuf_init(&b);
        sbuf_printf(&b, "connecting to the template being built (%s): ", name);
        pg_connection_message(&b, c);
        rc = set_error_buf(s, STRATA_ECONNECT, &b);
        sbuf_free(&b);
    } else {
        rc = apply_on(s, c);
    }
    PQfinish(c);
    if (rc == STRATA_OK)
        rc = publish(s, name, tpl);
    if (rc) {
        char msg[sizeof s->errmsg];
        memcpy(msg, s->errmsg, sizeof msg);
        testdb_drop_db(s, name, false); /* never used: the next call builds again */
        set_error(s, rc, "building the template database %s: %s", tpl, msg);
    }
    return rc;
}

/* Returns with the template ready, built by us or by another process. */
static int ensure_template(strata *s, const char *hex, const char *tpl)
{
    int64_t key = testdb_lock_key(hex), start = now_ms(), pause = 10;
    int state = DB_ABSENT, rc;
    bool got = false, told = false;
    for (;;) {
        if ((rc = db_state(s, tpl, &state)) || state == DB_READY)
            return rc;
        if ((rc = try_lock(s, key, &got)) || got)
            break;
        if (now_ms() - start >= s->lock_wait_ms)
            return set_error(s, STRATA_ELOCKED, "another process has been building the template "
                             "database %s for longer than the lock wait of %lld ms",
                             tpl, (long long)s->lock_wait_ms);
        if (!told)
            emit(s, STRATA_EVENT_LOCK_WAIT, NULL, "waiting for another process building the "
                 "template database");
        told = true;
        sleep_ms(pause);
        pause = pause < 200 ? pause * 2 : pause;
    }
    if (rc)
        return rc;
    rc = db_state(s, tpl, &state); /* built while we waited for the lock? */
    if (rc == STRATA_OK && state == DB_OTHER) /* not ours to trust */
        rc = testdb_drop_db(s, tpl, true);
    if (rc == STRATA_OK && state != DB_READY)
        rc = build(s, hex, tpl);
    unlock(s, key);
    return rc;
}

/* ---- the API ---- */

static int clone_name(strata *s, const char *hex, char name[NAME_MAX_BYTES + 1])
{
    unsigned char r[8];
    if (RAND_bytes(r, sizeof r) != 1)
        return set_error(s, STRATA_ERROR, "no random bytes for a database name");
    snprintf(name, NAME_MAX_BYTES + 1, TESTDB_CLONE_PREFIX "%.8s_%02x%02x%02x%02x%02x%02x%02x%02x",
             hex, r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
    return STRATA_OK;
}

STRATA_EXPORT int strata_testdb_create(strata *s, char **out)
{
    char hex[TESTDB_HASH_HEX + 1], tpl[NAME_MAX_BYTES + 1], name[NAME_MAX_BYTES + 1];
    int rc;
    bool claimed = false;
    if (!s || !out)
        return STRATA_EINVAL;
    clear_error(s);
    testdb_pool_settle(s);
    if ((rc = pg_need_db(s)) || (rc = check_conn_idle(s)) || (rc = testdb_set_hash(s, hex)))
        return rc;
    snprintf(tpl, sizeof tpl, TESTDB_TPL_PREFIX "%s", hex);
    /* a prune between our check and our clone removes the template: again */
    for (int attempt = 0; attempt < 3; attempt++) {
        if ((rc = ensure_template(s, hex, tpl)) || (rc = clone_name(s, hex, name)) ||
            (rc = testdb_pool_claim(s, hex, name, &claimed)) || claimed)
            break;
        rc = create_db(s, name, tpl);
        if (rc != STRATA_ESQL || !strstr(s->errmsg, "[3D000]"))
            break;
    }
    if (rc)
        return rc;
    char *uri = testdb_uri(s, name);
    if (!uri) {
        testdb_drop_db(s, name, false);
        return set_error(s, STRATA_ENOMEM, "out of memory");
    }
    testdb_pool_refill(s, hex, tpl); /* copied while the caller's test runs */
    *out = uri;
    return STRATA_OK;
}

/* The database a URI, a conninfo or a bare name designates. */
static int target_name(strata *s, const char *arg, char name[NAME_MAX_BYTES + 1])
{
    const char *db = arg;
    char *err = NULL;
    PQconninfoOption *opts = NULL;
    int rc = STRATA_OK;
    if (strstr(arg, "://") || strchr(arg, '=')) {
        opts = PQconninfoParse(arg, &err);
        PQfreemem(err);
        if (!opts)
            return set_error(s, STRATA_EINVAL, "cannot parse the connection string of the test "
                             "database to drop");
        db = "";
        for (PQconninfoOption *o = opts; o->keyword; o++)
            if (strcmp(o->keyword, "dbname") == 0 && o->val)
                db = o->val;
    }
    if (strncmp(db, TESTDB_CLONE_PREFIX, strlen(TESTDB_CLONE_PREFIX)) != 0 ||
        strlen(db) > NAME_MAX_BYTES)
        rc = set_error(s, STRATA_EINVAL, "\"%.80s\" is not a test database (their names start "
                       "with " TESTDB_CLONE_PREFIX " and fit in %d bytes); strata testdb drop "
                       "drops only those", db, NAME_MAX_BYTES);
    else
        snprintf(name, NAME_MAX_BYTES + 1, "%s", db);
    PQconninfoFree(opts);
    return rc;
}

STRATA_EXPORT int strata_testdb_drop(strata *s, const char *uri_or_name)
{
    char name[NAME_MAX_BYTES + 1];
    int rc, state = DB_ABSENT;
    if (!s || !uri_or_name)
        return STRATA_EINVAL;
    clear_error(s);
    testdb_pool_settle(s);
    if ((rc = pg_need_db(s)) || (rc = check_conn_idle(s)) ||
        (rc = target_name(s, uri_or_name, name)) || (rc = db_state(s, name, &state)))
        return rc;
    if (state == DB_ABSENT)
        return set_error(s, STRATA_ENOTFOUND, "there is no test database %s on this server", name);
    return testdb_drop_db(s, name, false);
}

/* Leftover builds whose builder is gone (its lock is free). */
static int prune_builds(strata *s, int32_t *dropped)
{
    PGresult *r = NULL;
    int rc = pg_simple(s, "SELECT datname FROM pg_database WHERE datname LIKE 'strata\\_tpb\\_%' "
                          "AND length(datname) = 27", &r);
    for (int i = 0; rc == STRATA_OK && i < PQntuples(r); i++) {
        const char *name = PQgetvalue(r, i, 0);
        int64_t key = testdb_lock_key(name + strlen(TESTDB_BUILD_PREFIX));
        bool got = false;
        if ((rc = try_lock(s, key, &got)) || !got)
            continue;
        rc = testdb_drop_db(s, name, false);
        unlock(s, key);
        *dropped += rc == STRATA_OK;
    }
    PQclear(r);
    return rc;
}

STRATA_EXPORT int strata_testdb_prune(strata *s, int32_t keep, int32_t *out)
{
    PGresult *r = NULL;
    int32_t dropped = 0;
    int rc;
    if (!s || keep < 0)
        return STRATA_EINVAL;
    clear_error(s);
    testdb_pool_settle(s); /* our own spare in flight is then visible, and pruned */
    if ((rc = pg_need_db(s)) || (rc = check_conn_idle(s)))
        return rc;
    /* newest first: database oids grow with creation */
    rc = pg_simple(s, "SELECT datname FROM pg_database WHERE datname LIKE 'strata\\_tpl\\_%' "
                      "AND length(datname) = 27 ORDER BY oid DESC", &r);
    for (int i = keep; rc == STRATA_OK && i < PQntuples(r); i++) {
        const char *name = PQgetvalue(r, i, 0);
        int64_t key = testdb_lock_key(name + strlen(TESTDB_TPL_PREFIX));
        bool got = false;
        if ((rc = try_lock(s, key, &got)) || !got)
            continue; /* being rebuilt right now: left for the next prune */
        rc = testdb_drop_db(s, name, true);
        unlock(s, key);
        dropped += rc == STRATA_OK;
    }
    PQclear(r);
    if (rc == STRATA_OK)
        rc = prune_builds(s, &dropped);
    if (rc == STRATA_OK) /* the spares of the templates just dropped */
        rc = testdb_pool_prune(s);
    if (rc == STRATA_OK && out)
        *out = dropped;
    return rc;
}

