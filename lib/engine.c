/* The runner: checks the database against the program's migrations, plans
 * what to apply, takes the lock only when there is work, and runs each
 * migration in the mode it asks for. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "adopt.h"
#include "observe.h"
#include "down.h"
#include "dry_run.h"
#include "sqlcheck.h"

static bool same_checksum(const hist_row *h, const migration *m)
{
    return h->checksum_algo != 1 || memcmp(h->checksum, m->checksum, 32) == 0;
}

/* Problems with what is already recorded: edits, unknown and dirty rows.
 * A dirty row seen before taking the lock may belong to a migrator that is
 * still running, so it is judged only under the lock (@locked). */
static int check_history(strata *s, const history *h, bool quiet, bool locked)
{
    for (size_t i = 0; i < h->n; i++) {
        const hist_row *r = &h->rows[i];
        const migration *m = migset_find(&s->set, r->version);
        if (!m) {
            if (s->strict)
                return set_error(s, STRATA_EUNKNOWN,
                                 "version %lld (%s) is applied in the database but unknown to "
                                 "this program (strict mode); deploy the release that has it, "
                                 "or turn strict off",
                                 (long long)r->version, r->name);
            if (!quiet) {
                char msg[160];
                snprintf(msg, sizeof msg, "version %lld is applied in the database but unknown "
                         "to this program (a newer release?)", (long long)r->version);
                strata_event ev = event_of(STRATA_EVENT_UNKNOWN_VERSION, NULL, msg);
                ev.version = r->version;
                ev.name = r->name;
                emit_ev(s, &ev);
            }
            continue;
        }
        if (r->dirty && !s->resume && locked && r->failed_statement <= 0)
            return set_error(s, STRATA_EDIRTY,
                             "migration %lld (%s) is dirty: it was interrupted after %d "
                             "statement(s) or batch(es)%s%s. Run `strata up --resume` to "
                             "continue, or resolve it by hand with `strata force %lld "
                             "--applied` or `--pending`",
                             (long long)r->version, m->source, (int)r->statements_done,
                             r->error ? ": " : "", r->error ? r->error : "",
                             (long long)r->version);
        if (r->dirty && !s->resume && locked)
            return set_error(s, STRATA_EDIRTY,
                             "migration %lld (%s) is dirty: statement %d failed (%s). Fix the "
                             "cause, then run `strata up --resume` to continue from statement "
                             "%d, or resolve it by hand with `strata force %lld --applied` or "
                             "`--pending`",
                             (long long)r->version, m->source, (int)r->failed_statement,
                             r->error ? r->error : "interrupted", (int)r->statements_done + 1,
                             (long long)r->version);
        if (!r->dirty && !same_checksum(r, m))
            return set_error(s, STRATA_ECHECKSUM,
                             "migration %lld (%s) was modified after it was applied: restore "
                             "the file as it was, or record the edit with `strata accept %lld`",
                             (long long)r->version, m->source, (long long)r->version);
    }
    return STRATA_OK;
}

typedef struct plan {
    const migration **items;
    size_t n;
} plan;

static bool in_phase(const strata *s, const migration *m)
{
    return s->phase != STRATA_PHASE_EXPAND || m->d.phase != STRATA_PHASE_CONTRACT;
}

static int64_t newest_applied(const history *h)
{
    return h->n ? h->rows[h->n - 1].version : 0;
}

/* Pending migrations up to @target, in the order they will run. */
static int make_plan(strata *s, const history *h, int64_t target, plan *out)
{
    plan p = {calloc(s->set.n ? s->set.n : 1, sizeof *p.items), 0};
    int64_t newest = newest_applied(h);
    if (!p.items)
        return set_error(s, STRATA_ENOMEM, "out of memory");
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < s->set.n; i++) {
            const migration *m = &s->set.items[i];
            bool contract = m->d.phase == STRATA_PHASE_CONTRACT;
            if (m->version > target || history_find(h, m->version) || !in_phase(s, m))
                continue;
            /* contract phase: pending expand migrations go first */
            if (s->phase == STRATA_PHASE_CONTRACT ? (pass == 0) == contract : pass == 1)
                continue;
            /* contract migrations wait for their phase: not out of order */
            if (m->version < newest && !contract && !s->out_of_order) {
                free(p.items);
                return set_error(s, STRATA_EORDER,
                                 "migration %lld (%s) is pending but older than the newest "
                                 "applied version %lld; renumber it after %lld, or allow "
                                 "out-of-order application (--allow-out-of-order)",
                                 (long long)m->version, m->source, (long long)newest,
                                 (long long)newest);
            }
            p.items[p.n++] = m;
        }
    }
    *out = p;
    return STRATA_OK;
}

static const hist_row *first_dirty(const history *h)
{
    for (size_t i = 0; i < h->n; i++)
        if (h->rows[i].dirty)
            return &h->rows[i];
    return NULL;
}

static void emit_done(strata *s, const migration *m, int64_t ms)
{
    strata_event ev = event_of(STRATA_EVENT_MIGRATION_DONE, m, NULL);
    ev.duration_ms = ms;
    emit_ev(s, &ev);
}

static void name_migration(strata *s, const migration *m, int code)
{
    sbuf b;
    sbuf_init(&b);
    sbuf_printf(&b, "%s (version %lld): %s", m->source, (long long)m->version, s->errmsg);
    set_error_buf(s, code, &b);
    sbuf_free(&b);
}

static int run_one(run_ctx *rc, const migration *m, int32_t resume_at)
{
    strata *s = rc->s;
    int64_t t0 = now_ms();
    int res;
    s->cur_version = m->version;
    strata_event start = event_of(STRATA_EVENT_MIGRATION_START, m, m->source);
    /* without a transaction: the statement it starts at (strata.h) */
    if (!s->single_tx && (m->d.no_transaction || m->d.batch || resume_at >= 0))
        start.statement = resume_at < 0 ? 1 : resume_at + 1;
    emit_ev(s, &start);
    if (s->single_tx && (m->d.no_transaction || m->d.batch))
        return set_error(s, STRATA_EINVAL,
                         "%s: a no-transaction or batch migration cannot run inside the "
                         "single-transaction mode; turn it off for this run",
                         m->source);
    bool notx = m->d.no_transaction || resume_at >= 0;
    /* up_self: check_plan parsed it already */
    bool self = !m->d.batch && !notx &&
                (m->up_checked ? m->up_self : sql_has_transaction_control(m->up_sql));
    if (s->observe && (s->single_tx || self))
        emit(s, STRATA_EVENT_WARNING, m,
             "observe: this migration runs inside the single-transaction run or manages its "
             "own transactions (BEGIN/COMMIT in its SQL): it runs as usual, not observed");
    if (m->d.batch)
        res = s->observe ? run_batch_observed(rc, m) : run_migration_batch(rc, m);
    else if (notx && s->observe)
        res = run_notx_observed(rc, m, resume_at < 0 ? 0 : resume_at);
    else if (notx)
        res = run_migration_notx(rc, m, resume_at < 0 ? 0 : resume_at);
    else if (self)
        res = run_migration_self(rc, m);
    else if (s->observe && !s->single_tx)
        res = run_migration_observed(rc, m);
    else
        res = run_migration_tx(rc, m);
    s->cur_version = 0;
    if (res == STRATA_OK && !s->single_tx)
        emit_done(s, m, now_ms() - t0); /* single transaction: once committed */
    else if (!strstr(s->errmsg, m->source))
        name_migration(s, m, res); /* every failure names its migration */
    return res;
}

int start_run(run_ctx *rc, bool create)
{
    strata *s = rc->s;
    int res = lock_acquire(s, &rc->lock_key);
    if (res)
        return res;
    rc->locked = true;
    history_clear(&rc->hist);
    res = history_read(s, &rc->hist); /* again: another migrator may have run */
    if (res == STRATA_OK && create && !rc->hist.exists) {
        res = history_create(s);
        rc->hist.exists = res == STRATA_OK;
    }
    if (res == STRATA_OK) {
        /* under the lock the ranks are ours to hand out */
        int64_t max = 0;
        for (size_t i = 0; i < rc->hist.n; i++)
            if (rc->hist.rows[i].rank > max)
                max = rc->hist.rows[i].rank;
        s->next_rank = max + 1;
        res = settings_snapshot(s, &rc->snap);
    }
    return res;
}

void end_run(run_ctx *rc)
{
    rc->s->next_rank = 0;
    if (rc->locked)
        lock_release(rc->s, rc->lock_key);
    settings_free(&rc->snap);
    history_clear(&rc->hist);
}

/* sql_precheck of @m's up, once per set: its text never changes, and a run
 * checks its plan twice (before and under the lock) then asks again which
 * way to run it; each parse costs more than the migration's round trip.
 * The set is the handle's own: the result is cached through the const
 * pointer the plan holds. A failure is not cached (its message is set). */
static int precheck_up(strata *s, const migration *m, sql_facts *f)
{
    migration *own = (migration *)m;
    if (!m->up_checked) {
        int res = sql_precheck(s, m->up_sql, m->source, m->up_line, f);
        if (res)
            return res;
        own->up_self = f->tx_control;
        own->up_checked = true;
    }
    f->tx_control = m->up_self;
    return STRATA_OK;
}

/* Why @m cannot be part of one atomic transaction, or NULL. */
static const char *not_atomic(const migration *m, const sql_facts *f)
{
    if (m->d.batch)
        return "a batch commits each batch on its own";
    if (m->d.no_transaction)
        return "a no-transaction migration commits each statement on its own";
    if (f->tx_control)
        return "it runs its own BEGIN/COMMIT";
    return NULL;
}

/* Every migration about to run, checked before any of them runs: what the
 * parser can refuse (COPY with the client, unbalanced BEGIN/COMMIT), and in
 * single-transaction mode everything that cannot be atomic, all named. */
static int check_plan(strata *s, const plan *p, const migration *resumed)
{
    sbuf b;
    int res = STRATA_OK;
    size_t bad = 0;
    sbuf_init(&b);
    if (resumed)
        res = sql_precheck(s, resumed->up_sql, resumed->source, resumed->up_line, NULL);
    if (resumed && s->single_tx) {
        sbuf_printf(&b, "\n  %s (version %lld): resuming a dirty no-transaction migration",
                    resumed->source, (long long)resumed->version);
        bad++;
    }
    for (size_t i = 0; res == STRATA_OK && i < p->n; i++) {
        const migration *m = p->items[i];
        sql_facts f;
        if (migration_up_empty(m)) {
            res = set_error(s, STRATA_EPARSE, "%s (version %lld) holds no statement: write its "
                            "SQL or delete the file", m->source, (long long)m->version);
            break;
        }
        res = precheck_up(s, m, &f);
        const char *why = res == STRATA_OK && s->single_tx ? not_atomic(m, &f) : NULL;
        if (why) {
            sbuf_printf(&b, "\n  %s (version %lld): %s", m->source, (long long)m->version, why);
            bad++;
        }
    }
    if (res == STRATA_OK && bad) {
        sbuf msg;
        sbuf_init(&msg);
        sbuf_printf(&msg, "single-transaction mode: %zu migration(s) cannot run inside one "
                          "transaction, so nothing was applied; apply them without "
                          "--single-transaction, or apply up to the version before them first:%s",
                    bad, b.data ? b.data : "");
        res = set_error_buf(s, STRATA_EINVAL, &msg);
        sbuf_free(&msg);
    }
    sbuf_free(&b);
    return res;
}

static const migration *resumed_migration(const strata *s, const history *h)
{
    const hist_row *d = first_dirty(h);
    return d && s->resume ? migset_find(&s->set, d->version) : NULL;
}

#define HIST_ROWS_PER_INSERT 1000 /* bounds one statement's size */

/* Single-transaction mode: the history rows of the migrations that ran,
 * in a few multi-row INSERTs instead of one per migration. */
static int record_all(strata *s, const migration **ran, const int64_t *ms, size_t n)
{
    int res = STRATA_OK;
    for (size_t at = 0; res == STRATA_OK && at < n; at += HIST_ROWS_PER_INSERT) {
        size_t k = n - at < HIST_ROWS_PER_INSERT ? n - at : HIST_ROWS_PER_INSERT;
        char *ins = history_insert_many_sql(s, ran + at, ms + at, k);
        res = ins ? pg_simple(s, ins, NULL) : set_error(s, STRATA_ENOMEM, "out of memory");
        free(ins);
    }
    if (res && res != STRATA_ENOMEM) {
        char msg[sizeof s->errmsg];
        memcpy(msg, s->errmsg, sizeof msg);
        set_error(s, res, "recording %zu migration(s) in the history table: %s (single "
                  "transaction: everything this run applied was rolled back)", n, msg);
    }
    return res;
}

/* Runs @items in order; in single-transaction mode inside one BEGIN/COMMIT,
 * recording them in one INSERT before the COMMIT and reporting them done
 * only once it committed. */
static int run_items(run_ctx *rc, const migration **items, size_t n)
{
    strata *s = rc->s;
    int64_t *ms = calloc(n + 1, sizeof *ms);
    const migration **ran = calloc(n + 1, sizeof *ran);
    size_t n_ran = 0;
    int res = ms && ran ? STRATA_OK : set_error(s, STRATA_ENOMEM, "out of memory");
    if (res == STRATA_OK && s->single_tx)
        res = pg_simple(s, "BEGIN", NULL);
    for (size_t i = 0; res == STRATA_OK && i < n; i++) {
        int64_t t0 = now_ms();
        rc->skipped = false;
        res = run_one(rc, items[i], -1);
        ms[n_ran] = now_ms() - t0;
        if (res == STRATA_OK && !rc->skipped)
            ran[n_ran++] = items[i];
    }
    if (res == STRATA_OK && s->single_tx)
        res = record_all(s, ran, ms, n_ran);
    if (s->single_tx && res == STRATA_OK)
        res = pg_simple(s, "COMMIT", NULL);
    else if (s->single_tx)
        pg_rollback(s); /* quiet, and only on a live connection: the failure's message stays */
    /* single transaction: nothing is applied until the COMMIT says so */
    for (size_t i = 0; res == STRATA_OK && s->single_tx && i < n_ran; i++)
        emit_done(s, ran[i], ms[i]);
    free(ms);
    free(ran);
    return res;
}

/* --resume: the dirty migration to continue first (*@out NULL: none). */
static int resume_target(strata *s, const history *h, const migration **out)
{
    const hist_row *d = first_dirty(h);
    *out = NULL;
    if (!d || !s->resume)
        return STRATA_OK;
    if (!(*out = migset_find(&s->set, d->version)))
        return set_error(s, STRATA_EDIRTY, "dirty version %lld is unknown to this program",
                         (long long)d->version);
    return STRATA_OK;
}

static int apply_plan(run_ctx *rc, int64_t target)
{
    strata *s = rc->s;
    plan p = {0};
    const hist_row *d = first_dirty(&rc->hist);
    int res = check_history(s, &rc->hist, true, true);
    if (res == STRATA_OK)
        res = make_plan(s, &rc->hist, target, &p);
    if (res == STRATA_OK)
        res = check_plan(s, &p, resumed_migration(s, &rc->hist));
    const migration *m = NULL;
    if (res == STRATA_OK)
        res = resume_target(s, &rc->hist, &m);
    if (res == STRATA_OK && m)
        res = run_one(rc, m, d->statements_done);
    if (res == STRATA_OK)
        res = run_items(rc, p.items, p.n);
    free(p.items);
    return res;
}

int apply_exact(run_ctx *rc, const migration **items, size_t n)
{
    strata *s = rc->s;
    plan p = {items, n};
    int res;
    /* the reverts changed the rows: what runs next must see that */
    history_clear(&rc->hist);
    res = history_read(s, &rc->hist);
    if (res == STRATA_OK)
        res = check_plan(s, &p, NULL);
    return res == STRATA_OK ? run_items(rc, items, n) : res;
}

int check_migrations(strata *s, const migration **items, size_t n)
{
    plan p = {items, n};
    return check_plan(s, &p, NULL);
}

/* Lint enforcement: refuse the run, listing the findings at or above the
 * level, before anything is locked or applied. */
static int enforce_lint(strata *s, const plan *p)
{
    bool *want = calloc(s->set.n + 1, sizeof *want);
    strata_lint_report *r = NULL;
    int res;
    size_t bad = 0;
    if (!want)
        return set_error(s, STRATA_ENOMEM, "out of memory");
    for (size_t i = 0; i < p->n; i++)
        want[(size_t)(p->items[i] - s->set.items)] = true;
    res = lint_run(s, want, &r);
    free(want);
    if (res)
        return res;
    for (size_t i = 0; i < strata_lint_count(r); i++)
        if (strata_lint_get(r, i)->severity >= s->lint_level)
            bad++;
    if (bad) {
        sbuf b;
        sbuf_init(&b);
        sbuf_printf(&b, "lint refused to apply: %zu finding(s) at or above the enforced level "
                        "(fix them, or suppress one with `-- strata:allow RULE -- reason`):", bad);
        lint_report_text(&b, r, s->lint_level);
        res = set_error_buf(s, STRATA_ELINT, &b);
        sbuf_free(&b);
    }
    strata_lint_report_free(r);
    return res;
}

/* strata runs its own transactions: on a connection inside the
 * application's transaction its BEGIN would be ignored and its COMMIT would
 * commit the application's work. Every call that talks to the database
 * checks first (history_read, lock_acquire). */
int check_conn_idle(strata *s)
{
    const char *state;
    switch (PQtransactionStatus(s->conn)) {
    case PQTRANS_IDLE: return STRATA_OK;
    case PQTRANS_INTRANS: state = "inside a transaction the application opened"; break;
    case PQTRANS_INERROR: state = "inside a failed transaction of the application"; break;
    case PQTRANS_ACTIVE: state = "busy with a query of the application (read its results first)"; break;
    default: return pg_need_db(s);
    }
    return set_error(s, STRATA_EINVAL,
                     "the connection is %s; strata runs its own transactions and never commits "
                     "or rolls back the application's: end it with COMMIT or ROLLBACK, then call "
                     "strata again",
                     state);
}

STRATA_EXPORT int strata_apply(strata *s, int64_t target)
{
    run_ctx rc = {0};
    plan p = {0};
    int res;
    if (!s)
        return STRATA_EINVAL;
    clear_error(s);
    rc.s = s;
    if (target != STRATA_LATEST && !migset_find(&s->set, target))
        return set_error(s, STRATA_ENOTFOUND, "no migration has version %lld: apply up to a "
                         "version that exists (%zu migration(s) known)",
                         (long long)target, s->set.n);
    if (!s->conn && s->dry_run) {
        history empty = {0};
        res = make_plan(s, &empty, target, &p);
        if (res == STRATA_OK)
            res = check_plan(s, &p, NULL);
        if (res == STRATA_OK)
            res = dry_run_plan(s, NULL, NULL, 0, p.items, p.n);
        free(p.items);
        return res;
    }
    if ((res = pg_need_db(s)) || (res = check_conn_idle(s)))
        return res;
    res = history_read(s, &rc.hist);
    if (res == STRATA_OK)
        res = check_history(s, &rc.hist, false, false);
    if (res == STRATA_OK)
        res = make_plan(s, &rc.hist, target, &p);
    if (res == STRATA_OK && p.n)
        res = adopt_check_other(s, &rc.hist); /* its migrations would run again */
    if (res == STRATA_OK)
        res = check_plan(s, &p, resumed_migration(s, &rc.hist));
    if (res == STRATA_OK && s->lint_level >= 0 && p.n)
        res = enforce_lint(s, &p);
    if (res == STRATA_OK && s->dry_run) {
        /* the decision the run makes under the lock: a dirty row refuses
         * the run (the dry run too), or --resume continues it first */
        const migration *rm = NULL;
        const hist_row *d = first_dirty(&rc.hist);
        res = check_history(s, &rc.hist, true, true);
        if (res == STRATA_OK)
            res = resume_target(s, &rc.hist, &rm);
        if (res == STRATA_OK)
            res = dry_run_plan(s, &rc.hist, rm, rm ? d->statements_done : -1, p.items, p.n);
    } else if (res == STRATA_OK && (p.n || first_dirty(&rc.hist))) {
        res = start_run(&rc, true);
        if (res == STRATA_OK)
            res = apply_plan(&rc, target);
    }
    for (size_t i = 0; res == STRATA_OK && i < s->set.n; i++)
        if (s->set.items[i].version <= target && !in_phase(s, &s->set.items[i]) &&
            !history_find(&rc.hist, s->set.items[i].version))
            emit(s, STRATA_EVENT_SKIPPED_PHASE, &s->set.items[i],
                 "contract migration left for the contract phase");
    free(p.items);
    end_run(&rc);
    return res;
}

