/* strata: the command-line tool, a thin layer over libstrata. It parses
 * options, turns events into progress lines, and prints results for people
 * (tables) or programs (--json). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "embed.h"
#include "lintcmd.h"
#include "out.h"
#include "strata.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_PENDING = 3 };

typedef struct cli {
    const char *url;
    const char *dir;
    const char *table;
    bool json, quiet, verbose;
    out_style style;
    strata *s;
    int64_t last_reverted;
} cli;

static void usage(FILE *f)
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

static int usage_error(const char *fmt, const char *arg)
{
    fputs("strata: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\n", stderr);
    usage(stderr);
    return EXIT_USAGE;
}

static bool parse_version(const char *s, int64_t *out)
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

static int fail(cli *c, const char *what)
{
    out_live_end(&c->style);
    fprintf(stderr, "%sstrata%s%s:%s %s\n", c->style.red, what && *what ? ": " : "", what ? what : "",
            c->style.reset, strata_errmsg(c->s));
    return EXIT_FAIL;
}

/* Opens the handle: database (unless @offline) and migrations directory. */
static int prepare(cli *c, bool offline, bool need_dir)
{
    const char *url = c->url ? c->url : getenv("DATABASE_URL");
    int rc = strata_open(&c->s, offline ? NULL : (url ? url : ""));
    if (rc == STRATA_ENOMEM || rc == STRATA_EINVAL) {
        fprintf(stderr, "strata: out of memory\n");
        return EXIT_FAIL;
    }
    strata_set_event_callback(c->s, on_event, c);
    if (rc)
        return fail(c, "");
    if (c->table && strata_set_history_table(c->s, c->table))
        return fail(c, "--table");
    if (need_dir && strata_add_dir(c->s, c->dir))
        return fail(c, "reading migrations");
    return EXIT_OK;
}

/* ---- commands ---- */

static int cmd_new(cli *c, int argc, char **argv)
{
    bool simple = false;
    const char *name = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--simple") == 0)
            simple = true;
        else if (strcmp(argv[i], "--help") == 0) {
            puts("usage: strata new NAME [--simple]\nCreates <UTC yyyymmddhhmmss>_<name>.up.sql and "
                 ".down.sql in the migrations directory (one .sql with --simple).");
            return EXIT_OK;
        } else if (argv[i][0] == '-' || name)
            return usage_error("new: unexpected argument '%s'", argv[i]);
        else
            name = argv[i];
    }
    if (!name || !*name)
        return usage_error("new: NAME is required%s", "");
    char stem[256], ts[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y%m%d%H%M%S", &tm);
    snprintf(stem, sizeof stem, "%s_%s", ts, name);
    for (char *p = stem; *p; p++)
        if (*p == ' ' || *p == '/' || *p == '-')
            *p = '_';
    if (mkdir(c->dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "strata: %s: cannot create the migrations directory: %s\n", c->dir, strerror(errno));
        return EXIT_FAIL;
    }
    const char *suffixes[2] = {simple ? ".sql" : ".up.sql", ".down.sql"};
    for (int k = 0; k < (simple ? 1 : 2); k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s%s", c->dir, stem, suffixes[k]);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0666);
        if (fd < 0) {
            fprintf(stderr, "strata: %s: %s (not overwritten)\n", path, strerror(errno));
            return EXIT_FAIL;
        }
        const char *body = k == 0 ? "-- Write the migration here.\n" : "-- Write the revert here.\n";
        if (write(fd, body, strlen(body)) < 0 || close(fd) != 0) {
            fprintf(stderr, "strata: %s: %s\n", path, strerror(errno));
            return EXIT_FAIL;
        }
        printf("%s\n", path);
    }
    return EXIT_OK;
}

static int cmd_up(cli *c, int argc, char **argv)
{
    static const struct option longs[] = {
        {"to", required_argument, NULL, 't'},           {"phase", required_argument, NULL, 'p'},
        {"dry-run", no_argument, NULL, 'n'},            {"allow-out-of-order", no_argument, NULL, 'o'},
        {"resume", no_argument, NULL, 'r'},             {"single-transaction", no_argument, NULL, '1'},
        {"lint", required_argument, NULL, 'l'},         {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int64_t to = STRATA_LATEST;
    int32_t phase = STRATA_PHASE_ALL;
    int dry = 0, ooo = 0, resume = 0, single = 0, lint = LINTCMD_LEVEL_OFF, o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "+", longs, NULL)) != -1) {
        switch (o) {
        case 't':
            if (!parse_version(optarg, &to))
                return usage_error("up: --to needs a version, got '%s'", optarg);
            break;
        case 'p':
            if (strcmp(optarg, "expand") == 0) phase = STRATA_PHASE_EXPAND;
            else if (strcmp(optarg, "contract") == 0) phase = STRATA_PHASE_CONTRACT;
            else if (strcmp(optarg, "all") == 0) phase = STRATA_PHASE_ALL;
            else return usage_error("up: --phase is expand, contract or all, not '%s'", optarg);
            break;
        case 'n': dry = 1; break;
        case 'o': ooo = 1; break;
        case 'r': resume = 1; break;
        case '1': single = 1; break;
        case 'l':
            lint = lintcmd_parse_level(optarg);
            if (lint < 0)
                return usage_error("up: --lint is error, warning or off, not '%s'", optarg);
            break;
        case 'h':
            puts("usage: strata up [--to V] [--phase expand|contract|all] [--dry-run]\n"
                 "       [--allow-out-of-order] [--resume] [--single-transaction] [--lint=LEVEL]\n"
                 "Applies pending migrations. --dry-run prints the statements and touches nothing.");
            return EXIT_OK;
        default:
            return usage_error("up: unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc)
        return usage_error("up: unexpected argument '%s'", argv[optind]);
    int rc = prepare(c, false, true);
    if (rc)
        return rc;
    strata_set_phase(c->s, phase);
    strata_set_dry_run(c->s, dry);
    strata_set_allow_out_of_order(c->s, ooo);
    strata_set_resume(c->s, resume);
    strata_set_single_transaction(c->s, single);
    if (lint != LINTCMD_LEVEL_OFF || dry) {
        rc = lintcmd_gate(c->s, lint, dry, c->style.color);
        if (rc)
            return rc == EXIT_FAIL && strata_errmsg(c->s)[0] ? fail(c, "lint") : rc;
    }
    if (strata_apply(c->s, to))
        return fail(c, dry ? "dry run" : "up");
    if (!c->quiet && !dry)
        fprintf(stderr, "up to date\n");
    return EXIT_OK;
}

static int cmd_down(cli *c, int argc, char **argv, bool redo)
{
    static const struct option longs[] = {{"to", required_argument, NULL, 't'},
                                          {"steps", required_argument, NULL, 's'},
                                          {"dry-run", no_argument, NULL, 'n'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    int64_t to = -1, steps = 1;
    int dry = 0, o;
    bool has_steps = false;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "+", longs, NULL)) != -1) {
        switch (o) {
        case 't':
            if (redo || !parse_version(optarg, &to))
                return usage_error("down: --to needs a version, got '%s'", optarg);
            break;
        case 's':
            if (redo || !parse_version(optarg, &steps) || steps > INT32_MAX)
                return usage_error("down: --steps needs a count, got '%s'", optarg);
            has_steps = true;
            break;
        case 'n': dry = 1; break;
        case 'h':
            puts(redo ? "usage: strata redo\nReverts the last applied migration and applies it again."
                      : "usage: strata down [--to V | --steps N] [--dry-run]\n"
                        "Reverts in reverse order of application; default: 1 step.");
            return EXIT_OK;
        default:
            return usage_error("down: unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc)
        return usage_error("down: unexpected argument '%s'", argv[optind]);
    if (to >= 0 && has_steps)
        return usage_error("down: --to and --steps exclude each other%s", "");
    int rc = prepare(c, false, true);
    if (rc)
        return rc;
    strata_set_dry_run(c->s, dry);
    rc = to >= 0 ? strata_revert(c->s, to) : strata_revert_steps(c->s, (int32_t)steps);
    if (rc)
        return fail(c, redo ? "redo (down)" : "down");
    if (redo && c->last_reverted > 0) {
        if (strata_apply(c->s, c->last_reverted))
            return fail(c, "redo (up)");
    } else if (redo) {
        fprintf(stderr, "strata: redo: nothing is applied\n");
    }
    return EXIT_OK;
}

static int cmd_status(cli *c, int argc, char **argv, bool verify)
{
    bool exit_code = false;
    for (int i = 1; i < argc; i++) {
        if (!verify && strcmp(argv[i], "--exit-code") == 0)
            exit_code = true;
        else if (strcmp(argv[i], "--json") == 0)
            c->json = true;
        else if (strcmp(argv[i], "--help") == 0) {
            puts(verify ? "usage: strata verify\nFails (exit 1) when an applied migration's file changed."
                        : "usage: strata status [--exit-code]\nLists every version and its state; "
                          "--exit-code exits 3 when something is pending.");
            return EXIT_OK;
        } else
            return usage_error("status: unexpected argument '%s'", argv[i]);
    }
    int rc = prepare(c, false, true);
    strata_status_list *st = NULL;
    if (rc)
        return rc;
    if (strata_status(c->s, &st))
        return fail(c, "status");
    size_t pending = 0, bad = 0;
    for (size_t i = 0; i < strata_status_count(st); i++) {
        const strata_status_row *r = strata_status_get(st, i);
        if (r->state == STRATA_STATE_PENDING || r->state == STRATA_STATE_OUT_OF_ORDER)
            pending++;
        if (r->state == STRATA_STATE_MODIFIED || r->state == STRATA_STATE_DIRTY) {
            bad++;
            if (verify && r->state == STRATA_STATE_DIRTY)
                fprintf(stderr, "dirty: %lld %s failed at statement %d (resolve with `strata up "
                                "--resume` or `strata force %lld`)\n",
                        (long long)r->version, r->name, (int)r->failed_statement, (long long)r->version);
        }
    }
    if (verify) {
        for (size_t i = 0; i < strata_migration_count(c->s); i++) {
            strata_migration_def d;
            strata_migration_get(c->s, i, &d);
            for (size_t k = 0; k < strata_status_count(st); k++) {
                const strata_status_row *r = strata_status_get(st, k);
                if (r->version == d.version && r->state == STRATA_STATE_MODIFIED)
                    fprintf(stderr, "%s: applied migration %lld was edited after it was applied "
                                    "(restore it, or record the edit with `strata accept %lld`)\n",
                            strata_migration_source(c->s, i), (long long)d.version, (long long)d.version);
            }
        }
        if (c->json)
            printf("{\"ok\": %s, \"problems\": %zu}\n", bad ? "false" : "true", bad);
        else if (!bad && !c->quiet)
            fprintf(stderr, "verified: every applied migration matches its file\n");
    } else if (c->json) {
        out_status_json(stdout, st);
    } else {
        out_status_table(stdout, st, &c->style);
    }
    strata_status_free(st);
    if (verify)
        return bad ? EXIT_FAIL : EXIT_OK;
    return exit_code && pending ? EXIT_PENDING : EXIT_OK;
}

static int cmd_version_arg(cli *c, int argc, char **argv, const char *what)
{
    int64_t v;
    int flag = -1;
    for (int i = 2; i < argc; i++) {
        if (strcmp(what, "force") == 0 && strcmp(argv[i], "--applied") == 0 && flag < 0)
            flag = 1;
        else if (strcmp(what, "force") == 0 && strcmp(argv[i], "--pending") == 0 && flag < 0)
            flag = 0;
        else
            return usage_error("unexpected argument '%s'", argv[i]);
    }
    if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
        printf("usage: strata %s V%s\n", what, strcmp(what, "force") == 0 ? " --applied|--pending" : "");
        return EXIT_OK;
    }
    if (argc < 2 || !parse_version(argv[1], &v))
        return usage_error("a version is required, e.g. strata %s 20240101120000", what);
    if (strcmp(what, "force") == 0 && flag < 0)
        return usage_error("force needs --applied or --pending%s", "");
    int rc = prepare(c, false, true);
    if (rc)
        return rc;
    if (strcmp(what, "force") == 0)
        rc = strata_force(c->s, v, flag);
    else if (strcmp(what, "accept") == 0)
        rc = strata_accept(c->s, v);
    else
        rc = strata_baseline(c->s, v);
    if (rc)
        return fail(c, what);
    if (!c->quiet)
        fprintf(stderr, "%s %lld: done\n", what, (long long)v);
    return EXIT_OK;
}

static int cmd_embed(int argc, char **argv)
{
    embed_opts o;
    int rc = embed_parse_args(&o, argc, argv, stderr);
    if (rc == 3)
        return EXIT_OK;
    if (rc)
        return EXIT_USAGE;
    return embed_run(&o, stderr) ? EXIT_FAIL : EXIT_OK;
}

int main(int argc, char **argv)
{
    static const struct option longs[] = {{"database", required_argument, NULL, 'd'},
                                          {"migrations", required_argument, NULL, 'm'},
                                          {"table", required_argument, NULL, 'T'},
                                          {"json", no_argument, NULL, 'j'},
                                          {"quiet", no_argument, NULL, 'q'},
                                          {"verbose", no_argument, NULL, 'v'},
                                          {"help", no_argument, NULL, 'h'},
                                          {"version", no_argument, NULL, 'V'},
                                          {NULL, 0, NULL, 0}};
    cli c = {0};
    int o, rc;
    c.dir = "./migrations";
    opterr = 0;
    while ((o = getopt_long(argc, argv, "+d:m:qvh", longs, NULL)) != -1) {
        switch (o) {
        case 'd': c.url = optarg; break;
        case 'm': c.dir = optarg; break;
        case 'T': c.table = optarg; break;
        case 'j': c.json = true; break;
        case 'q': c.quiet = true; break;
        case 'v': c.verbose = true; break;
        case 'h': usage(stdout); return EXIT_OK;
        case 'V': printf("strata %s\n", strata_version()); return EXIT_OK;
        default: return usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return usage_error("a command is required%s", "");
    out_style_init(&c.style);
    const char *cmd = argv[optind];
    int cargc = argc - optind;
    char **cargv = argv + optind;
    if (strcmp(cmd, "new") == 0) rc = cmd_new(&c, cargc, cargv);
    else if (strcmp(cmd, "up") == 0) rc = cmd_up(&c, cargc, cargv);
    else if (strcmp(cmd, "down") == 0) rc = cmd_down(&c, cargc, cargv, false);
    else if (strcmp(cmd, "redo") == 0) rc = cmd_down(&c, cargc, cargv, true);
    else if (strcmp(cmd, "status") == 0) rc = cmd_status(&c, cargc, cargv, false);
    else if (strcmp(cmd, "verify") == 0) rc = cmd_status(&c, cargc, cargv, true);
    else if (strcmp(cmd, "force") == 0 || strcmp(cmd, "accept") == 0 || strcmp(cmd, "baseline") == 0)
        rc = cmd_version_arg(&c, cargc, cargv, cmd);
    else if (strcmp(cmd, "lint") == 0) {
        const char *url = c.url ? c.url : getenv("DATABASE_URL");
        rc = lintcmd_main(cargc, cargv, c.dir, c.json, url, &c.style);
    } else if (strcmp(cmd, "embed") == 0) rc = cmd_embed(cargc, cargv);
    else rc = usage_error("unknown command '%s'", cmd);
    strata_close(c.s);
    return rc;
}
