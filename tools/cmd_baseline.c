/* strata baseline: see cli_version_command. */
#include "cli.h"

int cmd_baseline(cli *c, int argc, char **argv)
{
    return cli_version_command(c, argc, argv, "baseline");
}
