/* strata testdb: fresh, fully migrated databases cloned from a template
 * (create), dropped (drop URI), old templates removed (prune). -d is the
 * admin connection (a role with CREATEDB, on a maintenance database). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static int create(cli *c)
{
    char *uri = NULL;
    int rc;
    if ((rc = cli_prepare(c, false, true)))
        return rc;
    if ((rc = strata_testdb_create(c->s, &uri)))
        return cli_fail(c, rc, "testdb create");
    if (c->json) {
        jw w;
        jw_init(&w, stdout);
        jw_obj(&w);
        jw_key(&w, "uri");
        jw_str(&w, uri);
        jw_obj_end(&w);
    } else {
        printf("%s\n", uri); /* the one line scripts read */
    }
    strata_free(uri);
    return EXIT_OK;
}

static int drop(cli *c, const char *uri)
{
    int rc;
    if ((rc = cli_prepare(c, false, false)))
        return rc;
    if ((rc = strata_testdb_drop(c->s, uri)))
        return cli_fail(c, rc, "testdb drop");
    if (c->json)
        fputs("{\"dropped\": true}\n", stdout);
    return EXIT_OK;
}

static int prune(cli *c, int argc, char **argv)
{
    int64_t keep = 3;
    int32_t n = 0;
    int rc;
    for (int i = 2; i < argc; i++) {
        const char *v = NULL;
        if (strcmp(argv[i], "--keep") == 0 && i + 1 < argc)
            v = argv[++i];
        else if (strncmp(argv[i], "--keep=", 7) == 0)
            v = argv[i] + 7;
        else
            return cli_usage_error(c, "testdb prune: unexpected argument '%s'", argv[i]);
        if (!cli_parse_version(v, &keep) || keep > INT32_MAX)
            return cli_usage_error(c, "testdb prune: --keep needs a count of 0 or more, not '%s'", v);
    }
    if ((rc = cli_prepare(c, false, false)))
        return rc;
    if ((rc = strata_testdb_prune(c->s, (int32_t)keep, &n)))
        return cli_fail(c, rc, "testdb prune");
    if (c->json)
        printf("{\"dropped\": %d}\n", (int)n);
    else if (!c->quiet)
        fprintf(stderr, "dropped %d database(s)\n", (int)n);
    return EXIT_OK;
}

int cmd_testdb(cli *c, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cli_help(stdout, "testdb");
            return EXIT_OK;
        }
    }
    if (argc < 2)
        return cli_usage_error(c, "testdb needs create, drop URI or prune [--keep N]%s", "");
    if (strcmp(argv[1], "create") == 0) {
        if (argc > 2)
            return cli_usage_error(c, "testdb create: unexpected argument '%s'", argv[2]);
        return create(c);
    }
    if (strcmp(argv[1], "drop") == 0) {
        if (argc != 3)
            return cli_usage_error(c, "testdb drop needs one URI (or database name)%s", "");
        return drop(c, argv[2]);
    }
    if (strcmp(argv[1], "prune") == 0)
        return prune(c, argc, argv);
    return cli_usage_error(c, "testdb: unknown subcommand '%s' (create, drop or prune)", argv[1]);
}
