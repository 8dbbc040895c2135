/* strata redo: revert the last applied migration and apply it again. */
#include "cli.h"

int cmd_redo(cli *c, int argc, char **argv)
{
    return cli_down_or_redo(c, argc, argv, true);
}
