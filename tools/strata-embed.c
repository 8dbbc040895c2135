/* strata-embed: build-time generator of embedded migrations. */
#include <stdio.h>

#include "embed.h"

int main(int argc, char **argv)
{
    embed_opts o;
    int rc = embed_parse_args(&o, argc, argv, stderr);
    if (rc == 3)
        return 0;
    if (rc)
        return rc;
    return embed_run(&o, stderr);
}
