/* strata up: apply pending migrations. */
#include "cli.h"

#include <getopt.h>
#include <string.h>

#include "lintcmd.h"

int cmd_up(cli *c, int argc, char **argv)
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
            if (!cli_parse_version(optarg, &to))
                return cli_usage_error("up: --to needs a version, got '%s'", optarg);
            break;
        case 'p':
            if (strcmp(optarg, "expand") == 0) phase = STRATA_PHASE_EXPAND;
            else if (strcmp(optarg, "contract") == 0) phase = STRATA_PHASE_CONTRACT;
            else if (strcmp(optarg, "all") == 0) phase = STRATA_PHASE_ALL;
            else return cli_usage_error("up: --phase is expand, contract or all, not '%s'", optarg);
            break;
        case 'n': dry = 1; break;
        case 'o': ooo = 1; break;
        case 'r': resume = 1; break;
        case '1': single = 1; break;
        case 'l':
            lint = lintcmd_parse_level(optarg);
            if (lint < 0)
                return cli_usage_error("up: --lint is error, warning or off, not '%s'", optarg);
            break;
        case 'h':
            puts("usage: strata up [--to V] [--phase expand|contract|all] [--dry-run]\n"
                 "       [--allow-out-of-order] [--resume] [--single-transaction] [--lint=LEVEL]\n"
                 "Applies pending migrations. --dry-run prints the statements and touches nothing.");
            return EXIT_OK;
        default:
            return cli_usage_error("up: unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc)
        return cli_usage_error("up: unexpected argument '%s'", argv[optind]);
    int rc = cli_prepare(c, false, true);
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
            return rc == EXIT_FAIL && strata_errmsg(c->s)[0] ? cli_fail(c, "lint") : rc;
    }
    if (strata_apply(c->s, to))
        return cli_fail(c, dry ? "dry run" : "up");
    if (!c->quiet && !dry)
        fprintf(stderr, "up to date\n");
    return EXIT_OK;
}

