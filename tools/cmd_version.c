/* force, accept and baseline: commands on one version. */
#include "cli.h"

#include <string.h>

int cli_version_command(cli *c, int argc, char **argv, const char *what)
{
    int64_t v;
    int flag = -1;
    for (int i = 2; i < argc; i++) {
        if (strcmp(what, "force") == 0 && strcmp(argv[i], "--applied") == 0 && flag < 0)
            flag = 1;
        else if (strcmp(what, "force") == 0 && strcmp(argv[i], "--pending") == 0 && flag < 0)
            flag = 0;
        else
            return cli_usage_error("unexpected argument '%s'", argv[i]);
    }
    if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
        printf("usage: strata %s V%s\n", what, strcmp(what, "force") == 0 ? " --applied|--pending" : "");
        return EXIT_OK;
    }
    if (argc < 2 || !cli_parse_version(argv[1], &v))
        return cli_usage_error("a version is required, e.g. strata %s 20240101120000", what);
    if (strcmp(what, "force") == 0 && flag < 0)
        return cli_usage_error("force needs --applied or --pending%s", "");
    int rc = cli_prepare(c, false, true);
    if (rc)
        return rc;
    if (strcmp(what, "force") == 0)
        rc = strata_force(c->s, v, flag);
    else if (strcmp(what, "accept") == 0)
        rc = strata_accept(c->s, v);
    else
        rc = strata_baseline(c->s, v);
    if (rc)
        return cli_fail(c, what);
    if (!c->quiet)
        fprintf(stderr, "%s %lld: done\n", what, (long long)v);
    return EXIT_OK;
}

