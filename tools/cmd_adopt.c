/* strata adopt: take over a database another migration tool migrated, by
 * recording the versions its history table holds as applied (nothing is
 * run; the other tool's table is only read). */
#include "cli.h"

#include <getopt.h>
#include <string.h>

static const char *const tools[] = {"dbmate", "golang-migrate", "goose", "sqlx", "diesel", "flyway"};

static bool known_tool(const char *t)
{
    for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++)
        if (strcmp(tools[i], t) == 0)
            return true;
    return false;
}

static int parse(cli *c, int argc, char **argv, const char **tool, const char **table)
{
    static const struct option longs[] = {{"from", required_argument, NULL, 'f'},
                                          {"table", required_argument, NULL, 't'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    int o;
    optind = 0;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "+", longs, NULL)) != -1) {
        switch (o) {
        case 'f':
            if (!known_tool(optarg))
                return cli_usage_error(c, "adopt: --from needs one of dbmate, golang-migrate, goose, sqlx, "
                                          "diesel, flyway, not '%s'", optarg);
            *tool = optarg;
            break;
        case 't':
            if (!*optarg)
                return cli_usage_error(c, "adopt: --table needs a table name%s", "");
            *table = optarg;
            break;
        case 'h': cli_help(stdout, "adopt"); return -1;
        default: return cli_usage_error(c, "adopt: unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc)
        return cli_usage_error(c, "adopt: unexpected argument '%s'", argv[optind]);
    return EXIT_OK;
}

int cmd_adopt(cli *c, int argc, char **argv)
{
    const char *tool = NULL, *table = NULL;
    int64_t n = 0;
    int rc = parse(c, argc, argv, &tool, &table);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    if ((rc = cli_prepare(c, false, true)))
        return rc;
    if ((rc = strata_adopt(c->s, tool, table, &n)))
        return cli_fail(c, rc, "adopt");
    if (c->json) {
        jw w;
        jw_init(&w, stdout);
        jw_obj(&w);
        jw_key(&w, "adopted");
        jw_int(&w, n);
        jw_obj_end(&w);
    } else if (!c->quiet) {
        fprintf(stderr, "adopted %lld version(s) as applied; `strata up` applies only what is new\n",
                (long long)n);
    }
    return EXIT_OK;
}
