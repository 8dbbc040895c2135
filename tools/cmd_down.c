/* strata down: revert applied migrations. */
#include "cli.h"

#include <getopt.h>
#include <stdint.h>
#include <string.h>

#include "dry.h"
#include "hints.h"

typedef struct down_opts {
    int64_t to, steps;
    bool has_to, has_steps, all;
    int dry, allow_empty;
} down_opts;

static int parse(cli *c, down_opts *d, int argc, char **argv)
{
    static const struct option longs[] = {{"to", required_argument, NULL, 't'},
                                          {"steps", required_argument, NULL, 's'},
                                          {"all", no_argument, NULL, 'a'},
                                          {"dry-run", no_argument, NULL, 'n'},
                                          {"allow-empty-down", no_argument, NULL, 'e'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    int o;
    memset(d, 0, sizeof *d);
    d->steps = 1;
    optind = 0;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "+", longs, NULL)) != -1) {
        switch (o) {
        case 't':
            if (!cli_parse_version(optarg, &d->to))
                return cli_usage_error(c, "down: --to needs a version, got '%s'", optarg);
            d->has_to = true;
            break;
        case 's':
            if (!cli_parse_version(optarg, &d->steps) || d->steps < 1 || d->steps > INT32_MAX)
                return cli_usage_error(c, "down: --steps needs a count of at least 1, got '%s'", optarg);
            d->has_steps = true;
            break;
        case 'a': d->all = true; break;
        case 'n': d->dry = 1; break;
        case 'e': d->allow_empty = 1; break;
        case 'h': cli_help(stdout, "down"); return -1;
        default: return cli_usage_error(c, "down: unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    int64_t v;
    if (optind != argc && cli_parse_version(argv[optind], &v)) /* golang-migrate: `down N` */
        return cli_usage_error(c, "down: unexpected argument '%s' (to revert that many migrations: "
                                  "strata down --steps N; every one above a version: --to V)", argv[optind]);
    if (optind != argc)
        return cli_usage_error(c, "down: unexpected argument '%s'", argv[optind]);
    if (d->has_to + d->has_steps + d->all > 1)
        return cli_usage_error(c, "down: --to, --steps and --all exclude each other%s", "");
    return EXIT_OK;
}

static void report(cli *c, const down_opts *d)
{
    if (c->json && d->dry) {
        return; /* the dry run's document is out */
    } else if (c->json) {
        jw w;
        jw_init(&w, stdout);
        jw_obj(&w);
        cli_json_done(&w, "reverted", &c->reverted);
        jw_obj_end(&w);
    } else if (!c->quiet && !d->dry && c->reverted.n == 0) {
        fprintf(stderr, "nothing to revert: no migration is applied%s\n", d->has_to ? " above that version" : "");
    }
}

int cmd_down(cli *c, int argc, char **argv)
{
    down_opts d;
    int rc = parse(c, &d, argc, argv);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    if ((rc = cli_prepare(c, false, true)) || (rc = cli_check_dir_matches(c)))
        return rc;
    /* a mistyped --to would revert everything above it: 0 alone means "all
     * but version 0", as goose's down-to 0 does */
    if (d.has_to && d.to != 0 && !cli_version_known(c, d.to))
        return cli_error(c, "notfound", "down --to %lld: %s has no migration with that version; nothing was "
                         "reverted (every migration: --all)", (long long)d.to, c->dir);
    strata_set_dry_run(c->s, d.dry);
    strata_set_allow_empty_down(c->s, d.allow_empty);
    if (d.dry && !(c->dry = dry_begin(c->json)))
        return cli_error(c, "nomem", "out of memory");
    cli_install_interrupt(c);
    if (d.all)
        rc = strata_revert(c->s, STRATA_BEFORE_FIRST);
    else if (d.has_to)
        rc = strata_revert(c->s, d.to);
    else
        rc = strata_revert_steps(c->s, (int32_t)d.steps);
    dry_end(c->dry, rc == STRATA_OK);
    c->dry = NULL;
    if (rc) {
        rc = cli_fail(c, rc, d.dry ? "dry run" : "down");
        hint_after_revert(c);
        return rc;
    }
    report(c, &d);
    return EXIT_OK;
}
