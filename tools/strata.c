/* strata: the command-line tool, a thin layer over libstrata. This file
 * reads the global options and dispatches; each command is in
 * tools/cmd_NAME.c, the shared context in tools/cli.c. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    cli_cmd_fn fn;
} commands[] = {
    {"new", cmd_new},       {"up", cmd_up},         {"down", cmd_down},
    {"redo", cmd_redo},     {"status", cmd_status}, {"verify", cmd_verify},
    {"force", cmd_force},   {"accept", cmd_accept}, {"baseline", cmd_baseline},
    {"lint", cmd_lint},     {"embed", cmd_embed},
};

static cli_cmd_fn find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return commands[i].fn;
    return NULL;
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
        case 'h': cli_usage(stdout); return EXIT_OK;
        case 'V': printf("strata %s\n", strata_version()); return EXIT_OK;
        default: return cli_usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_usage_error("a command is required%s", "");
    out_style_init(&c.style);
    cli_cmd_fn fn = find_command(argv[optind]);
    if (!fn)
        return cli_usage_error("unknown command '%s'", argv[optind]);
    rc = fn(&c, argc - optind, argv + optind);
    strata_close(c.s);
    return rc;
}
