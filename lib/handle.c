/* The handle: lifecycle, errors, options and events. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "conn.h"
#include "internal.h"
#include "secret.h"
#include "testdb_pool.h"

STRATA_EXPORT const char *strata_version(void)
{
    return STRATA_VERSION_STRING;
}

STRATA_EXPORT const char *strata_strerror(int code)
{
    switch (code) {
    case STRATA_OK: return "success";
    case STRATA_ERROR: return "failure";
    case STRATA_ENOMEM: return "out of memory";
    case STRATA_EINVAL: return "invalid argument";
    case STRATA_ECONNECT: return "could not connect to the database";
    case STRATA_ESQL: return "an SQL statement failed";
    case STRATA_EIO: return "could not read a migration file or directory";
    case STRATA_EPARSE: return "malformed migration";
    case STRATA_EDUPLICATE: return "two migrations share a version";
    case STRATA_ELOCKED: return "another migrator holds the lock";
    case STRATA_ECHECKSUM: return "an applied migration was modified";
    case STRATA_EORDER: return "pending migration older than the newest applied one";
    case STRATA_EUNKNOWN: return "database has applied versions unknown to this program";
    case STRATA_EDIRTY: return "a migration did not finish (dirty)";
    case STRATA_EIRREVERSIBLE: return "a migration has no down SQL";
    case STRATA_ENODB: return "no database connection";
    case STRATA_ELINT: return "lint findings refused the migration";
    case STRATA_ENOTFOUND: return "no such version";
    case STRATA_ENOTEMPTY: return "the scratch database is not empty";
    case STRATA_EOTHERHISTORY: return "another tool's migration history is in the database: adopt it first";
    default: return "unknown error code";
    }
}

STRATA_EXPORT void strata_free(void *p)
{
    free(p);
}

int set_error_buf(strata *s, int code, sbuf *b)
{
    const char *msg = b->oom || !b->data ? "out of memory" : b->data;
    /* mask the whole message before cutting it: a password across the cut
     * would otherwise keep its first half */
    char *masked = s->n_secrets ? xstrdup(msg) : NULL;
    if (s->n_secrets && !masked)
        msg = "out of memory (the message was dropped)";
    else if (masked) {
        secret_mask(s, masked);
        msg = masked;
    }
    snprintf(s->errmsg, sizeof s->errmsg, "%s", msg);
    size_t n = strlen(msg);
    if (n >= sizeof s->errmsg - 1 && s->errmsg[sizeof s->errmsg - 2]) {
        /* keep the tail visible: the most useful part is often at the end */
        memcpy(s->errmsg + sizeof s->errmsg - 5, "...", 4);
    }
    free(masked);
    return code;
}

int set_error(strata *s, int code, const char *fmt, ...)
{
    sbuf b;
    va_list ap;
    sbuf_init(&b);
    va_start(ap, fmt);
    sbuf_vprintf(&b, fmt, ap);
    va_end(ap);
    set_error_buf(s, code, &b);
    sbuf_free(&b);
    return code;
}

void clear_error(strata *s)
{
    s->errmsg[0] = '\0';
}

STRATA_EXPORT const char *strata_errmsg(const strata *s)
{
    return s ? s->errmsg : "no handle";
}

void emit_ev(strata *s, strata_event *ev)
{
    if (s->event_fn)
        s->event_fn(ev, s->event_payload);
}

strata_event event_of(int32_t type, const migration *m, const char *msg)
{
    strata_event ev = {0};
    ev.type = type;
    ev.version = m ? m->version : 0;
    ev.name = m ? m->name : NULL;
    ev.message = msg;
    ev.duration_ms = -1;
    ev.rows = -1;
    return ev;
}

void emit(strata *s, int32_t type, const migration *m, const char *msg)
{
    strata_event ev = event_of(type, m, msg);
    emit_ev(s, &ev);
}

static strata *handle_new(void)
{
    strata *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->hist_table = xstrdup("strata_history");
    if (!s->hist_table) {
        free(s);
        return NULL;
    }
    s->lock_wait_ms = 60000;
    /* short waits for strong locks, retried within a budget: see retry.c */
    s->lock_timeout_ms = 750;
    s->statement_timeout_ms = 0;
    s->retries = INT32_MAX;
    s->retry_backoff_ms = 250;
    s->retry_backoff_max_ms = 5000;
    s->retry_budget_ms = 60000;
    s->rng = (uint64_t)now_ms() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)s;
    s->phase = STRATA_PHASE_ALL;
    s->watch_ms = 1000;
    s->lint_level = -1;
    s->pg_version = 15;
    s->testdb_spares = 2;
    return s;
}

/* Records the password's forms before anything can show the string; a
 * string libpq cannot parse is refused here, described without its text. */
static int check_conninfo(strata *s, const char *conninfo)
{
    sbuf why;
    int rc;
    sbuf_init(&why);
    rc = secret_collect(s, conninfo, &why);
    if (rc == STRATA_EPARSE) {
        sbuf b;
        sbuf_init(&b);
        sbuf_printf(&b, "could not connect: %s; check the -d URL, $DATABASE_URL or the PG* "
                        "environment", why.data ? why.data : "malformed connection string");
        rc = set_error_buf(s, STRATA_ECONNECT, &b);
        sbuf_free(&b);
    } else if (rc) {
        rc = set_error(s, STRATA_ENOMEM, "out of memory reading the connection string");
    }
    sbuf_free(&why);
    return rc;
}

STRATA_EXPORT int strata_open(strata **out, const char *conninfo)
{
    strata *s;
    if (!out)
        return STRATA_EINVAL;
    s = handle_new();
    if (!s)
        return STRATA_ENOMEM;
    *out = s;
    if (!conninfo)
        return STRATA_OK;
    int rc = check_conninfo(s, conninfo);
    if (rc)
        return rc;
    s->conninfo = xstrdup(conninfo);
    if (!s->conninfo)
        return set_error(s, STRATA_ENOMEM, "out of memory");
    s->conn = PQconnectdb(conninfo);
    s->owns_conn = true;
    if (!s->conn)
        return set_error(s, STRATA_ENOMEM, "out of memory connecting");
    if (PQstatus(s->conn) != CONNECTION_OK) {
        sbuf b;
        sbuf_init(&b);
        sbuf_puts(&b, "could not connect: ");
        pg_connection_message(&b, s->conn);
        sbuf_puts(&b, " (check the -d URL, $DATABASE_URL or the PG* environment)");
        set_error_buf(s, STRATA_ECONNECT, &b);
        sbuf_free(&b);
        return STRATA_ECONNECT;
    }
    s->cancel = PQgetCancel(s->conn);
    conn_notices_owned(s);
    return STRATA_OK;
}

STRATA_EXPORT int strata_open_conn(strata **out, struct pg_conn *conn)
{
    strata *s;
    if (!out || !conn)
        return STRATA_EINVAL;
    s = handle_new();
    if (!s)
        return STRATA_ENOMEM;
    *out = s;
    s->conn = conn;
    s->owns_conn = false;
    if (PQstatus(conn) != CONNECTION_OK) {
        s->conn = NULL;
        return set_error(s, STRATA_ECONNECT, "the borrowed connection is not usable");
    }
    s->cancel = PQgetCancel(conn);
    conn_notices_borrowed(s);
    if (secret_add(s, PQpass(conn)))
        return set_error(s, STRATA_ENOMEM, "out of memory");
    return STRATA_OK;
}

STRATA_EXPORT int strata_cancel(strata *s)
{
    char errbuf[256]; /* on the stack: async-signal-safe, as PQcancel is */
    PGcancel *cancel = s ? s->cancel : NULL;
    if (!cancel)
        return STRATA_EINVAL;
    return PQcancel(cancel, errbuf, (int)sizeof errbuf) ? STRATA_OK : STRATA_ECONNECT;
}

STRATA_EXPORT void strata_close(strata *s)
{
    if (!s)
        return;
    PGcancel *cancel = s->cancel;
    s->cancel = NULL; /* before it is freed: strata_cancel may run in a signal handler */
    PQfreeCancel(cancel);
    watch_close(s);
    testdb_pool_close(s);
    if (s->conn) {
        if (s->owns_conn)
            PQfinish(s->conn);
        else
            conn_notices_leave(s);
    }
    migset_clear(&s->set);
    free(s->conninfo);
    secret_free(s);
    free(s->hist_schema);
    free(s->run_schema);
    free(s->hist_table);
    free(s);
}

STRATA_EXPORT void strata_set_event_callback(strata *s, strata_event_fn fn, void *payload)
{
    if (!s)
        return;
    s->event_fn = fn;
    s->event_payload = payload;
}

static bool valid_ident(const char *p, size_t n)
{
    return n > 0 && n < 64 && memchr(p, '\0', n) == NULL;
}

STRATA_EXPORT int strata_set_history_table(strata *s, const char *name)
{
    const char *dot;
    char *schema = NULL, *table;
    if (!s || !name)
        return STRATA_EINVAL;
    dot = strchr(name, '.');
    if (dot && strchr(dot + 1, '.'))
        return set_error(s, STRATA_EINVAL, "history table \"%s\": use table or schema.table", name);
    if (dot) {
        if (!valid_ident(name, (size_t)(dot - name)) || !valid_ident(dot + 1, strlen(dot + 1)))
            return set_error(s, STRATA_EINVAL, "history table \"%s\": empty or too long name", name);
        schema = xstrndup(name, (size_t)(dot - name));
        table = xstrdup(dot + 1);
    } else {
        if (!valid_ident(name, strlen(name)))
            return set_error(s, STRATA_EINVAL, "history table \"%s\": empty or too long name", name);
        table = xstrdup(name);
    }
    if (!table || (dot && !schema)) {
        free(schema);
        free(table);
        return STRATA_ENOMEM;
    }
    free(s->hist_schema);
    free(s->hist_table);
    free(s->run_schema); /* resolved again for the new name */
    s->run_schema = NULL;
    s->hist_schema = schema;
    s->hist_table = table;
    return STRATA_OK;
}

/* lock_timeout, statement_timeout and (through a pooler) the lock wait are
 * sent to the server as timeouts: a value above its limit would fail only
 * when the first migration runs. The durations only waited for here
 * (backoff, watch) saturate instead. */
static int duration_check(strata *s, int64_t ms, const char *what)
{
    if (ms < 0)
        return set_error(s, STRATA_EINVAL, "%s: %lld ms is negative; durations run from 0 to "
                         "2147483647 ms", what, (long long)ms);
    if (ms > DURATION_MAX_MS)
        return set_error(s, STRATA_EINVAL, "%s: %lld ms is above the limit of 2147483647 ms "
                         "(PostgreSQL's largest timeout, about 24.8 days)", what, (long long)ms);
    return STRATA_OK;
}

#define SETTER_MS(fn, field)                                                   \
    STRATA_EXPORT int fn(strata *s, int64_t ms)                                \
    {                                                                          \
        if (!s || ms < 0)                                                      \
            return STRATA_EINVAL;                                              \
        s->field = ms;                                                         \
        return STRATA_OK;                                                      \
    }

#define SETTER_TIMEOUT_MS(fn, field)                                           \
    STRATA_EXPORT int fn(strata *s, int64_t ms)                                \
    {                                                                          \
        int rc;                                                                \
        if (!s)                                                                \
            return STRATA_EINVAL;                                              \
        if ((rc = duration_check(s, ms, #fn)))                                 \
            return rc;                                                         \
        s->field = ms;                                                         \
        return STRATA_OK;                                                      \
    }

SETTER_TIMEOUT_MS(strata_set_lock_wait_ms, lock_wait_ms)
SETTER_TIMEOUT_MS(strata_set_lock_timeout_ms, lock_timeout_ms)
SETTER_TIMEOUT_MS(strata_set_statement_timeout_ms, statement_timeout_ms)
SETTER_MS(strata_set_retry_backoff_ms, retry_backoff_ms)
SETTER_MS(strata_set_watch_interval_ms, watch_ms)

#define SETTER_FLAG(fn, field)                                                 \
    STRATA_EXPORT int fn(strata *s, int32_t on)                                \
    {                                                                          \
        if (!s)                                                                \
            return STRATA_EINVAL;                                              \
        s->field = on != 0;                                                    \
        return STRATA_OK;                                                      \
    }

SETTER_FLAG(strata_set_allow_out_of_order, out_of_order)
SETTER_FLAG(strata_set_strict, strict)
SETTER_FLAG(strata_set_dry_run, dry_run)
SETTER_FLAG(strata_set_single_transaction, single_tx)
SETTER_FLAG(strata_set_resume, resume)

STRATA_EXPORT int strata_set_retries(strata *s, int32_t retries)
{
    if (!s || retries < 0)
        return STRATA_EINVAL;
    s->retries = retries;
    return STRATA_OK;
}

SETTER_FLAG(strata_set_lint_all, lint_all)

STRATA_EXPORT int strata_set_lint_level(strata *s, int32_t level)
{
    if (!s || level < -1 || level > STRATA_SEVERITY_ERROR)
        return STRATA_EINVAL;
    s->lint_level = level;
    return STRATA_OK;
}

STRATA_EXPORT int strata_set_pg_version(strata *s, int32_t major)
{
    if (!s || major < 9 || major > 99)
        return STRATA_EINVAL;
    s->pg_version = major;
    return STRATA_OK;
}

STRATA_EXPORT int strata_set_phase(strata *s, int32_t phase)
{
    if (!s || phase < STRATA_PHASE_ALL || phase > STRATA_PHASE_CONTRACT)
        return STRATA_EINVAL;
    s->phase = phase;
    return STRATA_OK;
}
