/* The PostgreSQL driver: queries are sent asynchronously so that, while one
 * runs, the blocker watch can look at who holds it up. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int pg_need_db(strata *s)
{
    if (!s->conn)
        return set_error(s, STRATA_ENODB, "this handle has no database (opened with NULL conninfo)");
    if (PQstatus(s->conn) != CONNECTION_OK)
        return set_error(s, STRATA_ECONNECT, "the database connection was lost: %s",
                         PQerrorMessage(s->conn));
    return STRATA_OK;
}

void pg_connection_message(sbuf *b, PGconn *c)
{
    const char *m = c ? PQerrorMessage(c) : "out of memory";
    size_t n = strlen(m);
    while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
        n--;
    sbuf_add(b, m, n);
}

void pgres_list_clear(pgres_list *l)
{
    for (int i = 0; i < l->n; i++)
        PQclear(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = 0;
    l->err_index = -1;
}

PGresult *pgres_err(const pgres_list *l)
{
    return l->err_index >= 0 ? l->items[l->err_index] : NULL;
}

int pgres_list_reserve(pgres_list *l)
{
    if (!l->items)
        l->items = malloc(PGRES_RESERVED * sizeof *l->items);
    return l->items ? STRATA_OK : STRATA_ENOMEM;
}

/* Slots are reserved before the query is sent; growing past them (a query
 * of many statements) doubles the array. */
static bool push_result(pgres_list *l, PGresult *r)
{
    if (l->n >= PGRES_RESERVED && (l->n & (l->n - 1)) == 0) {
        PGresult **p = realloc(l->items, (size_t)l->n * 2 * sizeof *p);
        if (!p) {
            PQclear(r);
            return false;
        }
        l->items = p;
    }
    l->items[l->n] = r;
    ExecStatusType st = PQresultStatus(r);
    if (l->err_index < 0 && (st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE))
        l->err_index = l->n;
    l->n++;
    return true;
}

/* A COPY with the client (which the plan check refuses beforehand): libpq
 * would hand back the COPY state again and again, so end it here. COPY IN
 * is failed with a message, so the server raises an error and rolls back;
 * COPY OUT rows are read and dropped. True when @r was such a state. */
static bool end_copy(strata *s, PGresult *r)
{
    ExecStatusType st = PQresultStatus(r);
    char *row;
    if (st != PGRES_COPY_IN && st != PGRES_COPY_OUT && st != PGRES_COPY_BOTH)
        return false;
    PQclear(r);
    if (st != PGRES_COPY_OUT)
        PQputCopyEnd(s->conn, "strata sends no COPY data: a migration cannot COPY FROM STDIN");
    if (st != PGRES_COPY_IN)
        while (PQgetCopyData(s->conn, &row, 0) > 0)
            PQfreemem(row);
    return true;
}

/* @a + @b for @b >= 0, saturating at INT64_MAX (a watch interval may be huge). */
static int64_t add_sat(int64_t a, int64_t b)
{
    return b > INT64_MAX - a ? INT64_MAX : a + b;
}

int pg_exec(strata *s, const char *sql, pgres_list *out)
{
    pgres_list l = {NULL, 0, -1};
    *out = l;
    /* allocate before sending: an ENOMEM then means nothing ran */
    if (pgres_list_reserve(&l))
        return set_error(s, STRATA_ENOMEM, "out of memory");
    return pg_exec_reserved(s, sql, out, l);
}

int pg_exec_reserved(strata *s, const char *sql, pgres_list *out, pgres_list l)
{
    /* the first look comes early: a lock_timeout may end the wait before
     * a full interval, and the blocker is worth naming in the error */
    int64_t started = now_ms(),
            next_watch = started + (s->watch_ms < 100 ? s->watch_ms : 100);
    int sock;
    *out = l; /* always initialised: callers clear it on every path */
    if (!PQsendQuery(s->conn, sql)) {
        sbuf b;
        sbuf_init(&b);
        sbuf_puts(&b, "could not send a query: ");
        pg_connection_message(&b, s->conn);
        set_error_buf(s, STRATA_ECONNECT, &b);
        sbuf_free(&b);
        return STRATA_ECONNECT;
    }
    sock = PQsocket(s->conn);
    s->last_blocker_pid = 0;
    s->last_blocker[0] = '\0';
    for (;;) {
        while (!PQisBusy(s->conn)) {
            PGresult *r = PQgetResult(s->conn);
            if (!r)
                goto done;
            if (end_copy(s, r))
                continue; /* the server ends the COPY; its error result follows */
            if (!push_result(&l, r)) {
                while ((r = PQgetResult(s->conn)) != NULL)
                    PQclear(r);
                pgres_list_clear(&l);
                return set_error(s, STRATA_ENOMEM, "out of memory reading results");
            }
        }
        struct pollfd pfd = {sock, POLLIN, 0};
        int64_t wait = s->watch_ms > 0 ? next_watch - now_ms() : 1000;
        /* at most a second per poll: the int timeout never truncates */
        int pr = poll(&pfd, 1, (int)(wait < 0 ? 0 : wait > 1000 ? 1000 : wait));
        if (pr < 0 && errno != EINTR)
            break;
        if (pr == 0 && s->watch_ms > 0 && now_ms() >= next_watch) {
            watch_report(s, now_ms() - started);
            next_watch = add_sat(now_ms(), s->watch_ms);
        }
        if (pr > 0 && !PQconsumeInput(s->conn))
            break;
    }
    *out = l; /* partial results: the error that ended it may be among them */
    {
        sbuf b;
        sbuf_init(&b);
        sbuf_puts(&b, "connection lost while running a query: ");
        pg_connection_message(&b, s->conn);
        set_error_buf(s, STRATA_ECONNECT, &b);
        sbuf_free(&b);
    }
    return STRATA_ECONNECT;
done:
    if (PQstatus(s->conn) != CONNECTION_OK && l.err_index >= 0) {
        *out = l;
        return STRATA_ECONNECT;
    }
    *out = l;
    return l.err_index >= 0 ? STRATA_ESQL : STRATA_OK;
}

int pg_simple(strata *s, const char *sql, PGresult **out_res)
{
    pgres_list l;
    int rc = pg_exec(s, sql, &l);
    PGresult *e = pgres_err(&l);
    if (e) {
        const char *st = PQresultErrorField(e, PG_DIAG_SQLSTATE);
        const char *msg = PQresultErrorField(e, PG_DIAG_MESSAGE_PRIMARY);
        rc = rc == STRATA_OK ? STRATA_ESQL : rc;
        set_error(s, rc, "%s%s%s%s", msg ? msg : PQresultErrorMessage(e), st ? " [" : "",
                  st ? st : "", st ? "]" : "");
    } else if (rc == STRATA_OK && out_res && l.n) {
        *out_res = l.items[l.n - 1];
        l.n--;
    }
    pgres_list_clear(&l);
    return rc;
}

/* Housekeeping queries after a failure (rollback, settings restore, unlock)
 * must not replace what the handle knows about the failure: its message and
 * the blocker the watch saw. */
int pg_simple_quiet(strata *s, const char *sql, PGresult **out_res)
{
    char saved[sizeof s->errmsg], blocker[sizeof s->last_blocker];
    int32_t blocker_pid = s->last_blocker_pid;
    int rc;
    memcpy(saved, s->errmsg, sizeof saved);
    memcpy(blocker, s->last_blocker, sizeof blocker);
    rc = pg_simple(s, sql, out_res);
    memcpy(s->errmsg, saved, sizeof saved);
    memcpy(s->last_blocker, blocker, sizeof blocker);
    s->last_blocker_pid = blocker_pid;
    return rc;
}

void pg_rollback(strata *s)
{
    if (s->conn && PQstatus(s->conn) == CONNECTION_OK && PQtransactionStatus(s->conn) != PQTRANS_IDLE)
        pg_simple_quiet(s, "ROLLBACK", NULL);
}

bool pg_sqlstate_is(const PGresult *r, const char *state)
{
    const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    return st && strcmp(st, state) == 0;
}

char *pg_literal(strata *s, const char *v)
{
    char *q = PQescapeLiteral(s->conn, v, strlen(v));
    char *r = xstrdup(q);
    PQfreemem(q);
    return r;
}

char *pg_ident(strata *s, const char *v)
{
    char *q = PQescapeIdentifier(s->conn, v, strlen(v));
    char *r = xstrdup(q);
    PQfreemem(q);
    return r;
}

/* PostgreSQL reports positions in characters; the text is UTF-8. */
static size_t char_to_byte(const char *s, long chars)
{
    size_t i = 0;
    while (s[i] && chars > 0) {
        i++;
        while ((s[i] & 0xC0) == 0x80)
            i++;
        chars--;
    }
    return i;
}

long pg_error_offset(const PGresult *r, const char *sent)
{
    const char *pos = PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION);
    if (!pos)
        return -1;
    long p = strtol(pos, NULL, 10);
    if (p <= 0)
        return -1;
    return (long)char_to_byte(sent, p - 1);
}

void pg_describe_error(sbuf *b, const PGresult *r, const char *label, const char *text,
                       int32_t first_line, long offset)
{
    const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    const char *detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
    const char *hint = PQresultErrorField(r, PG_DIAG_MESSAGE_HINT);
    sbuf_puts(b, label);
    if (text && offset >= 0 && (size_t)offset <= strlen(text)) {
        int32_t line = first_line;
        long col = 1;
        for (long i = 0; i < offset; i++) {
            if (text[i] == '\n') {
                line++;
                col = 1;
            } else if ((text[i] & 0xC0) != 0x80) {
                col++;
            }
        }
        sbuf_printf(b, ":%d:%ld", (int)line, col);
    }
    sbuf_printf(b, ": %s", msg ? msg : PQresultErrorMessage(r));
    if (st)
        sbuf_printf(b, " [%s]", st);
    if (detail)
        sbuf_printf(b, "\nDETAIL: %s", detail);
    if (hint)
        sbuf_printf(b, "\nHINT: %s", hint);
}

PGconn *pg_connect_like(strata *s, const char *dbname)
{
    PQconninfoOption *opts = PQconninfo(s->conn);
    const char *keys[64], *vals[64];
    int n = 0;
    PGconn *c;
    if (!opts)
        return NULL;
    for (PQconninfoOption *o = opts; o->keyword && n < 62; o++) {
        if (o->val && *o->val && !(dbname && strcmp(o->keyword, "dbname") == 0)) {
            keys[n] = o->keyword;
            vals[n] = o->val;
            n++;
        }
    }
    if (dbname) {
        keys[n] = "dbname";
        vals[n++] = dbname;
    }
    keys[n] = vals[n] = NULL;
    c = PQconnectdbParams(keys, vals, 0);
    PQconninfoFree(opts);
    return c;
}
