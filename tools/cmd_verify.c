/* strata verify: applied migrations against their files. */
#include "cli.h"

int cmd_verify(cli *c, int argc, char **argv)
{
    return cli_status_or_verify(c, argc, argv, true);
}
