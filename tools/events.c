/* Library events to stderr: progress for people, a record of what was
 * applied and reverted for the summaries, and the Ctrl-C report. */
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "dry.h"
#include "observe.h"

/* The Ctrl-C report: written by the signal handler, so it is kept ready
 * in a static buffer (the only async-signal-safe way to say it). */
static char interrupt_msg[1024];

/* The handle whose running statement a Ctrl-C cancels (strata_cancel is
 * async-signal-safe); NULL once the handle is closed. */
static strata *volatile interrupt_handle;

static void on_interrupt(int sig)
{
    if (interrupt_handle) /* or the server keeps running it after we exit */
        (void)strata_cancel(interrupt_handle);
    size_t n = strlen(interrupt_msg);
    if (n && write(STDERR_FILENO, interrupt_msg, n) < 0)
        n = 0;
    signal(sig, SIG_DFL);
    raise(sig);
}

void cli_forget_interrupt(void)
{
    interrupt_handle = NULL;
}

void cli_install_interrupt(cli *c)
{
    interrupt_handle = c->s;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* Where a run is, for the Ctrl-C report. */
static struct {
    bool active;
    int64_t version;
    char name[256];
    bool revert, notx;
    int32_t statements_done, batch;
    int64_t rows;
} where;

static void update_interrupt_msg(void)
{
    char rows[128] = "";
    if (!where.active) {
        interrupt_msg[0] = '\0';
        return;
    }
    if (where.batch > 0)
        snprintf(rows, sizeof rows, ", batch %d, %lld rows done", (int)where.batch, (long long)where.rows);
    if (where.notx)
        snprintf(interrupt_msg, sizeof interrupt_msg,
                 "\nstrata: interrupted while %s %lld %s at statement %d%s.\n"
                 "It runs without a transaction: statements before %d are done and stay; status "
                 "shows it dirty. Continue with `strata up --resume`.\n",
                 where.revert ? "reverting" : "applying", (long long)where.version, where.name,
                 (int)where.statements_done + 1, rows, (int)where.statements_done + 1);
    else
        snprintf(interrupt_msg, sizeof interrupt_msg,
                 "\nstrata: interrupted while %s %lld %s%s.\n"
                 "Its transaction is rolled back: the database is as before it; status shows it %s.\n",
                 where.revert ? "reverting" : "applying", (long long)where.version, where.name, rows,
                 where.revert ? "applied" : "pending");
}

static void track(const strata_event *ev)
{
    switch (ev->type) {
    case STRATA_EVENT_MIGRATION_START:
    case STRATA_EVENT_REVERT_START:
        memset(&where, 0, sizeof where);
        where.active = true;
        where.version = ev->version;
        where.revert = ev->type == STRATA_EVENT_REVERT_START;
        snprintf(where.name, sizeof where.name, "%s", ev->name ? ev->name : "");
        /* the library says whether it runs without a transaction, and from
         * which statement: right from the first statement */
        where.notx = ev->statement > 0;
        where.statements_done = ev->statement > 0 ? ev->statement - 1 : 0;
        break;
    case STRATA_EVENT_STATEMENT_DONE:
        where.notx = true;
        where.statements_done = ev->statement;
        break;
    case STRATA_EVENT_BATCH_PROGRESS:
        where.notx = true;
        where.batch = ev->statement;
        where.rows = ev->rows;
        break;
    case STRATA_EVENT_MIGRATION_DONE:
    case STRATA_EVENT_REVERT_DONE:
        where.active = false;
        break;
    default:
        return;
    }
    update_interrupt_msg();
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Progress: rewritten in place on a terminal; elsewhere (logs, CI) at most
 * one line a second, not one per batch. */
static void progress(cli *c, const char *msg)
{
    if (!c->style.live) {
        int64_t t = now_ms();
        if (c->last_progress_ms && t - c->last_progress_ms < 1000)
            return;
        c->last_progress_ms = t;
    }
    out_live(&c->style, msg);
}

/* The library repeats the event about once a second: on a terminal the
 * line is rewritten in place; elsewhere one line every 5 s is enough. */
#define WAIT_LINE_EVERY_MS 5000

static void lock_wait(cli *c, const strata_event *ev)
{
    char msg[256], dur[32];
    if (!c->style.live) {
        int64_t t = now_ms();
        if (c->last_wait_ms && t - c->last_wait_ms < WAIT_LINE_EVERY_MS)
            return;
        c->last_wait_ms = t;
    }
    int64_t ms = ev->duration_ms < 0 ? 0 : ev->duration_ms;
    if (ms < 60000) /* seconds, one decimal: the count a waiting person reads */
        snprintf(dur, sizeof dur, "%.1f s", (double)ms / 1000.0);
    else
        out_duration(dur, sizeof dur, ms);
    if (ev->pid > 0)
        snprintf(msg, sizeof msg, "waiting for migrator lock held by pid %d (%s)", (int)ev->pid, dur);
    else
        snprintf(msg, sizeof msg, "waiting for migrator lock held by another migrator (%s)", dur);
    out_live(&c->style, msg);
}

static void record(cli *c, const strata_event *ev)
{
    if (ev->type == STRATA_EVENT_MIGRATION_DONE)
        cli_done_add(&c->applied, ev->version, ev->name, ev->duration_ms);
    else if (ev->type == STRATA_EVENT_REVERT_DONE) {
        c->last_reverted = ev->version;
        cli_done_add(&c->reverted, ev->version, ev->name, ev->duration_ms);
    }
}

void cli_on_event(const strata_event *ev, void *payload)
{
    cli *c = payload;
    out_style *st = &c->style;
    track(ev);
    record(c, ev);
    if (ev->type == STRATA_EVENT_DRY_RUN) {
        dry_event(c->dry, ev);
        return;
    }
    if (ev->type == STRATA_EVENT_OBSERVED) {
        observe_event(c->observe, ev); /* reported at the end (up --observe) */
        return;
    }
    if (c->quiet)
        return;
    char dur[32];
    out_duration(dur, sizeof dur, ev->duration_ms);
    switch (ev->type) {
    case STRATA_EVENT_MIGRATION_START:
        out_live_end(st);
        fprintf(stderr, "%sapplying%s %lld %s ...\n", st->bold, st->reset, (long long)ev->version, ev->name);
        break;
    case STRATA_EVENT_MIGRATION_DONE:
        out_live_end(st);
        fprintf(stderr, "%sapplied%s  %lld %s (%s)\n", st->green, st->reset, (long long)ev->version, ev->name, dur);
        break;
    case STRATA_EVENT_REVERT_START:
        out_live_end(st);
        fprintf(stderr, "%sreverting%s %lld %s ...\n", st->bold, st->reset, (long long)ev->version, ev->name);
        break;
    case STRATA_EVENT_REVERT_DONE:
        out_live_end(st);
        fprintf(stderr, "%sreverted%s  %lld %s (%s)\n", st->green, st->reset, (long long)ev->version, ev->name, dur);
        break;
    case STRATA_EVENT_STATEMENT_DONE:
        if (c->verbose)
            fprintf(stderr, "  statement %d done (%s)\n", (int)ev->statement, dur);
        break;
    case STRATA_EVENT_BATCH_PROGRESS:
    case STRATA_EVENT_BLOCKED:
        progress(c, ev->message ? ev->message : "");
        break;
    case STRATA_EVENT_LOCK_WAIT:
        lock_wait(c, ev);
        break;
    case STRATA_EVENT_NOTICE:
        if (c->verbose)
            fprintf(stderr, "  notice: %s", ev->message ? ev->message : "\n");
        break;
    case STRATA_EVENT_UNKNOWN_VERSION:
        out_live_end(st);
        fprintf(stderr, "%swarning:%s version %lld%s%s is applied in the database but not in %s\n", st->yellow,
                st->reset, (long long)ev->version, ev->name && *ev->name ? " " : "", ev->name ? ev->name : "",
                c->dir);
        break;
    case STRATA_EVENT_SKIPPED_FILE:
        out_live_end(st);
        fprintf(stderr, "%swarning:%s skipped %s: not a migration\n", st->yellow, st->reset,
                ev->message ? ev->message : "");
        break;
    default:
        if (ev->message) {
            out_live_end(st);
            fprintf(stderr, "%s%s%s\n", st->yellow, ev->message, st->reset);
        }
    }
}
