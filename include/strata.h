/*
 * strata.h - embeddable schema migrations for PostgreSQL.
 *
 * This header is the API reference. Conventions, true for every function
 * unless its comment says otherwise:
 *
 *  - Functions return STRATA_OK (0) or a negative STRATA_E* code. The text
 *    of the last failure is available from strata_errmsg().
 *  - Output parameters are named `out` and are written only on success.
 *    strata_open/strata_open_conn take it first; calls on a handle take the
 *    handle first and `out` last (doc/design.md, section 7).
 *  - Strings passed in are copied; the caller keeps ownership. Strings
 *    returned are borrowed from the object they come from and stay valid
 *    until that object is freed (or, for strata_errmsg, until the next call
 *    on the handle).
 *  - Every object the library allocates has its own _free/_close function,
 *    and each of those accepts NULL.
 *  - A handle is used by one thread at a time. The library holds no global
 *    mutable state, never calls exit() and never prints.
 *  - Public structs use fixed-width types only, so FFI layers (ctypes, cffi,
 *    Rust, Go) can bind them directly.
 */
#ifndef STRATA_H
#define STRATA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define STRATA_API
#elif defined(__GNUC__)
#define STRATA_API __attribute__((visibility("default")))
#else
#define STRATA_API
#endif

#define STRATA_VERSION_MAJOR 0
#define STRATA_VERSION_MINOR 3
#define STRATA_VERSION_PATCH 0
#define STRATA_VERSION_STRING "0.3.0"

/** Target version meaning "every migration". */
#define STRATA_LATEST INT64_MAX
/** Revert target meaning "before every migration": strata_revert() with it
 *  reverts everything, version 0 included (versions are >= 0). */
#define STRATA_BEFORE_FIRST INT64_C(-1)

/** Error codes. Stable: values never change meaning. */
enum strata_error {
    STRATA_OK = 0,
    STRATA_ERROR = -1,           /* unclassified failure */
    STRATA_ENOMEM = -2,          /* out of memory */
    STRATA_EINVAL = -3,          /* invalid argument (NULL handle, bad option) */
    STRATA_ECONNECT = -4,        /* could not connect, or connection lost */
    STRATA_ESQL = -5,            /* a migration or history statement failed */
    STRATA_EIO = -6,             /* a file or directory could not be read */
    STRATA_EPARSE = -7,          /* malformed migration source or directive */
    STRATA_EDUPLICATE = -8,      /* two migrations share a version */
    STRATA_ELOCKED = -9,         /* another migrator held the lock too long */
    STRATA_ECHECKSUM = -10,      /* an applied migration was edited */
    STRATA_EORDER = -11,         /* pending migration older than applied ones */
    STRATA_EUNKNOWN = -12,       /* strict mode: applied versions unknown here */
    STRATA_EDIRTY = -13,         /* a no-transaction migration did not finish */
    STRATA_EIRREVERSIBLE = -14,  /* revert needs down SQL that is missing */
    STRATA_ENODB = -15,          /* the handle was opened without a database */
    STRATA_ELINT = -16,          /* lint enforcement refused to apply */
    STRATA_ENOTFOUND = -17,      /* no such version */
    STRATA_ENOTEMPTY = -18,      /* a scratch database is not empty */
    STRATA_EOTHERHISTORY = -19   /* another tool's history is here: adopt first */
};

typedef struct strata strata;

/**
 * strata_version - the library's version as "MAJOR.MINOR.PATCH".
 * Returns a static string.
 */
STRATA_API const char *strata_version(void);

/**
 * strata_open - create a handle and connect.
 * @out: receives the handle. It is set even when connecting fails, so that
 *       strata_errmsg() can explain why; the caller always strata_close()s it.
 *       It is left untouched only on STRATA_ENOMEM / STRATA_EINVAL.
 * @conninfo: libpq connection string or URI; "" uses libpq's PG* environment;
 *       NULL opens a handle with no database (lint, embed, offline listing).
 * Errors: STRATA_ECONNECT, STRATA_ENOMEM, STRATA_EINVAL (out is NULL).
 * Passwords never appear in the handle's error messages.
 */
STRATA_API int strata_open(strata **out, const char *conninfo);

struct pg_conn;
/**
 * strata_open_conn - create a handle over the application's connection.
 * @conn: a libpq PGconn*, borrowed: not closed by strata_close(). It must be
 *        idle (no open transaction). strata leaves it as it was given: no
 *        transaction left open, settings restored, notice receiver restored,
 *        advisory lock released. Every call that talks to the database
 *        refuses a connection that is not idle (STRATA_EINVAL) rather than
 *        run in, or commit, the application's transaction. After every
 *        migration the session is put back: role and session authorization,
 *        search_path and every setting made with SET (see
 *        strata_set_conn_notice_receiver for notices).
 * Errors: STRATA_EINVAL (NULL conn or out), STRATA_ECONNECT (bad status).
 * As with strata_open, *out is set when the failure is STRATA_ECONNECT.
 */
STRATA_API int strata_open_conn(strata **out, struct pg_conn *conn);

struct pg_result;
/** A libpq notice receiver (the type of PQnoticeReceiver). */
typedef void (*strata_notice_receiver)(void *arg, const struct pg_result *res);
/**
 * strata_set_conn_notice_receiver - name the notice receiver the application
 * installed on the borrowed connection of @s, with its argument.
 * libpq cannot report a receiver's argument back, so strata only swaps a
 * receiver it can put back exactly: libpq's own, or the one named here.
 * During each call that runs SQL under the migration lock (apply, revert,
 * force, accept, baseline) strata's receiver turns the migrations' notices
 * into STRATA_EVENT_NOTICE events; after the call (fn, arg) is back on the
 * connection, so between calls every notice reaches the application. With
 * another receiver on the connection than the one named (or none named),
 * strata leaves it alone: the application receives the migrations' notices
 * and no NOTICE events are emitted.
 * @fn: the receiver (NULL: forget a previous one); @arg: its argument,
 *      borrowed, never dereferenced by strata.
 * Errors: STRATA_EINVAL (NULL @s, or @s does not borrow its connection).
 */
STRATA_API int strata_set_conn_notice_receiver(strata *s, strata_notice_receiver fn, void *arg);

/** strata_close - free the handle and close an owned connection. NULL: no-op. */
STRATA_API void strata_close(strata *s);

/**
 * strata_errmsg - the message of the last failure on @s ("" when none).
 * Owned by @s; valid until the next call on @s. NULL @s gives a static text.
 */
STRATA_API const char *strata_errmsg(const strata *s);

/** strata_strerror - static description of an error code. */
STRATA_API const char *strata_strerror(int code);

/** strata_free - free memory the library returned to the caller (strings of
 *  the render calls, the URI of strata_testdb_create). NULL is a no-op. */
STRATA_API void strata_free(void *p);

/* ------------------------------------------------------------------ */
/* Migration set                                                       */

/** One migration as held in memory; what strata-embed generates. */
typedef struct strata_migration_def {
    int64_t version;        /* >= 0, unique within the set */
    const char *name;       /* display name; may be NULL or "" */
    const char *up_sql;     /* required; directives in its leading comments */
    const char *down_sql;   /* NULL: no down (irreversible) */
} strata_migration_def;

/**
 * strata_add_migrations - add migrations from memory.
 * @defs: array of @n definitions; the strings are copied.
 * Versions run from 0 to INT64_MAX - 1 (INT64_MAX is STRATA_LATEST). The
 * leading directives of each up_sql and of each down_sql (a down keeps its
 * own transaction mode and timeouts) are parsed here. An up or down that
 * holds no statement (only comments, white space, `;`) is accepted: the
 * runner refuses to apply such an up, and treats such a down as empty, not
 * missing. Nothing is added when any definition is rejected; @n 0 adds
 * nothing (@defs may then be NULL).
 * Errors: STRATA_EINVAL (version < 0 or > INT64_MAX - 1, NULL up_sql),
 * STRATA_EPARSE (bad directive, a duration above PostgreSQL's limit of
 * 2147483647 ms, invalid UTF-8), STRATA_EDUPLICATE.
 */
STRATA_API int strata_add_migrations(strata *s, const strata_migration_def *defs, size_t n);

/**
 * strata_add_dir - read a migration directory (sqlx / golang-migrate pairs
 * and simple files, dbmate and goose markers, diesel directories).
 * An entry whose name begins with a digit is a migration or an error naming
 * its path (bad name, not `.sql`, version out of range, not a regular file,
 * a name that is not UTF-8); nothing is added when any entry is rejected.
 * Any other entry (README.md, seeds/) is skipped and reported once by a
 * STRATA_EVENT_SKIPPED_FILE event naming its path; dotfiles are skipped
 * silently.
 * Errors: STRATA_EIO (missing or unreadable directory or file, FIFO or
 * device), STRATA_EPARSE, STRATA_EDUPLICATE.
 */
STRATA_API int strata_add_dir(strata *s, const char *path);

/**
 * strata_add_file - read one migration file (as it would be read inside a
 * directory), at @path as given. For a pair, either half names the
 * migration: the other half beside it is read too (a lone `.down.sql` is
 * STRATA_EPARSE). Used by `strata lint FILE`. Errors as strata_add_dir.
 */
STRATA_API int strata_add_file(strata *s, const char *path);

/** strata_migration_count - number of migrations registered on @s (0 for NULL). */
STRATA_API size_t strata_migration_count(const strata *s);

/**
 * strata_migration_get - the migration at @index (in version order).
 * @out: filled with borrowed strings owned by @s (valid until the next
 *       add call or strata_close).
 * Errors: STRATA_EINVAL, STRATA_ENOTFOUND (index out of range).
 */
STRATA_API int strata_migration_get(const strata *s, size_t index, strata_migration_def *out);

/**
 * strata_migration_source - the file the migration at @index was read from
 * ("version_name" for migrations added from memory). Borrowed from @s;
 * NULL when @index is out of range.
 */
STRATA_API const char *strata_migration_source(const strata *s, size_t index);

/* ------------------------------------------------------------------ */
/* Options                                                             */
/* Each setter returns STRATA_OK, or STRATA_EINVAL for a NULL handle or a */
/* value out of range (negative durations, unknown phase); options apply  */
/* to the following calls on the handle.                                  */
/* The lock wait, lock_timeout and statement_timeout are sent to the      */
/* server as timeouts: 0 to 2147483647 ms, PostgreSQL's limit (about 24.8 */
/* days); a larger one is STRATA_EINVAL, strata_errmsg naming the setter  */
/* and the limit, and the option is left as it was. Other durations       */
/* saturate.                                                              */

enum strata_phase {
    STRATA_PHASE_ALL = 0,
    STRATA_PHASE_EXPAND = 1,
    STRATA_PHASE_CONTRACT = 2
};

/**
 * strata_set_history_table - "table" or "schema.table" (default
 * "strata_history" in the connection's current schema). Identifiers are
 * quoted by the library. Errors: STRATA_EINVAL (empty, too many dots).
 */
STRATA_API int strata_set_history_table(strata *s, const char *name);
/** How long to wait for another migrator's lock, ms (default 60000). */
STRATA_API int strata_set_lock_wait_ms(strata *s, int64_t ms);
/** lock_timeout for migration statements, ms (default 750; 0 = off). While a
 *  statement waits for a lock, every writer of that table queues behind it:
 *  the wait is kept short and retried (see strata_set_retry_budget_ms). */
STRATA_API int strata_set_lock_timeout_ms(strata *s, int64_t ms);
/** statement_timeout for migration statements, ms (default 0 = off). */
STRATA_API int strata_set_statement_timeout_ms(strata *s, int64_t ms);
/** Most retries after lock_not_available (55P03); default INT32_MAX (the
 *  time budget decides); 0 = none. A transactional migration is retried
 *  whole, a no-transaction one from the failed statement. */
STRATA_API int strata_set_retries(strata *s, int32_t retries);
/** First retry backoff, ms (default 250), doubled each retry up to the
 *  maximum below; each wait is drawn at random from its upper half (jitter,
 *  so racing migrators don't retry in lockstep). */
STRATA_API int strata_set_retry_backoff_ms(strata *s, int64_t ms);
/** Largest backoff between retries, ms (default 5000; 0 = no cap). */
STRATA_API int strata_set_retry_backoff_max_ms(strata *s, int64_t ms);
/** Total time a migration (or a no-transaction statement) may spend in
 *  lock_timeout waits and backoff before its retries stop, ms (default 60000;
 *  0 = only strata_set_retries limits them). With the defaults a reader that
 *  holds the table for up to about a minute delays the deploy, while no
 *  writer waits longer than one lock_timeout (tests/bench/live-load.sh). */
STRATA_API int strata_set_retry_budget_ms(strata *s, int64_t ms);
/** Apply phase: STRATA_PHASE_ALL (default), _EXPAND or _CONTRACT. */
STRATA_API int strata_set_phase(strata *s, int32_t phase);
/** Nonzero: apply pending migrations older than the newest applied one. */
STRATA_API int strata_set_allow_out_of_order(strata *s, int32_t allow);
/** Nonzero: applied versions unknown to this program are an error. */
STRATA_API int strata_set_strict(strata *s, int32_t strict);
/** Nonzero: report statements as STRATA_EVENT_DRY_RUN events, run nothing.
 *  Per migration: a header naming its file and mode (transaction,
 *  no-transaction, self-managed, batch, single transaction; empty down), then
 *  each round trip as the runner sends it, history statements where they run;
 *  what only the run knows is said in a `--` comment. SQL the parser cannot
 *  read fails the dry run: STRATA_EPARSE, "file:line:col: message".
 *  A first run says, after the first migration's header, that the history
 *  table is created there; a history table without the done_hashes column
 *  gets its ALTER TABLE shown before the first no-transaction migration.
 *  Single-transaction mode: BEGIN; before the first migration, after the
 *  last the multi-row history INSERT (durations as <elapsed ms>) and COMMIT;.
 *  A dirty migration in the history refuses the dry run as it refuses the
 *  run (STRATA_EDIRTY, the same message); with strata_set_resume, the dry
 *  run shows the resume first: a `--` comment naming the version and the
 *  statement it resumes from, then the remaining statements and the final
 *  UPDATE. */
STRATA_API int strata_set_dry_run(strata *s, int32_t dry_run);
/** Nonzero: the whole run in one transaction (refuses no-transaction ones). */
STRATA_API int strata_set_single_transaction(strata *s, int32_t single);
/** Nonzero: apply continues a dirty migration from its failed statement. */
STRATA_API int strata_set_resume(strata *s, int32_t resume);
/** Interval of the blocker watch while a statement runs, ms (default 1000; 0 = off). */
STRATA_API int strata_set_watch_interval_ms(strata *s, int64_t ms);
/** Lint enforcement for strata_apply: pending migrations with a finding of
 *  this severity or above are refused (STRATA_ELINT); -1 = off (default). */
STRATA_API int strata_set_lint_level(strata *s, int32_t min_severity);
/** PostgreSQL major version the linter targets when there is no connection
 *  (default 15; with a connection the server's version is used). */
STRATA_API int strata_set_pg_version(strata *s, int32_t major);
/** Nonzero: strata_lint checks every migration even when connected (by
 *  default a connected handle lints only the pending ones). */
STRATA_API int strata_set_lint_all(strata *s, int32_t all);
/**
 * strata_set_observe - nonzero: strata_apply runs each transactional
 * migration statement by statement (still one transaction, still recorded
 * with it) and reports what each statement really did, read from the
 * migration's own backend. It really applies the migrations: meant for a
 * staging copy of production data. After each statement a
 * STRATA_EVENT_OBSERVED event carries: statement = its 1-based index,
 * duration_ms, rows = rows affected (-1 when the command reports none), and
 * message = a JSON object
 *   {"line": N, "locks": [{"relation": R, "mode": M}, ...], "rewrote": [R, ...]}
 * where locks are the relation locks the statement took that were not held
 * before (mode as pg_locks.mode names it, e.g. "AccessExclusiveLock") and
 * rewrote the relations (tables, indexes, materialized views) whose
 * relfilenode changed. At COMMIT one more event with statement = 0 carries
 *   {"held": [{"relation": R, "mode": M, "ms": N}, ...]}
 * the time each lock was held until the commit released it.
 * No-transaction migrations (and resumed ones) run as usual, each statement
 * committing on its own: while it runs a second connection (opened like
 * the handle's, on a short-lived thread that is joined before the call
 * returns) samples pg_locks for the migration's backend every 5 ms, and a
 * statement sent with its progress update also reads its own locks inside
 * that implicit transaction. Its event adds "waited" (the locks it was
 * seen waiting for) and "samples" (how many samples were taken while it
 * ran); "rewrote" is read after it committed. The statement-0 event
 * at the end gives for "ms" the longest span the samples saw each lock held
 * (a lower bound). A statement's event is sent once it succeeded; the dirty
 * row and its progress are recorded exactly as without observe.
 * Batch migrations: one event per batch run, statement = the batch number,
 * rows = the batch's rows, the final 0-row run that ends the batch
 * included; the message adds "batch": N, its locks are read inside the
 * batch's transaction ("rewrote" is always empty: DML rewrites nothing);
 * "ms" of the statement-0 event is the longest batch that held each lock.
 * Each migration is linted just before it runs; a statement whose run
 * contradicts lint adds "lint": [{"rule": R, "said": S, "observed": O}]:
 * the lock mode R names was "not taken", a "rewrite" it names did not
 * happen, or (rule null) a rewrite lint did not report. A lint failure is a
 * STRATA_EVENT_WARNING, and the run goes on uncompared.
 * Migrations with their own BEGIN/COMMIT and a single-transaction run are
 * not observed: they run as usual, with a STRATA_EVENT_WARNING.
 * Errors: a no-transaction migration fails with STRATA_ECONNECT before any
 * of it runs when the second connection cannot be opened.
 * Cost: one extra round trip per statement (pg_locks and pg_class); for
 * no-transaction statements the sampling connection's queries; a lint
 * pass per migration.
 */
STRATA_API int strata_set_observe(strata *s, int32_t observe);
/** Nonzero: a revert runs downs that hold no statement (only comments or
 *  nothing) as no-ops: the history row is removed, a STRATA_EVENT_WARNING is
 *  sent for each. Zero (default): such a revert is refused with
 *  STRATA_EIRREVERSIBLE naming each migration and quoting its comment. */
STRATA_API int strata_set_allow_empty_down(strata *s, int32_t allow);

/* ------------------------------------------------------------------ */
/* Events                                                              */

enum strata_event_type {
    STRATA_EVENT_MIGRATION_START = 1,  /* version, name; statement = the 1-based
                                          statement it starts at when it runs
                                          without a transaction (no-transaction or
                                          batch: 1; a resumed one: the first not
                                          done), 0 when inside a transaction */
    STRATA_EVENT_MIGRATION_DONE = 2,   /* version, name, duration_ms */
    STRATA_EVENT_STATEMENT_DONE = 3,   /* no-transaction: statement, duration_ms */
    STRATA_EVENT_RETRY = 4,            /* lock_not_available: attempt, message */
    STRATA_EVENT_NOTICE = 5,           /* server NOTICE/WARNING text */
    STRATA_EVENT_UNKNOWN_VERSION = 6,  /* applied in the db, unknown here */
    STRATA_EVENT_LOCK_WAIT = 7,        /* waiting for the migrator lock; pid = holder
                                          (0: not known), duration_ms = time waited so
                                          far; repeated about once a second while the
                                          wait lasts (the first at once) */
    STRATA_EVENT_BLOCKED = 8,          /* pid blocks us; message = its query */
    STRATA_EVENT_BATCH_PROGRESS = 9,   /* rows so far, statement = batch number */
    STRATA_EVENT_SELF_MANAGED = 10,    /* migration runs its own BEGIN/COMMIT */
    STRATA_EVENT_WARNING = 11,         /* e.g. split fallback to the scanner */
    STRATA_EVENT_DRY_RUN = 12,         /* message = statement or boundary text;
                                          statement = 0 for each migration's header
                                          "-- ==== [revert ]V NAME (FILE): MODE", then
                                          1, 2, ... (strata_set_dry_run) */
    STRATA_EVENT_REVERT_START = 13,    /* version, name; statement = 1 when the
                                          down runs without a transaction, else 0 */
    STRATA_EVENT_REVERT_DONE = 14,
    STRATA_EVENT_SKIPPED_PHASE = 15,   /* contract migration left for later */
    STRATA_EVENT_SKIPPED_FILE = 16,    /* directory entry that is not a migration;
                                          message = its path (once per entry) */
    STRATA_EVENT_OBSERVED = 17         /* observe mode (strata_set_observe) */
};

/** An event; valid only during the callback. Strings may be NULL. */
typedef struct strata_event {
    int32_t type;          /* enum strata_event_type */
    int32_t statement;     /* 1-based statement index, batch number, attempt */
    int64_t version;       /* 0 when not about one migration */
    const char *name;      /* migration name */
    const char *message;   /* human-readable detail */
    int64_t duration_ms;   /* -1 when not applicable */
    int64_t rows;          /* rows so far (batch), -1 otherwise */
    int32_t pid;           /* blocking / lock-holding backend, 0 otherwise */
    int32_t reserved;
} strata_event;

typedef void (*strata_event_fn)(const strata_event *ev, void *payload);

/**
 * strata_set_event_callback - receive events on @fn, called synchronously
 * on the calling thread during strata_apply/revert with @payload last; the
 * event and its strings are valid only during the call. NULL @fn stops them.
 */
STRATA_API void strata_set_event_callback(strata *s, strata_event_fn fn, void *payload);

/* ------------------------------------------------------------------ */
/* Running                                                             */

/**
 * strata_cancel - ask the server to cancel the statement running on @s's
 * connection (PQcancel), e.g. on Ctrl-C. Async-signal-safe: it may be
 * called from a signal handler while strata_apply/revert runs on the same
 * handle. The running call then fails as for any cancelled statement: a
 * transaction is rolled back; a no-transaction migration is left dirty at
 * that statement (an index built CONCURRENTLY stays INVALID until resumed).
 * Nothing is cancelled when no statement is running.
 * Errors: STRATA_EINVAL (NULL, no database connection), STRATA_ECONNECT
 * (the cancel request could not be sent).
 */
STRATA_API int strata_cancel(strata *s);

/**
 * strata_apply - apply pending migrations with version <= @target
 * (STRATA_LATEST for all), one transaction each, under the advisory lock.
 * A run with nothing pending reads the history once and takes no lock.
 * Through a transaction pooler (e.g. PgBouncer pool_mode=transaction,
 * detected by the server backend not being the connection's own) no session
 * lock can hold: each migration takes a transaction-level lock in its own
 * transaction and skips itself when another migrator applied it meanwhile;
 * a pending no-transaction, batch or self-managed migration is refused with
 * STRATA_EINVAL (connect directly to PostgreSQL to apply it).
 * Errors: STRATA_ENODB, STRATA_ECONNECT, STRATA_ESQL (message
 * "file:line:col: message [SQLSTATE]"), STRATA_ECHECKSUM, STRATA_EORDER,
 * STRATA_EUNKNOWN, STRATA_EDIRTY, STRATA_ELOCKED, STRATA_ELINT.
 * STRATA_EOTHERHISTORY when strata's history is empty and another tool's
 * history table is present (strata_set_ignore_other_history).
 * Before anything runs, every pending migration is checked: COPY FROM STDIN
 * / TO STDOUT, unbalanced BEGIN/COMMIT/ROLLBACK and an up with no statement
 * are STRATA_EPARSE naming file:line; in single-transaction mode a batch,
 * no-transaction or self-managed migration is STRATA_EINVAL (each named).
 * A @target that no migration has is STRATA_ENOTFOUND.
 */
STRATA_API int strata_apply(strata *s, int64_t target);

/**
 * strata_revert - revert applied migrations with version > @target, in
 * reverse order of application. Every one is checked for down SQL first.
 * @target: a version (kept applied), or STRATA_BEFORE_FIRST for everything;
 * below that is STRATA_EINVAL. A down runs with its own directives.
 * Errors: as strata_apply, plus STRATA_EIRREVERSIBLE (also for downs that
 * hold no statement, unless strata_set_allow_empty_down).
 */
STRATA_API int strata_revert(strata *s, int64_t target);

/** strata_revert_steps - revert the @n most recently applied migrations. */
STRATA_API int strata_revert_steps(strata *s, int32_t n);

/**
 * strata_redo - revert the @n most recently applied migrations, then apply
 * exactly those versions again (in version order), under one lock.
 * @out: when not NULL, receives the version reverted first (the most
 *       recently applied one); set only on success.
 * Errors: as strata_revert; STRATA_ENOTFOUND when nothing is applied.
 */
STRATA_API int strata_redo(strata *s, int32_t n, int64_t *out);

/**
 * strata_force - resolve a row by hand: @applied nonzero marks @version
 * applied (recording the current checksum), zero removes its row (pending).
 * Errors: STRATA_ENOTFOUND (applied: version unknown here), STRATA_ENODB.
 */
STRATA_API int strata_force(strata *s, int64_t version, int32_t applied);

/**
 * strata_accept - record the current checksum of an applied migration
 * that was edited. Errors: STRATA_ENOTFOUND (not applied or unknown).
 */
STRATA_API int strata_accept(strata *s, int64_t version);

/**
 * strata_baseline - mark every known migration up to @version applied
 * without running it. Errors: STRATA_ENOTFOUND (version unknown).
 */
STRATA_API int strata_baseline(strata *s, int64_t version);

/* ------------------------------------------------------------------ */
/* Status                                                              */

enum strata_state {
    STRATA_STATE_PENDING = 0,
    STRATA_STATE_APPLIED = 1,
    STRATA_STATE_MODIFIED = 2,      /* applied, checksum differs */
    STRATA_STATE_UNKNOWN = 3,       /* in the database, not in the program */
    STRATA_STATE_DIRTY = 4,
    STRATA_STATE_OUT_OF_ORDER = 5   /* pending, older than the newest applied */
};

typedef struct strata_status_list strata_status_list;

typedef struct strata_status_row {
    int64_t version;
    const char *name;
    const char *phase;        /* "expand" or "contract" */
    int32_t state;            /* enum strata_state */
    int32_t failed_statement; /* dirty rows: 1-based, else 0 */
    const char *state_name;   /* "applied", "pending", ... */
    const char *applied_at;   /* ISO 8601, NULL when not applied */
    int64_t duration_ms;      /* -1 when unknown */
    const char *error;        /* dirty rows: the server's message, else NULL */
    int32_t flags;            /* STRATA_ROW_* bits */
    int32_t reserved;
} strata_status_row;

/** strata_status_row.flags */
enum strata_row_flag {
    STRATA_ROW_EMPTY_UP = 1,     /* the up holds no statement (a fresh template) */
    STRATA_ROW_NO_DOWN = 2,      /* no down SQL: irreversible */
    STRATA_ROW_EMPTY_DOWN = 4,   /* a down that holds only comments or nothing */
    STRATA_ROW_INTERRUPTED = 8   /* dirty: a batch or statement was interrupted */
};

/**
 * strata_status - the state of every version known to the program or the
 * database. With no database (strata_open(NULL)) every migration is pending.
 * @out: owned by the caller; free with strata_status_free().
 */
STRATA_API int strata_status(strata *s, strata_status_list **out);

/** strata_status_v2 options */
enum strata_status_option {
    /* Rows' states and history only: STRATA_ROW_EMPTY_UP and
     * STRATA_ROW_EMPTY_DOWN are left out (0), because deciding them has the
     * parser scan every up and down; STRATA_ROW_NO_DOWN and
     * STRATA_ROW_INTERRUPTED are still set. For callers that only need the
     * states (a startup check, a readiness probe). */
    STRATA_STATUS_STATES_ONLY = 1
};

/**
 * strata_status_v2 - strata_status with @options (strata_status_option
 * bits; 0 is exactly strata_status).
 * @out: owned by the caller; free with strata_status_free().
 * Errors: as strata_status; STRATA_EINVAL for unknown option bits.
 */
STRATA_API int strata_status_v2(strata *s, int32_t options, strata_status_list **out);
/** strata_status_count - number of rows in @st (0 for NULL). */
STRATA_API size_t strata_status_count(const strata_status_list *st);
/** strata_status_get - row @index (version order), borrowed from @st and
 *  valid until strata_status_free(@st); NULL when out of range. */
STRATA_API const strata_status_row *strata_status_get(const strata_status_list *st, size_t index);
/** strata_status_free - free @st and its rows; NULL is a no-op. */
STRATA_API void strata_status_free(strata_status_list *st);

/* ------------------------------------------------------------------ */
/* Lint                                                                */

enum strata_severity {
    STRATA_SEVERITY_INFO = 0,
    STRATA_SEVERITY_WARNING = 1,
    STRATA_SEVERITY_ERROR = 2
};

/** One finding; strings borrowed from the report. */
typedef struct strata_lint_finding {
    int64_t version;       /* migration version */
    const char *file;      /* migration source (path or version_name) */
    int32_t line;          /* 1-based, in @file */
    int32_t column;        /* 1-based, in characters */
    const char *rule;      /* stable kebab-case id, e.g. "index-not-concurrent" */
    const char *message;   /* what was found, the lock it takes, what breaks */
    const char *fix;       /* the safe (multi-phase) recipe */
    int32_t severity;      /* enum strata_severity */
    int32_t reserved;
} strata_lint_finding;

typedef struct strata_lint_report strata_lint_report;

/**
 * strata_lint - check migrations with PostgreSQL's parser for patterns that
 * lock or break a live database (rules in doc/safety.md). Without a
 * database every migration is checked; with one, the pending ones (see
 * strata_set_lint_all), lock findings graded by the table's real size and
 * ALTER COLUMN TYPE judged by the column's type in the catalog (tables
 * looked up by their exact, quoted name). Statements the parser cannot read
 * are reported as rule "unparsed" (an error), never passed silently.
 * @out: owned by the caller; free with strata_lint_report_free().
 * Errors: STRATA_EINVAL, STRATA_ENOMEM, STRATA_ESQL (reading the history).
 */
STRATA_API int strata_lint(strata *s, strata_lint_report **out);
/** strata_lint_count - number of findings in @r (0 for NULL). */
STRATA_API size_t strata_lint_count(const strata_lint_report *r);
/** strata_lint_get - finding @index (by version, line, column), borrowed
 *  from @r and valid until strata_lint_report_free(@r); NULL when out of range. */
STRATA_API const strata_lint_finding *strata_lint_get(const strata_lint_report *r, size_t index);
/** strata_lint_report_free - free @r and its findings; NULL is a no-op. */
STRATA_API void strata_lint_report_free(strata_lint_report *r);

/* ------------------------------------------------------------------ */
/* Test databases                                                      */
/* A fresh, fully migrated database per test in milliseconds: a template  */
/* database holding every registered migration applied is built once per  */
/* migration set, then each test gets a clone of it. The handle is         */
/* connected as an admin: a role with CREATEDB, on a maintenance database  */
/* (e.g. "postgres"). Parallel processes must use the same admin database: */
/* the advisory lock that lets only one of them build lives there.         */
/* Database names: templates "strata_tpl_<16 hex>" (a hash of the versions,*/
/* checksums and history table), clones "strata_test_<8 hex>_<16 hex>".    */
/* Spares (clones made ahead): "strata_spr_<16 hex>_<slot>_<16 hex>".      */

/**
 * strata_testdb_create - create a new database cloned from the template of
 * the migrations registered on @s, building the template first if needed.
 * @out: receives a libpq URI of the new database
 *       ("postgresql://user@host:port/strata_test_..."), built from the admin
 *       connection's user, host and port; it never holds a password (libpq
 *       takes it from PGPASSWORD or ~/.pgpass). Owned by the caller: free it
 *       with strata_free(). Set only on success.
 * The template is built under a temporary name with strata_apply (the
 * handle's run options and event callback apply; events arrive only when
 * this call builds) and renamed when complete, marked IS_TEMPLATE with
 * ALLOW_CONNECTIONS false. A build that failed or was killed is never used:
 * the next call drops what it left and builds again. Processes asking for
 * the same set at once wait for one builder (at most the handle's lock wait,
 * strata_set_lock_wait_ms; a STRATA_EVENT_LOCK_WAIT event is sent once).
 * With spares (strata_set_testdb_spares, default 2) a ready spare of the
 * template is renamed instead of copied, and a replacement is started on a
 * second connection the handle keeps; a failure to start it is not an error.
 * Errors: STRATA_EINVAL (NULL argument, open transaction), STRATA_ENODB,
 * STRATA_ECONNECT, STRATA_ESQL (e.g. the role lacks CREATEDB), STRATA_ELOCKED,
 * and any strata_apply error from building the template (the message starts
 * "building the template database strata_tpl_...: ").
 */
STRATA_API int strata_testdb_create(strata *s, char **out);

/**
 * strata_testdb_drop - drop a database made by strata_testdb_create, with
 * WITH (FORCE) on PostgreSQL 13 and later (its sessions are ended).
 * @uri_or_name: the URI strata_testdb_create returned, any conninfo naming
 *       the database, or its bare name. Only names starting "strata_test_"
 *       are accepted: this never drops another database.
 * Errors: STRATA_EINVAL (NULL, or not a test database name), STRATA_ENOTFOUND
 * (no such database), STRATA_ENODB, STRATA_ECONNECT, STRATA_ESQL.
 */
STRATA_API int strata_testdb_drop(strata *s, const char *uri_or_name);

/**
 * strata_testdb_prune - drop the templates on the server except the @keep
 * newest (by creation), and the leftovers of builds whose process is gone,
 * and the spares of every template no longer there (strata_set_testdb_spares;
 * not counted in @out). Clones are independent of their template and are not touched. A template
 * being rebuilt at that moment is left for the next prune.
 * @keep: >= 0; 0 drops every template.
 * @out: when not NULL, receives the number of databases dropped.
 * Errors: STRATA_EINVAL (NULL handle, negative @keep, open transaction),
 * STRATA_ENODB, STRATA_ECONNECT, STRATA_ESQL.
 */
STRATA_API int strata_testdb_prune(strata *s, int32_t keep, int32_t *out);

/**
 * strata_set_testdb_spares - how many spare clones strata_testdb_create
 * keeps ready per template (default 2; 0: none, every call copies the
 * template itself).
 * A spare is a clone made ahead of time, named
 * "strata_spr_<16 hex of the template>_<slot>_<16 random hex>": only spares
 * of the current migration set's template are ever handed out. A call
 * claims one by renaming it to its new "strata_test_..." name (metadata
 * only, atomic: of two processes, the second takes the next spare, or
 * clones when none is ready), then starts its replacement's CREATE DATABASE
 * on a second connection the handle opens and keeps, without waiting for
 * it: it is copied while the caller's test runs. A spare is visible only
 * once its CREATE DATABASE commits, never half-copied. Each of a template's
 * @n slots is filled by one connection at a time (an advisory lock), so
 * all processes together keep at most @n spares per template, each call
 * starting at most one.
 * The next strata_testdb_* call on the handle first waits for that
 * replacement to finish; strata_close() does not wait: it closes the
 * connection, and the server still finishes and commits the copy (a
 * disconnected client is noticed only after the statement, unless the
 * server sets client_connection_check_interval, which cancels it and leaves
 * nothing): a spare for the next process, not a leak. strata_testdb_prune
 * drops the spares of the templates it drops (not counted in its @out).
 * Setting 0 waits for a replacement in flight and closes the second
 * connection.
 * @n: 0 to 16.
 * Errors: STRATA_EINVAL (NULL handle, @n out of range).
 */
STRATA_API int strata_set_testdb_spares(strata *s, int32_t n);


/* ------------------------------------------------------------------ */
/* Adopting another tool's history                                     */

/**
 * strata_adopt - take over a database another migration tool migrated: the
 * versions its history table records as applied are recorded in strata's
 * history as applied, with the checksums of the migrations registered on @s
 * (nothing is run), so that strata_apply then applies only what is new.
 * The other tool's table is only read, never changed. Runs under the
 * migrator lock, like strata_apply.
 * @tool: "dbmate", "golang-migrate", "goose", "sqlx", "diesel", "flyway", or
 *       NULL to detect it: from @table's columns when @table is given, else
 *       from which of the tools' default tables exists (schema_migrations is
 *       golang-migrate's when it has a `dirty` column, dbmate's otherwise).
 * @table: "table" or "schema.table" (quoted by the library), looked up
 *       through the search_path; NULL for the tool's default table.
 * @out: when not NULL, receives the number of versions recorded (0 when all
 *       were already in strata's history). Set only on success.
 * What counts as applied: every row (dbmate, diesel); the current version
 *   and every older migration (golang-migrate); the newest row of each
 *   version with is_applied (goose; its version 0 row is skipped); rows with
 *   success (sqlx); the newest row of each version, BASELINE rows meaning
 *   every migration up to them, DELETE and UNDO rows not applied, repeatable
 *   (NULL version) and SCHEMA rows skipped (flyway).
 * Nothing is recorded when any check fails:
 * Errors: STRATA_EINVAL (unknown tool, bad @table, several tools' tables
 * present while detecting: the message names them, a table of no known
 * shape), STRATA_ENOTFOUND (no such table), STRATA_EDIRTY (golang-migrate
 * dirty, a failed sqlx or flyway row: repair with that tool first),
 * STRATA_EUNKNOWN (versions the tool applied that are neither registered on
 * @s nor already in strata's history; the message lists them), STRATA_EPARSE
 * (a version that is not an integer, e.g. flyway's "1.1"), STRATA_ENODB,
 * STRATA_ECONNECT, STRATA_ESQL, STRATA_ELOCKED.
 */
STRATA_API int strata_adopt(strata *s, const char *tool, const char *table, int64_t *out);

/**
 * strata_other_history - detect, without changing anything, another tool's
 * history table: the one `strata_adopt(s, NULL, NULL, ...)` would detect
 * (schema_migrations of dbmate or golang-migrate, goose_db_version,
 * _sqlx_migrations, __diesel_schema_migrations, flyway_schema_history,
 * found by name in every schema but the system ones, whatever the
 * search_path, recognised by their columns; strata's own history table is
 * never taken for one) that records at least one version as applied (as
 * strata_adopt counts them; a dirty row counts too), or that this role
 * cannot read (no SELECT on it or USAGE on its schema: what it records is
 * unknown). An empty one, or goose's version 0 row alone, is not reported:
 * adopting it would record nothing. One catalog query, plus a read of each
 * table found.
 * @out_tool: when not NULL, receives the tool's name as strata_adopt takes
 *       it ("goose"), or NULL when there is none; owned by the caller, free
 *       with strata_free(). With several tools' tables, the first in the
 *       order above.
 * @out_table: when not NULL, receives that table's name, schema-qualified
 *       and unquoted ("public.goose_db_version"), or NULL; owned by the
 *       caller (strata_free).
 * Both are set only on success.
 * Errors: STRATA_EINVAL (NULL @s, transaction open), STRATA_ENODB,
 * STRATA_ECONNECT, STRATA_ESQL, STRATA_ENOMEM.
 */
STRATA_API int strata_other_history(strata *s, char **out_tool, char **out_table);

/**
 * strata_set_ignore_other_history - nonzero: strata_apply runs even when
 * strata's history is empty or absent while another tool's history table
 * is in the database (see strata_other_history). By default (zero) such a
 * run is refused before anything is locked or applied, STRATA_EOTHERHISTORY,
 * the message naming each tool and table (schema-qualified, quoted; one
 * this role cannot read is named as present but unreadable): it would run
 * that tool's migrations again. Adopt them first (strata_adopt); ignore the table when
 * strata itself reverted every migration it had applied. The check is the
 * one of strata_other_history, made only when strata's history has no row
 * and something is pending: a database strata manages pays nothing for it.
 * Errors: STRATA_EINVAL (NULL @s).
 */
STRATA_API int strata_set_ignore_other_history(strata *s, int32_t ignore);
/* Schema snapshots, diff, rollback proof and drift                    */

/** A snapshot of a database's schema, read from pg_catalog. */
typedef struct strata_schema strata_schema;
/** The differences between two snapshots. */
typedef struct strata_diff strata_diff;

/** strata_schema_snapshot flags. */
enum strata_schema_flag {
    STRATA_SCHEMA_PRIVILEGES = 1   /* also owners and grants (ACLs) */
};

/** Render formats. */
enum strata_format {
    STRATA_FORMAT_TEXT = 0,        /* one line per object, "\tkey: value" lines */
    STRATA_FORMAT_JSON = 1
};

/**
 * strata_schema_snapshot - read the schema of the handle's database from
 * pg_catalog in one round trip: schemas, extensions, enums, domains,
 * composite and range types, sequences, tables (persistence, partitioning,
 * bounds, inheritance, row security, replica identity), columns (in attnum
 * order: type, collation, default, NOT NULL, identity, generated), constraints
 * (table and domain), indexes, views, materialized views, functions,
 * procedures, aggregates, triggers, policies, rules (not a view's _RETURN
 * rule), extended statistics and comments; a column's statistics target,
 * storage (when not its type's), compression and options; a table's
 * options, access method (when not heap) and tablespace (when not the
 * database's), an index's tablespace. The history table
 * (strata_set_history_table), system schemas and objects that belong to an
 * extension are left out. Names are quoted, qualified and sorted; the text
 * holds no OIDs, so the same schema gives the same snapshot whatever the
 * creation order. Expressions are printed with search_path = pg_catalog.
 * @flags: 0 or STRATA_SCHEMA_PRIVILEGES.
 * @out: owned by the caller; free with strata_schema_free().
 * Errors: STRATA_EINVAL, STRATA_ENODB, STRATA_ECONNECT, STRATA_ESQL, STRATA_ENOMEM.
 */
STRATA_API int strata_schema_snapshot(strata *s, int32_t flags, strata_schema **out);

/**
 * strata_schema_from_text - read back a snapshot rendered by
 * strata_schema_render (text or JSON; the format is recognised by its first
 * character). @text need not be NUL-terminated; @len is its size in bytes.
 * @out: owned by the caller; free with strata_schema_free().
 * Errors: STRATA_EINVAL (NULL argument), STRATA_EPARSE (malformed: @errbuf,
 * when not NULL, receives "line N: what is wrong", at most @errlen bytes
 * with its NUL), STRATA_ENOMEM.
 */
STRATA_API int strata_schema_from_text(strata_schema **out, const char *text, size_t len,
                                       char *errbuf, size_t errlen);

/**
 * strata_schema_render - the snapshot as text or JSON (STRATA_FORMAT_*).
 * The output is deterministic and strata_schema_from_text reads it back.
 * @out: a NUL-terminated string owned by the caller; free with strata_free().
 * Errors: STRATA_EINVAL (NULL argument, unknown format), STRATA_ENOMEM.
 */
STRATA_API int strata_schema_render(const strata_schema *sc, int32_t format, char **out);

/** strata_schema_count - number of objects in @sc (0 for NULL). */
STRATA_API size_t strata_schema_count(const strata_schema *sc);

/** strata_schema_free - free a snapshot; NULL is a no-op. */
STRATA_API void strata_schema_free(strata_schema *sc);


enum strata_change_kind {
    STRATA_CHANGE_ADDED = 1,        /* "+": in the second snapshot only */
    STRATA_CHANGE_REMOVED = 2,      /* "-": in the first snapshot only */
    STRATA_CHANGE_CHANGED = 3,      /* "~": one property differs */
    STRATA_CHANGE_COLUMN_ORDER = 4  /* "~": only the order of a table's columns */
};

/** One difference; strings borrowed from the diff. */
typedef struct strata_schema_change {
    int32_t kind;          /* enum strata_change_kind */
    int32_t reserved;
    const char *object;    /* object kind: "table", "column", "index", ... */
    const char *name;      /* quoted qualified name, e.g. public.users.email */
    const char *detail;    /* CHANGED: "type integer -> bigint"; COLUMN_ORDER:
                              "columns (a, b) -> (b, a)"; else NULL */
    const char *text;      /* the whole line, e.g. "- index public.users_email_idx" */
} strata_schema_change;

/**
 * strata_schema_diff - what changes from @a to @b, object by object: one
 * change per object added or removed, per property that differs, and per
 * table whose common columns come in another order (COLUMN_ORDER, not counted
 * as a property change). Column positions alone never make a CHANGED.
 * @out: owned by the caller; free with strata_schema_diff_free(). An empty
 * diff (count 0) means the schemas are the same.
 * Errors: STRATA_EINVAL (NULL argument), STRATA_ENOMEM.
 */
STRATA_API int strata_schema_diff(const strata_schema *a, const strata_schema *b,
                                  strata_diff **out);
/** strata_schema_diff_count - number of changes in @d (0 for NULL). */
STRATA_API size_t strata_schema_diff_count(const strata_diff *d);
/** strata_schema_diff_get - change @index, borrowed from @d and valid until
 *  strata_schema_diff_free(@d); NULL when out of range. */
STRATA_API const strata_schema_change *strata_schema_diff_get(const strata_diff *d,
                                                              size_t index);
/** strata_schema_diff_only_column_order - nonzero when @d is not empty and
 *  every change in it is a STRATA_CHANGE_COLUMN_ORDER. */
STRATA_API int strata_schema_diff_only_column_order(const strata_diff *d);
/**
 * strata_schema_diff_render - the changes as text (one line each, "\n"
 * terminated; "" when none) or JSON (an array of {"change", "object", "name",
 * "detail"?}). @out: owned by the caller; free with strata_free().
 * Errors: STRATA_EINVAL, STRATA_ENOMEM.
 */
STRATA_API int strata_schema_diff_render(const strata_diff *d, int32_t format, char **out);
/** strata_schema_diff_free - free @d; NULL is a no-op. */
STRATA_API void strata_schema_diff_free(strata_diff *d);

/**
 * strata_scratch_create - create an empty database named
 * "strata_scratch_<16 hex digits>" from template0 on the server of @s, through
 * a second connection to its maintenance database ("postgres") made with the
 * connection parameters of @s (which needs CREATEDB).
 * @out: the conninfo of the new database, owned by the caller (strata_free);
 *       give it to strata_open, and later to strata_scratch_drop.
 * Errors: STRATA_ENODB, STRATA_ECONNECT, STRATA_ESQL (e.g. no CREATEDB), STRATA_ENOMEM.
 */
STRATA_API int strata_scratch_create(strata *s, char **out);

/**
 * strata_scratch_drop - drop the database named in @conninfo (as returned by
 * strata_scratch_create), ending its sessions first (DROP ... WITH (FORCE)).
 * Only databases whose name begins with "strata_scratch_" are dropped.
 * Safe to call from cleanup paths: a database already gone is no error.
 * Errors: STRATA_EINVAL (not a scratch name), STRATA_ENODB, STRATA_ECONNECT, STRATA_ESQL.
 */
STRATA_API int strata_scratch_drop(strata *s, const char *conninfo);

/**
 * strata_scratch_check_empty - STRATA_OK when the handle's database holds
 * nothing a database fresh from template0 would not (history table aside);
 * otherwise STRATA_ENOTEMPTY, and strata_errmsg names up to five objects found.
 * Errors: as strata_schema_snapshot, STRATA_ENOTEMPTY.
 */
STRATA_API int strata_scratch_check_empty(strata *s);

enum strata_roundtrip_result {
    STRATA_RT_OK = 0,              /* the down restored the schema exactly */
    STRATA_RT_DOWN_FAILED = 1,     /* the down failed (error); the run goes on */
    STRATA_RT_RESIDUE = 2,         /* the down ran, the schema differs (diff) */
    STRATA_RT_COLUMN_ORDER = 3,    /* only the column order differs (diff) */
    STRATA_RT_REAPPLY_FAILED = 4,  /* the up failed after its down (error); stops */
    STRATA_RT_NO_DOWN = 5,         /* irreversible, or a down with no statement */
    STRATA_RT_UP_FAILED = 6        /* the up failed (error); stops */
};

/** One migration's result; strings borrowed from the report. */
typedef struct strata_roundtrip_item {
    int64_t version;
    const char *name;
    const char *source;    /* the migration's file (or "version_name") */
    int32_t result;        /* enum strata_roundtrip_result */
    int32_t reserved;
    const char *result_name; /* "ok", "down-failed", "residue", "column-order",
                                "reapply-failed", "no-down", "up-failed" */
    const char *error;     /* failures: "file:line:col: message [SQLSTATE]", else NULL */
    const char *diff;      /* residue / column-order: the diff as text, else NULL */
} strata_roundtrip_item;

typedef struct strata_roundtrip_report strata_roundtrip_report;

/**
 * strata_verify_roundtrip - prove the downs. @s is connected to an EMPTY
 * scratch database (see strata_scratch_create) and holds the migrations.
 * Migrations below @from are applied first without checks; then for each
 * one in version order: snapshot, strata_apply up to it, strata_revert to
 * the one before, snapshot and diff against the first, strata_apply again.
 * Migrations run exactly as `up`/`down` run them (handle options apply).
 * When the role is superuser, the snapshots after the first are
 * incremental: two event triggers (ENABLE ALWAYS, named
 * strata_rt_<backend pid>_*) calling a temporary function log what each DDL
 * command touches into a temporary table, and only those objects, their
 * dependents and the objects printed from them are read again; a full
 * snapshot every 64 migrations and at the end is compared with the tracked
 * schema, and any difference (a change no trigger sees: a role renamed, a
 * catalog edited by hand) turns every `ok` since the last such check into
 * `residue`, with what was missed as the error (the same when that snapshot
 * cannot be taken, and the run stops there). The triggers are dropped at
 * the end, and with the session whatever happens. Other roles get full
 * snapshots throughout.
 * @from: first version to check (0 or STRATA_BEFORE_FIRST: all).
 * @out: one item per checked migration (the run stops at up-failed or
 *       reapply-failed); owned by the caller, free with
 *       strata_roundtrip_report_free(). Set also when some migrations fail:
 *       the return value says whether the run could be made, not whether
 *       the downs pass (see strata_roundtrip_failures).
 * Errors: STRATA_ENOTEMPTY (the scratch database is not empty), STRATA_EINVAL
 * (NULL argument, dry-run set on @s),
 * STRATA_ENODB, STRATA_ECONNECT, STRATA_ENOMEM; a failure while applying the
 * migrations below @from is returned with its code.
 */
STRATA_API int strata_verify_roundtrip(strata *s, int64_t from, strata_roundtrip_report **out);
/**
 * strata_verify_roundtrip_flags - strata_verify_roundtrip with snapshot
 * flags. @flags: 0 (the same as strata_verify_roundtrip: owners and grants
 * are not compared, a GRANT the down forgets to revoke passes) or
 * STRATA_SCHEMA_PRIVILEGES (owners and grants are compared too; every
 * snapshot is then a full one, as an event trigger is not told which
 * object a GRANT or REVOKE changed).
 * Errors: as strata_verify_roundtrip; STRATA_EINVAL for unknown flags.
 */
STRATA_API int strata_verify_roundtrip_flags(strata *s, int64_t from, int32_t flags,
                                             strata_roundtrip_report **out);
/** strata_roundtrip_count - number of items in @r (0 for NULL). */
STRATA_API size_t strata_roundtrip_count(const strata_roundtrip_report *r);
/** strata_roundtrip_get - item @index (version order), borrowed from @r;
 *  NULL when out of range. */
STRATA_API const strata_roundtrip_item *strata_roundtrip_get(const strata_roundtrip_report *r,
                                                             size_t index);
/** strata_roundtrip_failures - items that fail the proof: down-failed,
 *  residue, reapply-failed, up-failed (column-order and no-down pass). */
STRATA_API size_t strata_roundtrip_failures(const strata_roundtrip_report *r);
/**
 * strata_roundtrip_render - text ("VERSION NAME: result" lines, the error or
 * the diff indented below) or JSON (an array of {"version", "name", "result",
 * "error"?, "diff"?}). @out: owned by the caller; free with strata_free().
 * Errors: STRATA_EINVAL, STRATA_ENOMEM.
 */
STRATA_API int strata_roundtrip_render(const strata_roundtrip_report *r, int32_t format, char **out);
/** strata_roundtrip_report_free - free @r; NULL is a no-op. */
STRATA_API void strata_roundtrip_report_free(strata_roundtrip_report *r);

/**
 * strata_verify_drift - what was changed by hand in @s's database. The
 * migrations recorded as applied in @s's history (and only those) are
 * applied, with @s's history table name, to the EMPTY database of
 * @scratch_conninfo; then @out receives strata_schema_diff(scratch, target):
 * "+" is in the target only, "-" is missing from it. Empty diff: no drift.
 * @flags: 0 or STRATA_SCHEMA_PRIVILEGES.
 * Errors: STRATA_EUNKNOWN (an applied version is not among @s's migrations),
 * STRATA_EDIRTY (a dirty row), STRATA_ENOTEMPTY (scratch not empty), and the
 * errors of strata_apply (the message names the scratch database).
 */
STRATA_API int strata_verify_drift(strata *s, const char *scratch_conninfo, int32_t flags,
                                   strata_diff **out);

#ifdef __cplusplus
}
#endif

#endif /* STRATA_H */
