/* strata lint: the linter over files, a directory or the pending set. */
#include "cli.h"

#include <stdlib.h>

#include "lintcmd.h"

int cmd_lint(cli *c, int argc, char **argv)
{
    const char *url = c->url ? c->url : getenv("DATABASE_URL");
    return lintcmd_main(argc, argv, c->dir, c->json, url, &c->style);
}
