/* force, accept and baseline: commands on one version. The version and
 * force's --applied/--pending may come in any order. */
#include "cli.h"

#include <string.h>

static int run(cli *c, const char *what, int64_t v, int flag)
{
    if (strcmp(what, "force") == 0)
        return strata_force(c->s, v, flag);
    if (strcmp(what, "accept") == 0)
        return strata_accept(c->s, v);
    return strata_baseline(c->s, v);
}

int cli_version_command(cli *c, int argc, char **argv, const char *what)
{
    bool is_force = strcmp(what, "force") == 0, has_v = false;
    int64_t v = 0;
    int flag = -1, rc;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cli_help(stdout, what);
            return EXIT_OK;
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (is_force && (strcmp(a, "--applied") == 0 || strcmp(a, "--pending") == 0)) {
            if (flag >= 0)
                return cli_usage_error(c, "force: --applied and --pending exclude each other%s", "");
            flag = strcmp(a, "--applied") == 0;
        } else if (!has_v && cli_parse_version(a, &v)) {
            has_v = true;
        } else {
            return cli_usage_error(c, a[0] == '-' ? "unknown option '%s'" : "unexpected argument '%s'", a);
        }
    }
    if (!has_v)
        return cli_usage_error(c, "a version is required, e.g. strata %s 20240101120000", what);
    if (is_force && flag < 0)
        return cli_usage_error(c, "force needs --applied or --pending%s", "");
    if ((rc = cli_prepare(c, false, true)))
        return rc;
    if ((rc = run(c, what, v, flag)))
        return cli_fail(c, rc, what);
    if (c->json)
        printf("{\"command\": \"%s\", \"version\": %lld, \"ok\": true}\n", what, (long long)v);
    else if (!c->quiet)
        fprintf(stderr, "%s %lld: done\n", what, (long long)v);
    return EXIT_OK;
}
