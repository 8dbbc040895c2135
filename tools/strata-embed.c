/* strata-embed: build-time generator of embedded migrations. */
#include <stdio.h>

#include "embed.h"
#include "strata.h"

int main(int argc, char **argv)
{
    embed_opts o;
    char msg[512];
    int rc = embed_parse_args(&o, argc, argv, msg, sizeof msg);
    if (rc == EMBED_ARGS_HELP) {
        embed_usage(stdout, "strata-embed");
        return 0;
    }
    if (rc == EMBED_ARGS_VERSION) {
        printf("strata-embed %s\n", strata_version());
        return 0;
    }
    if (rc) { /* one line, as the strata commands say it */
        fprintf(stderr, "strata-embed: %s\ntry 'strata-embed --help'\n", msg);
        return 2;
    }
    return embed_run(&o, stderr);
}
