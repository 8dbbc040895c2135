/* strata down (and the revert half of redo): revert applied migrations. */
#include "cli.h"

#include <getopt.h>
#include <stdint.h>
#include <string.h>

int cli_down_or_redo(cli *c, int argc, char **argv, bool redo)
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
            if (redo || !cli_parse_version(optarg, &to))
                return cli_usage_error("down: --to needs a version, got '%s'", optarg);
            break;
        case 's':
            if (redo || !cli_parse_version(optarg, &steps) || steps > INT32_MAX)
                return cli_usage_error("down: --steps needs a count, got '%s'", optarg);
            has_steps = true;
            break;
        case 'n': dry = 1; break;
        case 'h':
            puts(redo ? "usage: strata redo\nReverts the last applied migration and applies it again."
                      : "usage: strata down [--to V | --steps N] [--dry-run]\n"
                        "Reverts in reverse order of application; default: 1 step.");
            return EXIT_OK;
        default:
            return cli_usage_error("down: unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc)
        return cli_usage_error("down: unexpected argument '%s'", argv[optind]);
    if (to >= 0 && has_steps)
        return cli_usage_error("down: --to and --steps exclude each other%s", "");
    int rc = cli_prepare(c, false, true);
    if (rc)
        return rc;
    strata_set_dry_run(c->s, dry);
    rc = to >= 0 ? strata_revert(c->s, to) : strata_revert_steps(c->s, (int32_t)steps);
    if (rc)
        return cli_fail(c, redo ? "redo (down)" : "down");
    if (redo && c->last_reverted > 0) {
        if (strata_apply(c->s, c->last_reverted))
            return cli_fail(c, "redo (up)");
    } else if (redo) {
        fprintf(stderr, "strata: redo: nothing is applied\n");
    }
    return EXIT_OK;
}

int cmd_down(cli *c, int argc, char **argv)
{
    return cli_down_or_redo(c, argc, argv, false);
}
