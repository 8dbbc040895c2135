/* strata embed: the strata-embed generator as a subcommand. */
#include "cli.h"

#include "embed.h"

int cmd_embed(cli *c, int argc, char **argv)
{
    embed_opts o;
    (void)c;
    int rc = embed_parse_args(&o, argc, argv, stderr);
    if (rc == 3)
        return EXIT_OK;
    if (rc)
        return EXIT_USAGE;
    return embed_run(&o, stderr) ? EXIT_FAIL : EXIT_OK;
}

