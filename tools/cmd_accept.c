/* strata accept: see cli_version_command. */
#include "cli.h"

int cmd_accept(cli *c, int argc, char **argv)
{
    return cli_version_command(c, argc, argv, "accept");
}
