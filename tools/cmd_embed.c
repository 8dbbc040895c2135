/* strata embed: the strata-embed generator as a subcommand. */
#include "cli.h"

#include "embed.h"

int cmd_embed(cli *c, int argc, char **argv)
{
    embed_opts o;
    char msg[512];
    int rc = embed_parse_args(&o, argc, argv, msg, sizeof msg);
    if (rc == EMBED_ARGS_HELP) {
        cli_help(stdout, "embed");
        return EXIT_OK;
    }
    if (rc == EMBED_ARGS_VERSION) {
        printf("strata %s\n", strata_version());
        return EXIT_OK;
    }
    if (rc)
        return cli_usage_error(c, "embed: %s", msg);
    return embed_run(&o, stderr) ? EXIT_FAIL : EXIT_OK;
}
