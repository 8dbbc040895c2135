/* Private declarations shared by the files of libstrata. Never installed. */
#ifndef STRATA_INTERNAL_H
#define STRATA_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libpq-fe.h>

#include "strata.h"

#define STRATA_EXPORT STRATA_API

/* ---- growable string (buf.c) ---- */
typedef struct sbuf {
    char *data;
    size_t len, cap;
    bool oom;
} sbuf;

void sbuf_init(sbuf *b);
void sbuf_free(sbuf *b);
void sbuf_add(sbuf *b, const char *s, size_t n);
void sbuf_puts(sbuf *b, const char *s);
void sbuf_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_vprintf(sbuf *b, const char *fmt, va_list ap);
char *sbuf_take(sbuf *b); /* NULL when out of memory; b reset */
/* Appends @s as a JSON string literal (quoted, escaped; NULL gives null). */
void sbuf_json_string(sbuf *b, const char *s);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* ---- directives (directives.c) ---- */
typedef struct directives {
    bool no_transaction;
    int64_t lock_timeout_ms;      /* -1: runner default */
    int64_t statement_timeout_ms; /* -1: runner default */
    int32_t phase;                /* STRATA_PHASE_EXPAND or _CONTRACT */
    bool batch;
    int64_t batch_pause_ms;
    char *allow;                  /* comma list from strata:allow, or NULL */
    int32_t allow_line;
} directives;

/* Parses the leading comment lines of @sql. @first_line is the file line
 * where @sql begins. On error writes "line N: message" into @err. */
int directives_parse(directives *out, const char *sql, int32_t first_line, sbuf *err);
void directives_init(directives *d);  /* defaults; for uninitialised memory */
void directives_clear(directives *d); /* frees, then defaults */
/* Milliseconds; -1 when invalid, -2 when above DURATION_MAX_MS. */
int64_t parse_duration_ms(const char *s, size_t n);
#define DURATION_MAX_MS INT64_C(2147483647) /* PostgreSQL's timeout limit (INT_MAX ms) */

/* ---- migration set (migset.c) ---- */
typedef struct migration {
    int64_t version;
    char *name;
    char *up_sql;
    char *down_sql;          /* NULL: irreversible */
    char *source;            /* path, or "version_name" for memory */
    char *down_source;       /* path of the down part (may equal source) */
    int32_t up_line;         /* file line where up_sql begins */
    int32_t down_line;
    unsigned char checksum[32];
    directives d;            /* the up's leading directives */
    directives down_d;       /* the down's own leading directives (its transaction
                                mode, timeouts): a down is a script like an up */
    bool up_empty;           /* up holds no statement: listed, never applied */
    bool down_empty;         /* down exists but holds no statement */
    char *down_comment;      /* first comment line of an empty down, or NULL */
    bool classified;         /* the three above are set (migration_classify) */
    bool up_checked;         /* engine.c: sql_precheck passed on up_sql (once per set) */
    bool up_self;            /* ... and found BEGIN/COMMIT in it: self-managed */
} migration;

typedef struct migset {
    migration *items;
    size_t n, cap;
} migset;

void migset_clear(migset *m);
/* Takes ownership of *m's strings on success or failure. Sets both
 * directions' directives and the checksum (the empty flags: on first use). */
int migration_finish(migration *m, sbuf *err);
/* Versions are 0 .. VERSION_MAX (INT64_MAX is STRATA_LATEST); else an
 * error "label: version V is ..." in @err, STRATA_EINVAL. */
#define VERSION_MAX (INT64_MAX - 1)
int version_check(int64_t version, const char *label, sbuf *err);
void migration_clear(migration *m);
/* Sets up_empty, down_empty and down_comment on first use: a libpg_query
 * scan of each part, which loading 500 files need not pay for a no-op run.
 * Read the three fields only after it (migration_up_empty). */
void migration_classify(const migration *m);
bool migration_up_empty(const migration *m);
const migration *migset_find(const migset *set, int64_t version);
/* Whether @m's down SQL asks to run outside a transaction (its own
 * leading directives decide, not the up's). */
bool migration_down_no_transaction(const migration *m);
/* Moves every item of @add into @set (sorted); refuses duplicates. */
int migset_merge(migset *set, migset *add, sbuf *err);

/* ---- directory source (source_dir.c) ---- */
/* @skipped (may be NULL) gets the path of each entry that is not a
 * migration (README.md, seeds/), once, after a successful read. */
int source_read_dir(migset *out, const char *path, void (*skipped)(void *arg, const char *path),
                    void *arg, sbuf *err);
int source_read_file(migset *out, const char *path, sbuf *err);
bool utf8_valid(const char *s, size_t n);

/* ---- checksum (checksum.c) ---- */
int checksum_sql(unsigned char out[32], const char *sql);

/* ---- splitting (split.c) ---- */
typedef struct stmt_span {
    int32_t offset; /* byte offset of the statement's first token */
    int32_t len;
} stmt_span;

typedef struct stmt_list {
    stmt_span *items;
    int32_t n;
    bool scanner_fallback;
} stmt_list;

/* Splits @sql into statements; empty statements dropped. */
int split_sql(stmt_list *out, const char *sql, sbuf *err, int32_t *err_offset);
void stmt_list_free(stmt_list *l);
/* True when @sql holds a top-level BEGIN/COMMIT/ROLLBACK statement. */
bool sql_has_transaction_control(const char *sql);
/* For CREATE INDEX CONCURRENTLY: the table's schema (NULL when not written)
 * and name, unquoted, and the index name when given. Caller frees all. */
bool parse_index_concurrently(const char *stmt, char **schema, char **relname, char **idxname);

/* ---- the handle (handle.c) ---- */
struct strata {
    PGconn *conn;
    PGcancel *cancel;         /* for strata_cancel (a signal handler); NULL if none */
    bool owns_conn;
    char *conninfo;           /* for the watcher connection; NULL if none */
    char **secrets;           /* every form of the password, masked in messages (secret.c) */
    size_t n_secrets;
    char errmsg[4096];
    migset set;

    /* options */
    char *hist_schema;        /* NULL: current schema */
    char *run_schema;         /* the history's schema, resolved once per handle (history_resolve) */
    char *hist_table;
    int64_t lock_wait_ms;
    int64_t lock_timeout_ms;
    int64_t statement_timeout_ms;
    int32_t retries;
    int64_t retry_backoff_ms;
    int64_t retry_backoff_max_ms; /* 0: no cap */
    int64_t retry_budget_ms;      /* 0: no limit but the count */
    uint64_t rng;                 /* retry jitter (retry.c) */
    int32_t phase;
    bool out_of_order, strict, dry_run, single_tx, resume;
    int64_t watch_ms;
    int32_t lint_level;       /* -1: off */
    int32_t pg_version;
    bool lint_all;
    bool allow_empty_down;
    bool observe;             /* run transactional migrations observed (observe.c) */
    bool ignore_other_history; /* apply despite another tool's history (adopt.c) */

    strata_event_fn event_fn;
    void *event_payload;

    PQnoticeReceiver prev_notice;   /* borrowed: the receiver to put back (conn.c) */
    void *prev_notice_arg;
    bool notice_swapped;            /* strata's receiver is on the borrowed connection */
    PQnoticeReceiver libpq_notice;  /* libpq's default receiver (its argument is unused) */
    PQnoticeReceiver app_notice;    /* named by strata_set_conn_notice_receiver */
    void *app_notice_arg;
    int64_t cur_version;      /* for NOTICE events */
    int64_t next_rank;        /* under the lock: next applied_rank, 0 = unknown */
    PGconn *watch_conn;       /* second connection of the blocker watch */
    int32_t last_blocker_pid; /* seen by the watch during the last statement */
    char last_blocker[256];
    bool watch_failed;
    bool pool_checked;        /* pooler.c: looked for a transaction pooler */
    bool pooled;              /* ... and found one: no session lock, per-transaction locks */
    int64_t pool_key;         /* the lock key taken in each migration's transaction */
    int32_t testdb_spares;    /* testdb_pool.c: spare clones kept per template */
    struct testdb_pool *testdb_pool; /* ... and the connection making the next one; NULL none */
};

int set_error(strata *s, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int set_error_buf(strata *s, int code, sbuf *b);
void clear_error(strata *s);
/* An event about @m (NULL: none), its not-applicable fields set to -1. */
strata_event event_of(int32_t type, const migration *m, const char *msg);
void emit(strata *s, int32_t type, const migration *m, const char *msg);
void emit_ev(strata *s, strata_event *ev);

/* ---- postgres driver (pg.c) ---- */
typedef struct pgres_list {
    PGresult **items;
    int n;
    int err_index;            /* index of the failing result, -1 none */
} pgres_list;

/* Sends @sql (one or more statements) and collects every result. *out is
 * always set, also on failure; the caller clears it. */
int pg_exec(strata *s, const char *sql, pgres_list *out);
/* pg_exec with the result slots of @l reserved beforehand (pgres_list_reserve),
 * for a query that must not fail to allocate once something ran before it. */
#define PGRES_RESERVED 16
int pgres_list_reserve(pgres_list *l);
int pg_exec_reserved(strata *s, const char *sql, pgres_list *out, pgres_list l);
void pgres_list_clear(pgres_list *l);
PGresult *pgres_err(const pgres_list *l);
/* Runs a query expecting success; on failure sets the handle error. */
int pg_simple(strata *s, const char *sql, PGresult **out_res);
bool pg_sqlstate_is(const PGresult *r, const char *state);
/* pg_simple that leaves the handle's error message as it was. */
int pg_simple_quiet(strata *s, const char *sql, PGresult **out_res);
/* Ends an open or failed transaction, if any (quietly). */
void pg_rollback(strata *s);
/* Byte offset in @sent of the server's error position, or -1. */
long pg_error_offset(const PGresult *r, const char *sent);
/* "label[:line:col]: message [SQLSTATE]" + DETAIL/HINT; @offset is a byte
 * offset into @text (which starts at file line @first_line), or -1. */
void pg_describe_error(sbuf *b, const PGresult *r, const char *label, const char *text,
                       int32_t first_line, long offset);
void pg_connection_message(sbuf *b, PGconn *c);
char *pg_literal(strata *s, const char *v);
char *pg_ident(strata *s, const char *v);
void sleep_ms(int64_t ms);
int64_t now_ms(void);
int pg_need_db(strata *s);
/* A new connection with every parameter of @s's connection, to @dbname when
 * not NULL (the watcher's second connection, test-database clones). */
PGconn *pg_connect_like(strata *s, const char *dbname);

/* ---- blocker watch (watch.c) ---- */
void watch_report(strata *s, int64_t waited_ms);
void watch_close(strata *s);

/* ---- history (history.c) ---- */
typedef struct hist_row {
    int64_t version;
    char *name;
    int64_t rank;
    unsigned char checksum[32];
    int32_t checksum_algo;
    char *phase;
    bool dirty;
    char *applied_at;
    int64_t duration_ms;
    int32_t statements_done;
    int32_t failed_statement;
    char *error;
} hist_row;

typedef struct history {
    hist_row *rows;   /* ordered by version */
    size_t n;
    bool exists;
} history;

/* Pins the history's schema on the handle (once): the named one, else the
 * schema of the table the search_path finds, else current_schema(). */
int history_resolve(strata *s);
char *history_qualified(strata *s);  /* quoted schema.table */
int history_read(strata *s, history *out);
void history_clear(history *h);
const hist_row *history_find(const history *h, int64_t version);
int history_create(strata *s);
/* Duration to record: HIST_DURATION_IN_STATEMENT when the INSERT travels
 * in the migration's own query (the server measures it), HIST_DURATION_NONE
 * for rows nothing ran for (baseline, force), else milliseconds. */
#define HIST_DURATION_IN_STATEMENT (-1)
#define HIST_DURATION_NONE (-2)
/* SQL inserting the row for @m (no trailing ';'); statements_done -1 = NULL. */
char *history_insert_sql(strata *s, const migration *m, const char *state,
                         int32_t statements_done, int64_t duration_ms);
/* One INSERT of the rows of @items ('applied', @ms[i] milliseconds each):
 * the single-transaction mode records its migrations with it at the end. */
char *history_insert_many_sql(strata *s, const migration *const *items, const int64_t *ms,
                              size_t n);
/* "UPDATE <history> SET <printf(fmt)> WHERE version = @version". */
char *history_update_sql(strata *s, int64_t version, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "DELETE FROM <history> WHERE version = @version". */
char *history_delete_sql(strata *s, int64_t version);
/* UPDATE recording @m's current checksum (accept). */
char *history_checksum_sql(strata *s, const migration *m);

/* ---- lock (lock.c) ---- */
int lock_acquire(strata *s, int64_t *key_out);
/* For force/accept/baseline: no migration runs, nothing to refuse. */
int lock_acquire_admin(strata *s, int64_t *key_out);
void lock_release(strata *s, int64_t key);

/* ---- settings guard (settings.c) ---- */
typedef struct settings_snap {
    char *restore_sql;  /* statement restoring the snapshot */
} settings_snap;

int settings_snapshot(strata *s, settings_snap *out);
/* Puts the snapshot back (quietly); after every migration, also failed ones. */
void settings_restore(strata *s, const settings_snap *sn);
void settings_free(settings_snap *sn);

/* ---- lint (lint/) ---- */
/* Lints the migrations of @s whose index has want[i] set; the others are
 * read silently for context (tables, column types, validated checks). */
int lint_run(strata *s, const bool *want, strata_lint_report **out);
/* The finding text of a report, one per line (for STRATA_ELINT messages). */
void lint_report_text(sbuf *b, const strata_lint_report *r, int32_t min_severity);

/* ---- engine (engine.c, run_notx.c, batch.c) ---- */
typedef struct run_ctx {
    strata *s;
    history hist;
    settings_snap snap;
    int64_t lock_key;
    bool locked;
    int64_t retry_started_ms; /* retry.c: first lock_timeout of the current try */
    int retry_attempts;
    bool skipped; /* run_tx.c: the migration was found applied meanwhile (pooler) */
} run_ctx;

int run_migration_tx(run_ctx *rc, const migration *m);
int run_migration_notx(run_ctx *rc, const migration *m, int32_t start_stmt);
int run_migration_batch(run_ctx *rc, const migration *m);
int run_migration_self(run_ctx *rc, const migration *m);
char *timeout_settings_sql(strata *s, const migration *m, bool local);
long map_error_offset(const pgres_list *l, const char *sent, size_t user_start,
                      const char *user, int prefix_stmts);
void describe_failure(sbuf *b, const pgres_list *l, const migration *m, const char *sent,
                      size_t user_start, const char *user, int32_t first_line, int prefix_stmts);
bool retry_wait(run_ctx *rc, const migration *m, int attempt, const PGresult *e);
/* engine.c, shared with revert.c */
int start_run(run_ctx *rc, bool create);
void end_run(run_ctx *rc);
int dry_run_one(strata *s, const migration *m, bool revert);
int check_conn_idle(strata *s);
void lock_failure_suffix(run_ctx *rc, sbuf *b, const PGresult *e);
/* engine.c, for redo: the plan check of @items, before anything runs; and
 * applying exactly @items (version order) under the lock @rc holds. */
int check_migrations(strata *s, const migration **items, size_t n);
int apply_exact(run_ctx *rc, const migration **items, size_t n);

#endif
