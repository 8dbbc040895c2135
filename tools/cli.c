/* The shared context of the strata commands. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void cli_usage(FILE *f)
{
    fputs("usage: strata [-d URL] [-m DIR] [--table T] [--json] [-q|-v] COMMAND [ARGS]\n"
          "\n"
          "commands:\n"
          "  new NAME [--simple]          create <UTC timestamp>_<name>.up.sql and .down.sql\n"
          "  up [--to V] [--phase expand|contract|all] [--dry-run] [--allow-out-of-order]\n"
          "     [--resume] [--single-transaction] [--lint=error|warning|off]\n"
          "  down [--to V | --steps N] [--dry-run]   revert (default: 1 step)\n"
          "  redo                         down 1 step, then up again\n"
          "  status [--exit-code]         table (or --json); --exit-code: 3 when pending\n"
          "  verify                       checksums of applied migrations against the files\n"
          "  lint [PATH...] [--json] [--format text|json|github] [--pg-version N] [--strict] [--all]\n"
          "  force V --applied|--pending  resolve a dirty or inconsistent row by hand\n"
          "  accept V                     record the checksum of an edited, applied migration\n"
          "  baseline V                   mark everything up to V applied without running it\n"
          "  embed -o OUT.c [--header OUT.h] [--symbol NAME] [--depfile F] DIR\n"
          "\n"
          "-d defaults to $DATABASE_URL, then libpq's PG* environment; -m to ./migrations.\n"
          "Exit codes: 0 success, 1 failure, 2 usage, 3 pending (status --exit-code).\n"
          "`strata COMMAND --help` describes one command.\n",
          f);
}

int cli_usage_error(const char *fmt, const char *arg)
{
    fputs("strata: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\n", stderr);
    cli_usage(stderr);
    return EXIT_USAGE;
}

bool cli_parse_version(const char *s, int64_t *out)
{
    char *end;
    long long v;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < 0)
        return false;
    *out = v;
    return true;
}

/* ---- events to stderr ---- */

static void on_event(const strata_event *ev, void *payload)
{
    cli *c = payload;
    const out_style *st = &c->style;
    if (c->quiet && ev->type != STRATA_EVENT_DRY_RUN)
        return;
    switch (ev->type) {
    case STRATA_EVENT_MIGRATION_START:
        out_live_end(st);
        fprintf(stderr, "%sapplying%s %lld %s ...\n", st->bold, st->reset, (long long)ev->version, ev->name);
        break;
    case STRATA_EVENT_MIGRATION_DONE:
        out_live_end(st);
        fprintf(stderr, "%sapplied%s  %lld %s (%lld ms)\n", st->green, st->reset, (long long)ev->version,
                ev->name, (long long)ev->duration_ms);
        break;
    case STRATA_EVENT_REVERT_START:
        fprintf(stderr, "%sreverting%s %lld %s ...\n", st->bold, st->reset, (long long)ev->version, ev->name);
        break;
    case STRATA_EVENT_REVERT_DONE:
        c->last_reverted = ev->version;
        fprintf(stderr, "%sreverted%s  %lld %s (%lld ms)\n", st->green, st->reset, (long long)ev->version,
                ev->name, (long long)ev->duration_ms);
        break;
    case STRATA_EVENT_STATEMENT_DONE:
        if (c->verbose)
            fprintf(stderr, "  statement %d done (%lld ms)\n", (int)ev->statement, (long long)ev->duration_ms);
        break;
    case STRATA_EVENT_BATCH_PROGRESS:
    case STRATA_EVENT_LOCK_WAIT:
    case STRATA_EVENT_BLOCKED:
        out_live(st, ev->message ? ev->message : "");
        break;
    case STRATA_EVENT_DRY_RUN:
        printf("%s\n", ev->message ? ev->message : "");
        break;
    case STRATA_EVENT_NOTICE:
        if (c->verbose)
            fprintf(stderr, "  notice: %s", ev->message ? ev->message : "\n");
        break;
    default:
        if (ev->message) {
            out_live_end(st);
            fprintf(stderr, "%s%s%s\n", st->yellow, ev->message, st->reset);
        }
    }
}

int cli_fail(cli *c, const char *what)
{
    out_live_end(&c->style);
    fprintf(stderr, "%sstrata%s%s:%s %s\n", c->style.red, what && *what ? ": " : "", what ? what : "",
            c->style.reset, strata_errmsg(c->s));
    return EXIT_FAIL;
}

/* Opens the handle: database (unless @offline) and migrations directory. */
int cli_prepare(cli *c, bool offline, bool need_dir)
{
    const char *url = c->url ? c->url : getenv("DATABASE_URL");
    int rc = strata_open(&c->s, offline ? NULL : (url ? url : ""));
    if (rc == STRATA_ENOMEM || rc == STRATA_EINVAL) {
        fprintf(stderr, "strata: out of memory\n");
        return EXIT_FAIL;
    }
    strata_set_event_callback(c->s, on_event, c);
    if (rc)
        return cli_fail(c, "");
    if (c->table && strata_set_history_table(c->s, c->table))
        return cli_fail(c, "--table");
    if (need_dir && strata_add_dir(c->s, c->dir))
        return cli_fail(c, "reading migrations");
    return EXIT_OK;
}

