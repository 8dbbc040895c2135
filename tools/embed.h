/* The generator behind `strata-embed` and `strata embed`. */
#ifndef STRATA_TOOLS_EMBED_H
#define STRATA_TOOLS_EMBED_H

#include <stdio.h>

typedef struct embed_opts {
    const char *dir;
    const char *out_c;
    const char *out_h;     /* NULL: no header */
    const char *symbol;    /* default "strata_migrations" */
    const char *depfile;   /* NULL: none */
} embed_opts;

/* Returns 0, or 1 after printing "file:line: message" to @err. */
int embed_run(const embed_opts *o, FILE *err);
enum { EMBED_ARGS_OK = 0, EMBED_ARGS_USAGE = 2, EMBED_ARGS_HELP = 3, EMBED_ARGS_VERSION = 4 };
/* Parses argv (argv[0] is the program or command name); prints nothing:
 * on EMBED_ARGS_USAGE @msg holds one line saying what is wrong, for the
 * caller to print in its own style with a pointer to its --help. */
int embed_parse_args(embed_opts *o, int argc, char **argv, char *msg, size_t msglen);
void embed_usage(FILE *f, const char *prog);

#endif
