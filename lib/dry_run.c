/* The dry run: every round trip a migration would send, built with the
 * runners' own builders (timeout_settings_sql, history_*_sql, split_sql)
 * and in the order run_tx.c, run_notx.c, run_batch.c and revert.c send
 * them. What only the run itself knows (the elapsed time, the settings
 * snapshot) is said in a `--` comment, never guessed. */
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>
#include <stdlib.h>
#include <string.h>

#include "dry_run.h"
#include "down.h"
#include "pooler.h"
#include "resume.h"
#include "sqlcheck.h"

/* What a first run sends before the migrations (engine.c start_run) and
 * before the first no-transaction one (resume_prepare_table), known from
 * the history read before the dry run; consumed as it is shown. */
typedef struct first_run {
    bool unknown;   /* no connection: whether the table exists is not known */
    bool create;    /* the history table does not exist: created first */
    bool alter;     /* it lacks done_hashes: the first no-transaction adds it */
} first_run;

typedef struct dry {
    strata *s;
    const migration *m;
    int32_t n;      /* events sent for this migration; the header is 0 */
    int res;        /* first failure (out of memory) */
    first_run *fr;  /* NULL: not the run's own plan (redo, revert) */
} dry;

static void say(dry *d, const char *text)
{
    strata_event ev = event_of(STRATA_EVENT_DRY_RUN, d->m, text ? text : "");
    if (!text && d->res == STRATA_OK)
        d->res = set_error(d->s, STRATA_ENOMEM, "out of memory");
    ev.statement = d->n++;
    emit_ev(d->s, &ev);
}

/* Says @b's text and frees it. */
static void say_buf(dry *d, sbuf *b)
{
    say(d, b->oom ? NULL : b->data ? b->data : "");
    sbuf_free(b);
}

static void say_free(dry *d, char *text)
{
    say(d, text);
    free(text);
}

/* ---- the parser's verdict, before anything is shown ---- */

/* "file:line:col" of the character at 1-based @cursorpos of @sql. */
static void position(const char *sql, int cursorpos, int32_t first_line, int32_t *line, int32_t *col)
{
    int32_t l = first_line > 0 ? first_line : 1, c = 1;
    long chars = cursorpos > 0 ? cursorpos - 1 : (long)strlen(sql);
    for (const char *p = sql; *p && chars > 0; p++) {
        if ((*p & 0xC0) == 0x80)
            continue; /* positions count characters, the text is UTF-8 */
        chars--;
        if (*p == '\n') {
            l++;
            c = 1;
        } else {
            c++;
        }
    }
    *line = l;
    *col = c;
}

/* SQL the parser cannot read would fail on the server: the dry run fails. */
static int parse_check(strata *s, const char *sql, const char *source, int32_t first_line)
{
    PgQueryProtobufParseResult r = pg_query_parse_protobuf(sql);
    int res = STRATA_OK;
    if (r.error) {
        int32_t line, col;
        position(sql, r.error->cursorpos, first_line, &line, &col);
        res = set_error(s, STRATA_EPARSE, "%s:%d:%d: %s", source, (int)line, (int)col,
                        r.error->message);
    }
    pg_query_free_protobuf_parse_result(r);
    return res;
}

/* Statements the server refuses inside a transaction block (25001): the
 * no-transaction runner's first try, with the progress UPDATE in the same
 * round trip, fails before running anything; then it sends them alone. */
static bool refuses_tx_block(const char *stmt)
{
    PgQueryProtobufParseResult r = pg_query_parse_protobuf(stmt);
    bool refuses = false;
    PgQuery__ParseResult *pr = r.error ? NULL : pg_query__parse_result__unpack(
        NULL, r.parse_tree.len, (const uint8_t *)r.parse_tree.data);
    const PgQuery__Node *n = pr && pr->n_stmts == 1 ? pr->stmts[0]->stmt : NULL;
    switch (n ? n->node_case : PG_QUERY__NODE__NODE__NOT_SET) {
    case PG_QUERY__NODE__NODE_INDEX_STMT: refuses = n->index_stmt->concurrent; break;
    case PG_QUERY__NODE__NODE_DROP_STMT: refuses = n->drop_stmt->concurrent; break;
    case PG_QUERY__NODE__NODE_VACUUM_STMT: refuses = n->vacuum_stmt->is_vacuumcmd; break;
    case PG_QUERY__NODE__NODE_REINDEX_STMT:
        for (size_t i = 0; i < n->reindex_stmt->n_params; i++) {
            const PgQuery__Node *p = n->reindex_stmt->params[i];
            if (p->node_case == PG_QUERY__NODE__NODE_DEF_ELEM &&
                strcmp(p->def_elem->defname, "concurrently") == 0)
                refuses = true;
        }
        break;
    case PG_QUERY__NODE__NODE_CREATEDB_STMT:
    case PG_QUERY__NODE__NODE_DROPDB_STMT:
    case PG_QUERY__NODE__NODE_ALTER_SYSTEM_STMT:
    case PG_QUERY__NODE__NODE_CREATE_TABLE_SPACE_STMT:
    case PG_QUERY__NODE__NODE_DROP_TABLE_SPACE_STMT:
        refuses = true;
        break;
    default:
        break;
    }
    if (pr)
        pg_query__parse_result__free_unpacked(pr, NULL);
    pg_query_free_protobuf_parse_result(r);
    return refuses;
}

/* ---- history statements ---- */

/* @text with its first @what replaced by @with (the value only the run
 * knows); NULL on OOM. Takes @text. */
static char *placeholder(char *text, const char *what, const char *with)
{
    char *at = text ? strstr(text, what) : NULL;
    sbuf b;
    if (!at)
        return text;
    sbuf_init(&b);
    sbuf_add(&b, text, (size_t)(at - text));
    sbuf_puts(&b, with);
    sbuf_puts(&b, at + strlen(what));
    free(text);
    return sbuf_take(&b);
}

static void no_connection(dry *d, const char *what)
{
    sbuf b;
    sbuf_init(&b);
    sbuf_printf(&b, "-- %s (not shown: without a connection its name cannot be quoted)", what);
    say_buf(d, &b);
}

/* A history statement holding a value known only at run time: shown as a
 * comment after @why, the value named in angle brackets; @why NULL: sent
 * exactly as shown, with its `;`. */
static void say_history_later(dry *d, char *sql, const char *what, const char *why)
{
    sbuf b;
    if (!d->s->conn) {
        free(sql);
        no_connection(d, what);
        return;
    }
    sbuf_init(&b);
    if (!sql)
        b.oom = true;
    else if (why)
        sbuf_printf(&b, "-- %s:\n-- %s;", why, sql);
    else
        sbuf_printf(&b, "%s;", sql);
    free(sql);
    say_buf(d, &b);
}

static void say_history(dry *d, char *sql, const char *what)
{
    say_history_later(d, sql, what, NULL);
}

/* The INSERT's applied_rank: the runner sends a number it reads under the
 * lock (through a pooler, this very subquery). */
static void rank_note(dry *d)
{
    if (d->s->conn && !d->s->pooled)
        say(d, "-- applied_rank is sent as a number, the next rank read under the migrator "
               "lock; shown as the subquery that computes it");
}

static void restore_note(dry *d, bool same_round_trip)
{
    say(d, same_round_trip
               ? "-- in the same round trip, then: the session's settings put back as they were "
                 "before the migration (a SELECT built from a snapshot taken under the lock)"
               : "-- then: the session's settings put back as they were before the migration "
                 "(a SELECT built from a snapshot taken under the lock)");
}

/* The INSERT recording @m applied after it ran, with its measured time:
 * built with a marker value that is then named (the name literal comes
 * before it, so the marker is matched with what follows it). */
#define ELAPSED_SENTINEL INT64_C(987654321987654)
#define ELAPSED_TEXT "987654321987654, current_user"

static char *insert_after_sql(strata *s, const migration *m)
{
    char *sql = history_insert_sql(s, m, "applied", -1, ELAPSED_SENTINEL);
    return placeholder(sql, ELAPSED_TEXT, "<elapsed ms>, current_user");
}

/* ---- a first run ---- */

/* start_run: under the lock, before the first migration. The CREATE is
 * built in history.c and sent there; it is named here, not copied. */
static void say_create(dry *d)
{
    sbuf b;
    char *q;
    if (!d->fr || !(d->fr->create || d->fr->unknown))
        return;
    if (d->fr->unknown) {
        say(d, "-- first, under the migrator lock: the history table is created if it does not "
               "exist yet (CREATE TABLE IF NOT EXISTS; not shown: without a connection its name "
               "cannot be quoted)");
        d->fr->unknown = false;
        return;
    }
    q = history_qualified(d->s);
    sbuf_init(&b);
    if (q)
        sbuf_printf(&b, "-- first run: the history table %s does not exist yet; under the "
                        "migrator lock, before this migration, it is created (%sCREATE TABLE IF "
                        "NOT EXISTS %s, the columns of doc/design.md section 3)",
                    q, d->s->hist_schema ? "CREATE SCHEMA IF NOT EXISTS for its schema, then " : "", q);
    else
        b.oom = true;
    free(q);
    say_buf(d, &b);
    d->fr->create = false;
}

/* run_notx.c: each no-transaction migration first looks whether the history
 * table has its done_hashes column, and adds it when it does not (a table
 * made by an older strata, or just now: it is created without it). */
static void say_done_hashes(dry *d)
{
    char *q = NULL;
    sbuf b;
    say(d, "-- a catalog look first: whether the history table has its done_hashes column "
           "(the finished statements' hashes, for an exact resume)");
    if (!d->fr || !d->fr->alter || !d->s->conn)
        return;
    q = history_qualified(d->s);
    sbuf_init(&b);
    if (q)
        sbuf_printf(&b, "ALTER TABLE %s ADD COLUMN IF NOT EXISTS done_hashes text;", q);
    else
        b.oom = true;
    free(q);
    say(d, "-- it has not: the column is added, committed on its own");
    say_buf(d, &b);
    d->fr->alter = false;
}

/* Whether the existing history table lacks done_hashes. */
static int lacks_done_hashes(strata *s, bool *out)
{
    char *q = history_qualified(s), *lit = q ? pg_literal(s, q) : NULL;
    PGresult *r = NULL;
    sbuf b;
    int res;
    free(q);
    sbuf_init(&b);
    if (lit)
        sbuf_printf(&b, "SELECT count(*) FROM pg_attribute WHERE attrelid = to_regclass(%s) "
                        "AND attname = 'done_hashes' AND NOT attisdropped", lit);
    free(lit);
    res = !b.data || b.oom ? set_error(s, STRATA_ENOMEM, "out of memory") : pg_simple(s, b.data, &r);
    if (res == STRATA_OK)
        *out = !(PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "1") == 0);
    PQclear(r);
    sbuf_free(&b);
    return res;
}

static int first_run_facts(strata *s, const history *h, const migration *const *items, size_t n,
                           first_run *fr)
{
    bool notx = false;
    for (size_t i = 0; i < n; i++)
        notx |= items[i]->d.no_transaction && !items[i]->d.batch;
    memset(fr, 0, sizeof *fr);
    if (!h || !s->conn) {
        fr->unknown = n > 0;
        return STRATA_OK;
    }
    fr->create = n > 0 && !h->exists;
    fr->alter = notx && !h->exists;
    return notx && h->exists ? lacks_done_hashes(s, &fr->alter) : STRATA_OK;
}

/* ---- the modes ---- */

typedef struct part {
    const char *sql, *source;
    int32_t line;
    char *settings;
} part;

/* Single-transaction mode (run_tx.c tx_sql, engine.c run_items): the
 * settings and the SQL in one round trip, no savepoint (a failure rolls
 * everything back anyway) and no INSERT of its own: the history rows of the
 * whole run go in multi-row INSERTs just before the COMMIT. */
static void dry_single(dry *d, const part *p)
{
    sbuf b;
    say(d, "-- inside the run's one transaction (BEGIN; above); its history row goes in the "
           "multi-row INSERT sent after the last migration, before the COMMIT;");
    sbuf_init(&b);
    sbuf_puts(&b, p->settings);
    sbuf_puts(&b, p->sql);
    sbuf_puts(&b, "\n;\n");
    say_buf(d, &b);
    restore_note(d, true);
}

/* One round trip: the migration and its history statement, committed
 * together (run_tx.c, revert_tx). */
static void dry_tx(dry *d, const part *p, bool revert)
{
    strata *s = d->s;
    bool single = !revert && s->single_tx;
    if (single) {
        dry_single(d, p);
        return;
    }
    char *hist = !s->conn ? NULL
                 : revert ? history_delete_sql(s, d->m->version)
                          : history_insert_sql(s, d->m, "applied", -1, HIST_DURATION_IN_STATEMENT);
    sbuf b;
    if (s->observe && !revert)
        say(d, "-- observe mode: the statements below are sent one by one in this transaction, "
               "each followed by a look at pg_locks and pg_class");
    if (s->pooled && !revert)
        say(d, "-- through a transaction pooler: a round trip first opens the transaction, takes "
               "the migrator lock in it (pg_advisory_xact_lock) and checks that no other migrator "
               "applied this version meanwhile; then:");
    if (!revert)
        rank_note(d);
    sbuf_init(&b);
    sbuf_printf(&b, "BEGIN;\n%s", p->settings);
    sbuf_puts(&b, p->sql);
    sbuf_puts(&b, "\n;\n");
    if (hist)
        sbuf_printf(&b, "%s;\n", hist);
    else if (!s->conn)
        sbuf_printf(&b, "-- %s of the history row (not shown: without a connection its name "
                        "cannot be quoted)\n", revert ? "DELETE" : "INSERT");
    else
        b.oom = true;
    sbuf_puts(&b, "COMMIT;");
    free(hist);
    say_buf(d, &b);
    restore_note(d, true);
}

/* Session-level timeouts: sent alone, before the statements. */
static void say_settings(dry *d, const char *settings)
{
    size_t n = strlen(settings);
    char *t = xstrndup(settings, n && settings[n - 1] == '\n' ? n - 1 : n);
    say_free(d, t);
}

/* One statement of a no-transaction migration with its progress UPDATE
 * (run_notx.c exec_statement); @prog NULL: sent alone (a down). */
static void say_statement(dry *d, const char *stmt, const char *prog)
{
    sbuf b;
    sbuf_init(&b);
    if (prog && refuses_tx_block(stmt)) {
        say(d, "-- refuses a transaction block: sent first with its UPDATE, the server refuses "
               "it (25001) and nothing runs; then the statement alone, then the UPDATE:");
        sbuf_printf(&b, "%s;", stmt);
        say_buf(d, &b);
        sbuf_init(&b);
        sbuf_printf(&b, "%s;", prog);
    } else if (prog) {
        sbuf_printf(&b, "%s\n;\n%s;", stmt, prog);
    } else {
        sbuf_printf(&b, "%s;", stmt);
    }
    say_buf(d, &b);
}

static int split_part(strata *s, const part *p, stmt_list *sl)
{
    sbuf err;
    int32_t off = -1;
    int res;
    sbuf_init(&err);
    res = split_sql(sl, p->sql, &err, &off);
    if (res)
        set_error(s, res, "%s: %s", p->source, err.data ? err.data : "out of memory");
    sbuf_free(&err);
    return res;
}

/* Statement by statement, each committed on its own (run_notx.c: the dirty
 * row first, each statement with its progress, the final UPDATE; revert.c
 * revert_notx: the statements alone, then the DELETE). */
static int dry_notx(dry *d, const part *p, bool revert, int32_t resume_at)
{
    strata *s = d->s;
    const migration *m = d->m;
    stmt_list sl = {0};
    char *hashes = NULL;
    int32_t start = resume_at > 0 ? resume_at : 0;
    int res = split_part(s, p, &sl);
    if (res)
        return res;
    say(d, "-- no-transaction: each round trip below commits on its own; shown as sent, ended by ;");
    if (resume_at >= 0) {
        /* run_notx.c resume_point and start_dirty: the dirty row is kept */
        sbuf b;
        char *first = start < sl.n ? xstrndup(p->sql + sl.items[start].offset,
                                              (size_t)sl.items[start].len) : NULL;
        char *nl = first ? strchr(first, '\n') : NULL;
        if (nl)
            *nl = '\0'; /* its first line: the comment stays one */
        sbuf_init(&b);
        sbuf_printf(&b, "-- resume of dirty version %lld: %d statement(s) finished before; their "
                        "hashes are checked against the history row, then it resumes from "
                        "statement %d%s%s (a CREATE INDEX CONCURRENTLY there whose index is "
                        "valid in the catalog is not run again; an INVALID one is dropped first)",
                    (long long)m->version, (int)start, (int)start + 1,
                    first ? ": " : " (none left: only the final UPDATE)", first ? first : "");
        free(first);
        say_buf(d, &b);
        say_history(d, history_update_sql(s, m->version, "failed_statement = NULL, error = NULL"),
                    "UPDATE of the dirty history row");
    }
    if (!revert) {
        if (resume_at < 0) {
            say_done_hashes(d);
            rank_note(d);
            say_history(d, history_insert_sql(s, m, "dirty", 0, HIST_DURATION_NONE),
                        "INSERT of the dirty history row");
        }
        if (!(hashes = resume_hashes(p->sql, &sl))) {
            stmt_list_free(&sl);
            return set_error(s, STRATA_ENOMEM, "out of memory");
        }
    }
    say_settings(d, p->settings);
    for (int32_t i = start; i < sl.n; i++) {
        char *stmt = xstrndup(p->sql + sl.items[i].offset, (size_t)sl.items[i].len);
        bool progress = !revert && s->conn; /* the UPDATE travels with the statement */
        char *prog = progress ? history_update_sql(s, m->version, "statements_done = %d, done_hashes = '%.*s'",
                                                   (int)i + 1, (int)((i + 1) * 17 - 1), hashes)
                              : NULL;
        if (!revert && !s->conn)
            say(d, "-- with its progress UPDATE of the history row in the same round trip (not "
                   "shown: without a connection its name cannot be quoted)");
        if (stmt && (prog || !progress))
            say_statement(d, stmt, prog);
        else
            say(d, NULL);
        free(stmt);
        free(prog);
    }
    if (revert) /* revert_notx: the DELETE, then the settings */
        say_history(d, history_delete_sql(s, m->version), "DELETE of the history row");
    restore_note(d, false);
    if (!revert)
        say_history_later(d, history_update_sql(s, m->version,
                                                "state = 'applied', statements_done = %d, "
                                                "failed_statement = NULL, error = NULL, duration_ms = "
                                                "coalesce(duration_ms, 0) + <elapsed ms>, applied_at = now()",
                                                (int)sl.n),
                          "UPDATE of the history row", "then, with the elapsed time known only then");
    free(hashes);
    stmt_list_free(&sl);
    return STRATA_OK;
}

/* Its own BEGIN/COMMIT: run as written with session-level timeouts; the
 * history statement follows once it succeeded (run_migration_self,
 * revert_self). */
static void dry_self(dry *d, const part *p, bool revert)
{
    strata *s = d->s;
    say(d, "-- self-managed transactions (BEGIN/COMMIT in its SQL): sent as written, with these "
           "timeouts at session level");
    say_settings(d, p->settings);
    say(d, p->sql);
    if (revert) {
        say_history(d, history_delete_sql(s, d->m->version), "DELETE of the history row");
    } else {
        rank_note(d);
        say_history_later(d, insert_after_sql(s, d->m), "INSERT of the history row",
                          "then, once it succeeded, with its elapsed time");
    }
    restore_note(d, false);
}

/* One DML statement repeated in short transactions until it changes no row
 * (run_batch.c). */
static int dry_batch(dry *d, const part *p)
{
    strata *s = d->s;
    const migration *m = d->m;
    stmt_list sl = {0};
    int res = split_part(s, p, &sl);
    int32_t n = sl.n;
    stmt_list_free(&sl);
    if (res)
        return res;
    if (n != 1)
        return set_error(s, STRATA_EPARSE, "%s: a strata:batch migration holds exactly one DML "
                         "statement (found %d); move the others to their own migration",
                         m->source, (int)n);
    rank_note(d);
    say_history(d, history_insert_sql(s, m, "dirty", 0, HIST_DURATION_NONE), "INSERT of the dirty history row");
    sbuf b;
    sbuf_init(&b);
    sbuf_printf(&b, "-- batch 1 (each batch is one round trip and its own transaction; repeated "
                    "until a batch changes no row%s; batch N records N and the rows done so far "
                    "in its UPDATE; past ten times the table's estimated rows it stops with an error):",
                m->d.batch_pause_ms > 0 ? ", pausing between batches" : "");
    say_buf(d, &b);
    char *prog = s->conn ? history_update_sql(s, m->version,
                                              "statements_done = %d, error = 'batch interrupted: %lld "
                                              "rows done in %d batches; run `strata up --resume` to "
                                              "continue'", 1, 0LL, 0)
                         : NULL;
    sbuf_init(&b);
    sbuf_printf(&b, "BEGIN;\n%s%s\n;\n", p->settings, p->sql);
    if (prog)
        sbuf_printf(&b, "%s;\n", prog);
    else if (!s->conn)
        sbuf_puts(&b, "-- UPDATE of the history row's progress (not shown: without a connection "
                      "its name cannot be quoted)\n");
    else
        b.oom = true;
    sbuf_puts(&b, "COMMIT;");
    free(prog);
    say_buf(d, &b);
    say_history_later(d, history_update_sql(s, m->version,
                                            "state = 'applied', statements_done = <batches>, "
                                            "failed_statement = NULL, error = NULL, duration_ms = "
                                            "<elapsed ms>, applied_at = now()"),
                      "UPDATE of the history row", "then, after the last batch, with the count and time known only then");
    say_history(d, history_checksum_sql(s, m), "UPDATE of the history row's checksum");
    restore_note(d, false);
    return STRATA_OK;
}

/* ---- one migration ---- */

static const char *mode_name(const strata *s, bool notx, bool batch, bool self, bool revert)
{
    if (batch)
        return "batch";
    if (notx)
        return "no-transaction";
    if (self)
        return "self-managed";
    return !revert && s->single_tx ? "single transaction" : "transaction";
}

static void header(dry *d, const char *source, const char *mode, bool revert)
{
    sbuf b;
    sbuf_init(&b);
    sbuf_printf(&b, "-- ==== %s%lld %s (%s): %s", revert ? "revert " : "", (long long)d->m->version,
                d->m->name ? d->m->name : "", source, mode);
    say_buf(d, &b);
}

/* Single-transaction mode, after the last migration (engine.c record_all):
 * the history rows in multi-row INSERTs, then the COMMIT. */
static void say_insert_many(dry *d, const migration *const *items, size_t n)
{
    strata *s = d->s;
    int64_t *ms = calloc(n + 1, sizeof *ms);
    for (size_t i = 0; ms && i < n; i++)
        ms[i] = ELAPSED_SENTINEL;
    rank_note(d);
    for (size_t at = 0; at < n; at += 1000) { /* engine.c HIST_ROWS_PER_INSERT */
        size_t k = n - at < 1000 ? n - at : 1000;
        char *sql = s->conn && ms ? history_insert_many_sql(s, items + at, ms + at, k) : NULL;
        for (char *p = sql; p && strstr(p, ELAPSED_TEXT);)
            p = sql = placeholder(sql, ELAPSED_TEXT, "<elapsed ms>, current_user");
        if (!ms)
            say(d, NULL);
        else
            say_history(d, sql, "multi-row INSERT of the history rows");
    }
    free(ms);
    say(d, "COMMIT;");
}

static int dry_one(strata *s, const migration *m, bool revert, first_run *fr, int32_t resume_at,
                   bool begin, const migration *const *all, size_t n_all)
{
    directives tmp;
    dry d = {s, m, 0, STRATA_OK, fr};
    part p = {revert ? m->down_sql : m->up_sql, revert && m->down_source ? m->down_source : m->source,
              revert ? m->down_line : m->up_line, NULL};
    int res = STRATA_OK;
    directives_init(&tmp);
    bool notx = revert ? down_directives(m, &tmp)->no_transaction : m->d.no_transaction;
    bool batch = !revert && m->d.batch;
    bool empty = revert && down_is_empty(m, NULL);
    bool self = !notx && !batch && !empty && sql_has_transaction_control(p.sql);
    directives_clear(&tmp);
    if (!empty && (res = parse_check(s, p.sql, p.source, p.line)))
        return res;
    if (s->conn && (res = pooler_detect(s))) /* what a pooled run sends differs */
        return res;
    p.settings = revert ? down_settings_sql(s, m, !notx && !self) : timeout_settings_sql(s, m, !notx && !self);
    if (!p.settings)
        return set_error(s, STRATA_ENOMEM, "out of memory");
    header(&d, p.source, empty ? "empty down" : mode_name(s, notx, batch, self, revert), revert);
    say_create(&d);
    if (begin)
        say(&d, "BEGIN;");
    if (empty) {
        say(&d, "-- the down holds no statement: only its history row is removed (empty downs allowed)");
        say_history(&d, history_delete_sql(s, m->version), "DELETE of the history row");
    } else if (batch) {
        res = dry_batch(&d, &p);
    } else if (notx || resume_at >= 0) {
        res = dry_notx(&d, &p, revert, resume_at);
    } else if (self) {
        dry_self(&d, &p, revert);
    } else {
        dry_tx(&d, &p, revert);
    }
    if (res == STRATA_OK && all)
        say_insert_many(&d, all, n_all);
    free(p.settings);
    return res ? res : d.res;
}

int dry_run_one(strata *s, const migration *m, bool revert)
{
    return dry_one(s, m, revert, NULL, -1, false, NULL, 0);
}

int dry_run_plan(strata *s, const history *h, const migration *resumed, int32_t resume_at,
                 const migration *const *items, size_t n)
{
    first_run fr;
    int res = first_run_facts(s, h, items, n, &fr);
    if (res == STRATA_OK && resumed && resumed->d.batch) {
        dry d = {s, resumed, 0, STRATA_OK, &fr};
        header(&d, resumed->source, "batch", false);
        say(&d, "-- resume of this dirty batch migration: its batches run again from where they "
                "stopped (each batch its own transaction, until a batch changes no row), then "
                "the history row is marked applied");
        res = d.res;
    } else if (res == STRATA_OK && resumed) {
        res = dry_one(s, resumed, false, &fr, resume_at < 0 ? 0 : resume_at, false, NULL, 0);
    }
    for (size_t i = 0; res == STRATA_OK && i < n; i++) {
        bool single = s->single_tx;
        res = dry_one(s, items[i], false, &fr, -1, single && i == 0, single && i + 1 == n ? items : NULL,
                      n);
    }
    return res;
}
